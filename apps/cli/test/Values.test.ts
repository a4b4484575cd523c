/**
 * Every value written as the provider sent it: numbers a double would change, and an output
 * nested 100,000 deep, through every provider and every output (NDJSON to stdout and to a
 * file, gzip, Singer, `--redact`), compared byte for byte with the text sent.
 *
 * The emulator's bodies pass through a proxy on 127.0.0.1 that puts `EXACT` (as raw JSON
 * text, which no JavaScript value could hold) in place of the steps' outputs and inputs.
 */
import { expect, layer } from "@effect/vitest"
import { Emulator } from "@steptrail/emulator"
import { Effect, type Scope } from "effect"
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { lines, runWithEnv as run } from "./inProcess.js"

const TOKEN = "values-token"
const HALF = 50_000
const DEEP = "{\"a\":".repeat(HALF) + "[".repeat(HALF) + "1e400" + "]".repeat(HALF) + "}".repeat(HALF)
const NUMBERS = "\"big\":12345678901234567891,\"near\":9007199254740993,\"huge\":1e400," +
  "\"long\":0.1000000000000000055511151231257827,\"minus\":-0"
const EXACT = `{${NUMBERS},"deep":${DEEP}}`
/** Inputs carry the numbers only: a 400 KB value 100,000 deep in every input too costs seconds. */
const INPUT = `{${NUMBERS},"deep":{"a":[1]}}`
const PLACEHOLDER = "@@exact@@"
const INPUT_PLACEHOLDER = "@@input@@"
const TRUNCATED = "[truncated output]"
// outputs of 400 KB nested 100,000 deep take a while on a busy machine
const TIMEOUT = 120_000

/** How the proxy rewrites Cloudflare's logged outputs: the whole value, or a cut preview. */
let cloudflareLogs: "exact" | "preview" = "exact"

// Replaces the values of `keys` (not null) under `value`, in place.
const replace = (value: unknown, keys: ReadonlySet<string>, by: (old: unknown) => unknown): void => {
  if (Array.isArray(value)) for (const item of value) replace(item, keys, by)
  else if (typeof value === "object" && value !== null) {
    const record = value as Record<string, unknown>
    for (const [key, item] of Object.entries(record)) {
      if (keys.has(key) && item !== null) record[key] = by(item)
      else replace(item, keys, by)
    }
  }
}

const rewrite = (pathname: string, body: unknown): string => {
  if (pathname.startsWith("/orchestra") || pathname.includes("/orchestra/")) {
    replace(body, new Set(["outputs"]), () => PLACEHOLDER)
    replace(body, new Set(["inputs"]), () => INPUT_PLACEHOLDER)
  } else if (pathname.includes("/workflows/") && pathname.includes("/instances")) {
    if (pathname.endsWith("/step")) replace(body, new Set(["output"]), () => PLACEHOLDER)
    else {
      replace(body, new Set(["output"]), (old) =>
        typeof old !== "string" || old === "[REDACTED]" ? old : cloudflareLogs === "exact" ? EXACT : EXACT.slice(0, 60) + TRUNCATED)
    }
  } else replace(body, new Set(["result"]), () => PLACEHOLDER)
  return JSON.stringify(body).split(JSON.stringify(PLACEHOLDER)).join(EXACT).split(JSON.stringify(INPUT_PLACEHOLDER)).join(INPUT)
}

/** A proxy to `origin` rewriting its JSON answers; its origin. */
const proxy = (origin: string): Effect.Effect<string, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<http.Server>((resume) => {
      const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", origin)
        const headers = { ...req.headers } as Record<string, string>
        delete headers.host
        fetch(url, { method: req.method, headers }).then(async (answer) => {
          const text = await answer.text()
          const json = answer.status === 200 && (answer.headers.get("content-type") ?? "").includes("json")
          const out = json ? rewrite(url.pathname, JSON.parse(text)) : text
          res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "text/plain" })
          res.end(out)
        }, () => {
          res.writeHead(502)
          res.end()
        })
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) => Effect.async<void>((resume) => {
      server.closeAllConnections()
      server.close(() => resume(Effect.void))
    })
  ).pipe(Effect.map((server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}`))

const through = (baseUrl: string, origin: string) => origin + new URL(baseUrl).pathname

/** A record line's `input` and `output`, as the text written. */
const fields = (line: string) => {
  const end = line.lastIndexOf(",\"output_encoding\":")
  const output = line.lastIndexOf(",\"output\":", end)
  const input = line.indexOf(",\"input\":")
  return { input: line.slice(input + 9, output), output: line.slice(output + 10, end), base64: line.includes("\"output_encoding\":\"base64\"", end) }
}

/**
 * Every record's output is `expected` (or null, bytes, or a preview where `previews`); at least
 * one is.
 */
const expectOutputs = (text: string, expected: string, input?: string, previews = false) => {
  const records = lines(text).filter((l) => !l.startsWith("{\"type\":\"SCHEMA\"") && l.includes("\"output_encoding\""))
  let hits = 0
  for (const line of records) {
    const { base64, input: written, output } = fields(line)
    if (previews && output.endsWith(`${TRUNCATED}"`)) continue
    if (!base64 && output !== "null") {
      expect(output === expected).toBe(true)
      hits++
    }
    if (input !== undefined && written !== "null") expect(written === input).toBe(true)
  }
  expect(hits).toBeGreaterThan(0)
  expect(text.includes("12345678901234567000")).toBe(false)
}

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-values-"))

