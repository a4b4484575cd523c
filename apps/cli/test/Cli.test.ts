import { describe, expect, it, layer } from "@effect/vitest"
import { StepRecord } from "@steptrail/core"
import { Emulator } from "@steptrail/emulator"
import { Effect, Fiber, Schema } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as Main from "../src/Main.js"
import { providers } from "../src/Providers.js"
import { io, lines, runWithEnv as run, stderrLines } from "./inProcess.js"

const TOKEN = "cli-test-token-5f3a9c"
const decodeRecord = Schema.decodeUnknownSync(StepRecord.StepRecord)
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-cli-"))

/** Counts steps straight from the emulator's HTTP API, without any steptrail code. */
const rawCloudflareSteps = (info: Emulator.Info) =>
  Effect.promise(async () => {
    const base = `${info.cloudflare.baseUrl}/accounts/${info.cloudflare.accountId}/workflows/${info.cloudflare.workflow}/instances`
    const headers = { authorization: `Bearer ${info.token}` }
    const ids: Array<string> = []
    let cursor: string | undefined
    for (let page = 0; page < 100; page++) {
      const res = await fetch(`${base}?per_page=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`, { headers })
      const body = (await res.json()) as { result: Array<{ id: string }>; result_info?: { cursor?: string } }
      ids.push(...body.result.map((i) => i.id))
      cursor = body.result_info?.cursor
      if (!cursor) break
    }
    let steps = 0
    let withSteps = 0
    for (const id of ids) {
      const res = await fetch(`${base}/${encodeURIComponent(id)}`, { headers })
      const n = ((await res.json()) as { result: { steps: Array<unknown> } }).result.steps.length
      steps += n
      if (n > 0) withSteps++
    }
    return { instances: ids.length, withSteps, steps }
  })

describe("steptrail (no provider)", () => {
  it.effect("--version prints the package's version, as one line, after any command too", () =>
    Effect.gen(function*() {
      const { version } = JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
      for (const argv of [["--version"], ["export", "--version"], ["export", "cloudflare", "--version"], ["emulator", "--version"]]) {
        const r = yield* run(argv)
        expect(r.code, argv.join(" ")).toBe(0)
        expect(r.stdout, argv.join(" ")).toBe(`${version}\n`)
        expect(r.stderr).toBe("")
      }
    }))

  it.effect("schema prints the record's JSON Schema with every contract field required", () =>
    Effect.gen(function*() {
      const r = yield* run(["schema"])
      expect(r.code).toBe(0)
      const schema = JSON.parse(r.stdout)
      const root = schema.$defs?.StepRecord ?? schema
      for (const field of ["schema_version", "provider", "account", "workflow", "run_id", "step_index", "name", "kind", "status", "provider_status", "started_at", "ended_at", "duration_ms", "output", "error"]) {
        expect(root.required).toContain(field)
      }
      expect(root.additionalProperties).toBe(false)
    }))

  it.effect("a missing required flag exits 2 with one line", () =>
    Effect.gen(function*() {
      const r = yield* run(["export", "cloudflare", "--account-id", "0123456789abcdef0123456789abcdef"], { CLOUDFLARE_API_TOKEN: TOKEN })
      expect(r.code).toBe(2)
      expect(r.stdout).toBe("")
      expect(stderrLines(r)).toHaveLength(1)
      expect(r.stderr).toContain("--workflow")
    }))

  it.effect("an unknown flag or subcommand exits 2", () =>
    Effect.gen(function*() {
      expect((yield* run(["export", "cloudflare", "--workflow", "w", "--bogus"])).code).toBe(2)
      expect((yield* run(["export", "nosuchprovider", "--workflow", "w"])).code).toBe(2)
    }))

  it.effect("docs/record.schema.json is exactly what `steptrail schema` prints", () =>
    Effect.gen(function*() {
      const r = yield* run(["schema"])
      const docs = fs.readFileSync(path.join(__dirname, "..", "..", "..", "docs", "record.schema.json"), "utf8")
      expect(r.stdout).toBe(docs)
    }))

  it.effect("--completions prints a script for bash, zsh and fish that knows the commands", () =>
    Effect.gen(function*() {
      for (const shell of ["bash", "zsh", "fish"]) {
        const r = yield* run(["--completions", shell])
        expect(r.code, shell).toBe(0)
        expect(r.stdout, shell).toContain("export")
        expect(r.stdout, shell).toContain("steptrail")
      }
    }))

  it.effect("--help of every command shows a worked example", () =>
    Effect.gen(function*() {
      for (const args of [...providers.map((p) => ["export", p.name]), ["export"], ["emulator"], ["demo"], ["schema"]]) {
        const r = yield* run([...args, "--help"])
        expect(r.code, args.join(" ")).toBe(0)
        expect(r.stdout, args.join(" ")).toMatch(/Example/)
      }
    }))

  it.effect("--help shows an example", () =>
    Effect.gen(function*() {
      const r = yield* run(["export", "cloudflare", "--help"])
      expect(r.code).toBe(0)
      expect(r.stdout).toContain("steptrail export cloudflare --account-id")
    }))
})