layer(
  Emulator.layer({ token: TOKEN, seed: 12, cloudflare: { instances: 2, steps: 3 }, orchestra: { runs: 1 }, onepin: { runs: 1 } })
)("values kept exactly", (it) => {
  const orchestra = (info: Emulator.Info, origin: string, ...extra: Array<string>) =>
    ["export", "orchestra", "--base-url", through(info.orchestra.baseUrl, origin), "--workflow", info.orchestra.workflow, "--quiet", ...extra]
  const cloudflare = (info: Emulator.Info, origin: string, ...extra: Array<string>) => [
    "export", "cloudflare", "--base-url", through(info.cloudflare.baseUrl, origin), "--account-id", info.cloudflare.accountId,
    "--workflow", info.cloudflare.workflow, "--quiet", ...extra
  ]
  const onepin = (info: Emulator.Info, origin: string, ...extra: Array<string>) =>
    ["export", "onepin", "--base-url", through(info.onepin.baseUrl, origin), "--workflow", info.onepin.workflow, "--workspace", info.onepin.workspaceId, "--quiet", ...extra]
  const env = { ORCHESTRA_API_KEY: TOKEN, CLOUDFLARE_API_TOKEN: TOKEN, ONEPIN_API_KEY: TOKEN }
  const origin = (info: Emulator.Info) => proxy(new URL(info.orchestra.baseUrl).origin)

  it.scoped("orchestra: inputs and outputs to stdout, a file, gzip and Singer, digit for digit", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.EmulatorTag
      const via = yield* origin(info)
      const plain = yield* run(orchestra(info, via), env)
      expect(plain.stderr).toBe("")
      expect(plain.code).toBe(0)
      expectOutputs(plain.stdout, EXACT, INPUT)

      const dir = tmp()
      const file = path.join(dir, "runs.ndjson")
      expect((yield* run(orchestra(info, via, "--out", file), env)).code).toBe(0)
      expect(fs.readFileSync(file, "utf8") === plain.stdout).toBe(true)

      const gz = path.join(dir, "runs.ndjson.gz")
      expect((yield* run(orchestra(info, via, "--out", gz), env)).code).toBe(0)
      expect(zlib.gunzipSync(fs.readFileSync(gz)).toString("utf8") === plain.stdout).toBe(true)

      const singer = yield* run(orchestra(info, via, "--format", "singer"), env)
      expect(singer.code).toBe(0)
      expectOutputs(singer.stdout, EXACT, INPUT)
    }), TIMEOUT)

  it.scoped("--redact replaces what it names and keeps every other number's digits", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.EmulatorTag
      const via = yield* origin(info)
      const r = yield* run(orchestra(info, via, "--redact", "output.big", "--redact", "output.deep", "--redact", "input.deep.a"), env)
      expect(r.stderr).toBe("")
      expect(r.code).toBe(0)
      const output = `{"big":"[REDACTED]",${NUMBERS.slice(NUMBERS.indexOf("\"near\""))},"deep":"[REDACTED]"}`
      const input = `{${NUMBERS},"deep":{"a":"[REDACTED]"}}`
      expectOutputs(r.stdout, output, input)
    }), TIMEOUT)

  it.scoped("cloudflare: logged outputs and full outputs from /step, digit for digit", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.EmulatorTag
      const via = yield* origin(info)
      cloudflareLogs = "exact"
      const logged = yield* run(cloudflare(info, via), env)
      expect(logged.stderr).toBe("")
      expect(logged.code).toBe(0)
      expectOutputs(logged.stdout, EXACT)

      cloudflareLogs = "preview"
      const full = yield* run(cloudflare(info, via, "--full-output"), env)
      expect(full.stderr).toBe("")
      expect(full.code).toBe(0)
      // a complete step's preview is replaced by its output from /step; the others stay previews
      expectOutputs(full.stdout, EXACT, undefined, true)
    }), TIMEOUT)

  it.scoped("onepin: results, digit for digit", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.EmulatorTag
      const via = yield* origin(info)
      const r = yield* run(onepin(info, via), env)
      expect(r.stderr).toBe("")
      expect(r.code).toBe(0)
      expectOutputs(r.stdout, EXACT)
    }), TIMEOUT)
})