layer(Emulator.layer({ token: TOKEN, seed: 3 }))("steptrail against the emulator", (it) => {
  const cf = (info: Emulator.Info, ...args: Array<string>) => [
    "export", "cloudflare", "--base-url", info.cloudflare.baseUrl, "--account-id", info.cloudflare.accountId,
    "--workflow", info.cloudflare.workflow, ...args
  ]

  it.effect("export cloudflare writes one valid record per step of every instance, and nothing else, on stdout", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.EmulatorTag
      const expected = yield* rawCloudflareSteps(info)
      expect(expected.instances).toBeGreaterThan(100) // more than one page
      const r = yield* run(cf(info, "--concurrency", "8"), { CLOUDFLARE_API_TOKEN: TOKEN })
      expect(r.stderr).not.toContain(TOKEN)
      expect(r.code).toBe(0)
      expect(r.stdout.endsWith("\n")).toBe(true)
      const records = lines(r.stdout).map((l) => decodeRecord(JSON.parse(l)))
      expect(records).toHaveLength(expected.steps)
      expect(new Set(records.map(StepRecord.key)).size).toBe(records.length)
      expect(new Set(records.map((x) => x.run_id)).size).toBe(expected.withSteps)
      // each run contiguous, steps in order
      const order = records.map((x) => x.run_id).filter((id, i, all) => i === 0 || all[i - 1] !== id)
      expect(new Set(order).size).toBe(order.length)
      for (let i = 1; i < records.length; i++) {
        if (records[i]!.run_id === records[i - 1]!.run_id) expect(records[i]!.step_index).toBe(records[i - 1]!.step_index + 1)
        else expect(records[i]!.step_index).toBe(0)
      }
      expect(records.some((x) => x.output_truncated)).toBe(true)
      expect(r.stderr).toContain(`exported ${expected.instances} runs, ${expected.steps} steps`)
    }))

  it.effect("--full-output --out FILE writes full outputs to the file and nothing to stdout", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.EmulatorTag
      const file = path.join(tmp(), "runs.ndjson")
      const r = yield* run(cf(info, "--full-output", "--out", file), { CLOUDFLARE_API_TOKEN: TOKEN })
      expect(r.code).toBe(0)
      expect(r.stdout).toBe("")
      const records = lines(fs.readFileSync(file, "utf8")).map((l) => decodeRecord(JSON.parse(l)))
      expect(records.length).toBeGreaterThan(0)
      expect(records.filter((x) => x.status === "complete" && x.output_truncated)).toEqual([])
      expect(records.some((x) => x.output_encoding === "base64")).toBe(true)
      expect(records.some((x) => x.output_redacted && x.output === "[REDACTED]")).toBe(true)
      expect(records.some((x) => typeof x.output === "string" && x.output.length > 1024 || JSON.stringify(x.output).length > 1100)).toBe(true)
      expect(fs.readdirSync(path.dirname(file))).toEqual(["runs.ndjson"])
    }))

  it.effect("X-Auth-Email + X-Auth-Key credentials work too", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.EmulatorTag
      const r = yield* run(cf(info, "--status", "complete", "--since", "2025-12-01"), { CLOUDFLARE_EMAIL: "me@example.com", CLOUDFLARE_API_KEY: TOKEN })
      expect(r.code).toBe(0)
      const records = lines(r.stdout).map((l) => JSON.parse(l))
      expect(records.length).toBeGreaterThan(0)
      expect(records.every((x) => x.run_status === "complete")).toBe(true)
    }))

  it.effect("a wrong token exits 3 with one line naming the provider and no secret", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.EmulatorTag
      const secret = "wrong-token-9d8c7b6a"
      const r = yield* run(cf(info), { CLOUDFLARE_API_TOKEN: secret })
      expect(r.code).toBe(3)
      expect(r.stdout).toBe("")
      expect(stderrLines(r)).toHaveLength(1)
      expect(r.stderr).toContain("cloudflare")
      expect(r.stderr).not.toContain(secret)
    }))

  it.effect("no credentials exits 3 naming the variables", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.EmulatorTag
      const r = yield* run(cf(info))
      expect(r.code).toBe(3)
      expect(stderrLines(r)).toHaveLength(1)
      expect(r.stderr).toContain("CLOUDFLARE_API_TOKEN")
    }))

  it.effect("an unknown instance exits 4 naming the run", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.EmulatorTag
      const r = yield* run(cf(info, "--instance", "no-such-instance"), { CLOUDFLARE_API_TOKEN: TOKEN })
      expect(r.code).toBe(4)
      expect(stderrLines(r)).toHaveLength(1)
      expect(r.stderr).toContain("no-such-instance")
    }))

  it.effect("malformed ids exit 2 before any request", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.EmulatorTag
      for (const args of [
        cf(info, "--instance", ".."),
        cf(info, "--instance", "x".repeat(101)),
        ["export", "cloudflare", "--base-url", info.cloudflare.baseUrl, "--account-id", "not-an-account", "--workflow", "w"],
        cf(info, "--since", "yesterday"),
        cf(info, "--concurrency", "0")
      ]) {
        const r = yield* run(args, { CLOUDFLARE_API_TOKEN: TOKEN })
        expect(r.code, args.join(" ")).toBe(2)
        expect(stderrLines(r), args.join(" ")).toHaveLength(1)
        expect(r.stdout).toBe("")
      }
    }))

  it.effect("an --out that cannot be created exits 2 and leaves nothing behind", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.EmulatorTag
      const dir = tmp()
      const r = yield* run(cf(info, "--out", path.join(dir, "missing", "x.ndjson")), { CLOUDFLARE_API_TOKEN: TOKEN })
      expect(r.code).toBe(2)
      expect(stderrLines(r)).toHaveLength(1)
      expect(fs.readdirSync(dir)).toEqual([])
    }))

  it.effect("export orchestra and export onepin write one valid record per node execution", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.EmulatorTag
      const o = yield* run(["export", "orchestra", "--base-url", info.orchestra.baseUrl, "--workflow", info.orchestra.workflow], { ORCHESTRA_API_KEY: TOKEN })
      expect(o.code).toBe(0)
      const orecords = lines(o.stdout).map((l) => decodeRecord(JSON.parse(l)))
      expect(orecords.length).toBeGreaterThan(0)
      expect(orecords.every((x) => x.provider === "orchestra" && x.kind === "node")).toBe(true)
      const p = yield* run(["export", "onepin", "--workflow", info.onepin.workflow, "--workspace", info.onepin.workspaceId], { ONEPIN_API_KEY: TOKEN, ONEPIN_BASE_URL: info.onepin.baseUrl })
      expect(p.code).toBe(0)
      const precords = lines(p.stdout).map((l) => decodeRecord(JSON.parse(l)))
      expect(precords.length).toBeGreaterThan(0)
      expect(precords.every((x) => x.provider === "onepin" && x.account === info.onepin.workspaceId)).toBe(true)
      expect(new Set(precords.map(StepRecord.key)).size).toBe(precords.length)
    }))

  it.effect("orchestra and onepin error exits: wrong key 3, unknown run 4, malformed id 2, workspace mismatch 3", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.EmulatorTag
      const orch = (...a: Array<string>) => ["export", "orchestra", "--base-url", info.orchestra.baseUrl, "--workflow", info.orchestra.workflow, ...a]
      const pin = (...a: Array<string>) => ["export", "onepin", "--base-url", info.onepin.baseUrl, "--workflow", info.onepin.workflow, ...a]
      const cases: Array<[Array<string>, Record<string, string>, number]> = [
        [orch(), { ORCHESTRA_API_KEY: "nope-123" }, 3],
        [orch("--run", "00000000-0000-4000-8000-000000000000"), { ORCHESTRA_API_KEY: TOKEN }, 4],
        [pin(), { ONEPIN_API_KEY: "nope-123" }, 3],
        [pin("--run", "00000000-0000-4000-8000-000000000000"), { ONEPIN_API_KEY: TOKEN }, 4],
        [pin("--run", "not-a-uuid"), { ONEPIN_API_KEY: TOKEN }, 2],
        [pin("--workspace", "00000000-0000-4000-8000-000000000001"), { ONEPIN_API_KEY: TOKEN }, 3]
      ]
      for (const [args, env, code] of cases) {
        const r = yield* run(args, env)
        expect(r.code, args.join(" ")).toBe(code)
        expect(stderrLines(r), args.join(" ")).toHaveLength(1)
        expect(r.stdout).toBe("")
      }
    }))
})

describe("steptrail emulator and demo", () => {
  it.effect("demo exports a workflow of each provider into one file and summarizes per provider", () =>
    Effect.gen(function*() {
      const dir = tmp()
      const r = yield* run(["demo", "--out", path.join(dir, "demo.ndjson")])
      expect(r.code).toBe(0)
      expect(r.stdout).toBe("")
      const records = lines(fs.readFileSync(path.join(dir, "demo.ndjson"), "utf8")).map((l) => decodeRecord(JSON.parse(l)))
      // every registered provider the emulator serves (all of them)
      expect(new Set(records.map((x) => x.provider))).toEqual(new Set(providers.map((p) => p.name)))
      for (const p of providers.map((p) => p.name)) expect(r.stderr).toMatch(new RegExp(`${p}: \\d+ runs?, \\d+ steps?`))
    }))

  it.live("emulator prints its startup line on stdout once listening, and serves until stopped", () =>
    Effect.gen(function*() {
      const captured = io()
      const emulator = yield* Effect.fork(Main.run(["emulator", "--port", "0", "--token", "tok", "--runs", "3", "--live", "0"], captured.io))
      for (let i = 0; i < 200 && !captured.stdout.text().includes("\n"); i++) yield* Effect.sleep("25 millis")
      const [line, ...rest] = captured.stdout.text().split("\n")
      expect(rest).toEqual([""])
      const info = JSON.parse(line!)
      expect(info.token).toBe("tok")
      for (const p of ["cloudflare", "orchestra", "onepin", "temporal"]) {
        expect(info[p].baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//)
        expect(typeof info[p].workflow).toBe("string")
      }
      const url = `${info.cloudflare.baseUrl}/accounts/${info.cloudflare.accountId}/workflows/${info.cloudflare.workflow}/instances`
      const res = yield* Effect.promise(() => fetch(url, { headers: { authorization: "Bearer tok" } }))
      expect(res.status).toBe(200)
      // --runs and --live reach the Temporal emulation too: 3 runs of its workflow type, none live
      const count = `${info.temporal.baseUrl}/api/v1/namespaces/${info.temporal.namespace}/workflow-count?query=${encodeURIComponent(`WorkflowType = '${info.temporal.workflow}'`)}`
      const counted = yield* Effect.promise(() => fetch(count, { headers: { authorization: "Bearer tok" } }).then((r) => r.json()))
      expect(counted).toEqual({ count: "3" })
      yield* Fiber.interrupt(emulator)
      expect(captured.stderr.text()).toBe("")
      // stopped: nothing listens any more
      const after = yield* Effect.promise(() => fetch(url, { headers: { authorization: "Bearer tok" } }).then(() => "answered", () => "refused"))
      expect(after).toBe("refused")
    }))
})
