/**
 * Usage errors, in-process: one `steptrail: …` line on stderr, nothing on stdout, exit 2,
 * with a "did you mean" for a misspelt command, provider, option or value. Also the exit
 * codes `Failure` gives each error, whoever raises it.
 */
import { HelpDoc, ValidationError } from "@effect/cli"
import { describe, expect, it } from "@effect/vitest"
import { ProviderError } from "@steptrail/core"
import { Output, State } from "@steptrail/export"
import { Cause, Effect, FiberId } from "effect"
import * as fs from "node:fs"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as os from "node:os"
import * as path from "node:path"
import * as Failure from "../src/Failure.js"
import { providers } from "../src/Providers.js"
import * as Suggest from "../src/Suggest.js"
import { run } from "./inProcess.js"
import { names, registries } from "./registries.js"

const ACCOUNT = "0123456789abcdef0123456789abcdef"

/** Exit 2, exactly this one line on stderr, nothing on stdout. */
const refused = (argv: ReadonlyArray<string>, line: string, env: Readonly<Record<string, string>> = {}) =>
  Effect.gen(function*() {
    const r = yield* run(argv, { env })
    expect(r.stderr, argv.join(" ")).toBe(`steptrail: ${line}\n`)
    expect(r.code, argv.join(" ")).toBe(2)
    expect(r.stdout).toBe("")
  })

describe("usage errors", () => {
  it.effect("a misspelt option: its command and the option meant, wherever it stands", () =>
    Effect.gen(function*() {
      const line = "unknown option --acount-id for export cloudflare; did you mean --account-id?"
      yield* refused(["export", "cloudflare", "--acount-id", ACCOUNT, "--workflow", "w"], line)
      yield* refused(["export", "cloudflare", "--workflow", "w", "--acount-id", ACCOUNT], line)
      yield* refused(["export", "cloudflare", "--acount-id", ACCOUNT], line)
      yield* refused(["export", "onepin", "--workflow", "w", "--workspce", "x"], "unknown option --workspce for export onepin; did you mean --workspace?")
      yield* refused(["export", "orchestra", "--workflow", "w", "--concurency", "4"], "unknown option --concurency for export orchestra; did you mean --concurrency?")
      yield* refused(["emulator", "--prot", "8787"], "unknown option --prot for emulator; did you mean --port?")
    }))

  it.effect("an unknown option with nothing close names the command's help; one given too early says where it goes", () =>
    Effect.gen(function*() {
      yield* refused(["export", "cloudflare", "--workflow", "w", "--bogus"], "unknown option --bogus for export cloudflare; see steptrail export cloudflare --help")
      yield* refused(["export", "orchestra", "--workflow", "w", "-x"], "unknown option -x for export orchestra; see steptrail export orchestra --help")
      yield* refused(["export", "--workflow", "w", "orchestra"], "unknown option --workflow for export; give it after the provider (steptrail export PROVIDER --workflow ...)")
    }))

  it.effect("a misspelt command or provider: the one meant, or the list", () =>
    Effect.gen(function*() {
      yield* refused(["exprot", "cloudflare"], `unknown command "exprot"; did you mean export?`)
      yield* refused(["export", "cloudfare", "--workflow", "w"], `unknown provider "cloudfare" for export; did you mean cloudflare?`)
      yield* refused(["export", "onepn", "--workflow", "w"], `unknown provider "onepn" for export; did you mean onepin?`)
      yield* refused(["export", "airflow", "--workflow", "w"], `unknown provider "airflow" for export; use one of ${names(providers)}`)
      yield* refused(["export", "cloudfare", "--help"], `unknown provider "cloudfare" for export; did you mean cloudflare?`)
      yield* refused(["schema", "extra"], `unexpected argument "extra" for schema; see steptrail schema --help`)
    }))

  it.effect("--log-level with a level that does not exist: the levels to choose from, wherever it stands", () =>
    Effect.gen(function*() {
      const levels = "all, trace, debug, info, warning, error, fatal, none"
      yield* refused(["--log-level", "loud", "export"], `--log-level must be one of ${levels}; got "loud"`)
      yield* refused(["--log-level", "loud"], `--log-level must be one of ${levels}; got "loud"`)
      yield* refused(["export", "orchestra", "--workflow", "w", "--log-level", "loud"], `--log-level must be one of ${levels}; got "loud"`)
      yield* refused(["export", "--log-level=debgu", "orchestra", "--workflow", "w"], `--log-level must be one of ${levels}; got "debgu": did you mean debug?`)
    }))

  it.effect("a value of the wrong kind, in a sentence naming the option", () =>
    Effect.gen(function*() {
      yield* refused(["export", "orchestra", "--workflow", "w", "--concurrency", "many"], `--concurrency must be a whole number, got "many"`)
      yield* refused(["emulator", "--port", "x"], `--port must be a whole number, got "x"`)
      yield* refused(["export", "orchestra", "--workflow", "w", "--format", "xml"], `--format must be one of ndjson, singer; got "xml"`)
      yield* refused(["export", "orchestra", "--workflow", "w", "--format", "ndjosn"], `--format must be one of ndjson, singer; got "ndjosn": did you mean ndjson?`)
      yield* refused(["--completions", "sh"], `--completions must be one of bash, zsh, fish; got "sh"`)
    }))

  it.effect("a missing option or value", () =>
    Effect.gen(function*() {
      yield* refused(["export", "cloudflare", "--account-id", ACCOUNT], "export cloudflare needs --workflow NAME; see steptrail export cloudflare --help")
      yield* refused(["export", "orchestra", "--workflow"], "--workflow needs a value (ID)")
      // @effect/cli would take a repeatable option without its value as not given at all
      yield* refused(["export", "cloudflare", "--workflow", "w", "--instance"], "--instance needs a value (ID)")
    }))

  it.effect("an option given twice, or an empty id: refused from the spec, before the command is parsed", () =>
    Effect.gen(function*() {
      yield* refused(["export", "orchestra", "--workflow", "a", "--workflow", "b"], "--workflow is given twice; give it once")
      yield* refused(["export", "orchestra", "--workflow", "a", "--quiet", "--quiet"], "--quiet is given twice; give it once")
      yield* refused(["export", "orchestra", "--workflow", "a", "--run", " "], "--run must not be empty")
      yield* refused(["export", "orchestra", "--workflow", "a", "--redact", ""], "--redact must not be empty")
      yield* refused(["emulator", "--extra-token", ""], "--extra-token must not be empty")
    }))

  it.effect("a path that is not a regular file", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-usage-"))
      yield* refused(["export", "orchestra", "--workflow", "w", "--out", dir], `--out: ${dir} is not a regular file`)
    }))

  it.effect("a built-in option is read wherever it stands, and does not hide the real mistake", () =>
    Effect.gen(function*() {
      yield* refused(["emulator", "--port", "99999", "--log-level", "debug"], "--port must be between 0 and 65535, got 99999")
      yield* refused(["--log-level", "debug", "export", "cloudfare"], `unknown provider "cloudfare" for export; did you mean cloudflare?`)
      yield* refused(["export", "orchestra", "--workflow", "w", "--log-level=debug", "--acount"], "unknown option --acount for export orchestra; see steptrail export orchestra --help")
    }))

  it.effect("--log-level is taken after a command's own options too, and the command runs", () =>
    Effect.gen(function*() {
      const before = yield* run(["--log-level", "debug", "schema"])
      const after = yield* run(["schema", "--log-level", "debug"])
      expect([before.code, after.code]).toEqual([0, 0])
      expect(after.stderr).toBe("")
      expect(JSON.parse(after.stdout).$schema).toBe("http://json-schema.org/draft-07/schema#")
      expect(after.stdout).toBe(before.stdout)
    }))

  it.scopedLive("--log-level debug, wherever it stands, logs the requests (debug lines)", () =>
    Effect.gen(function*() {
      const server = yield* Effect.acquireRelease(
        Effect.async<http.Server>((resume) => {
          const server = http.createServer((_, res) => res.writeHead(404, { "content-type": "application/json" }).end(`{"detail":"no such workflow"}`))
          server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
        }),
        (server) => Effect.async<void>((resume) => void server.close(() => resume(Effect.void)))
      )
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`
      const env = { ORCHESTRA_API_KEY: "k" }
      const args = ["export", "orchestra", "--base-url", url, "--workflow", "w", "--quiet"]
      const debug = yield* run([...args, "--log-level", "debug"], { env })
      expect(debug.code).toBe(4)
      expect(debug.stderr).toMatch(/^steptrail: debug: GET \/api\/\S+ 404 \d+ms$/m)
      const plain = yield* run(args, { env })
      expect(plain.code).toBe(4)
      expect(plain.stderr).not.toContain("debug:")
    }))

  it.effect("emulator --port outside 0..65535 is a usage error", () =>
    refused(["emulator", "--port", "99999"], "--port must be between 0 and 65535, got 99999"))

  it.effect("--gzip with an --out not ending in .gz is refused before any request", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-usage-"))
      const out = path.join(dir, "plain.ndjson")
      // port 9 (discard) on loopback: nothing listens, so any request would fail with exit 5
      yield* refused(
        ["export", "orchestra", "--base-url", "http://127.0.0.1:9/api", "--workflow", "w", "--gzip", "--out", out, "--quiet"],
        `--gzip writes gzip: name the output FILE.gz, not ${JSON.stringify(out)} (or drop --gzip)`,
        { ORCHESTRA_API_KEY: "k" }
      )
      expect(fs.readdirSync(dir)).toEqual([])
    }))
})

describe("usage errors of every registered provider", () => {
  for (const { label, providers } of registries) {
    it.effect(`its name misspelt, its flags misspelt or missing, its statuses (${label})`, () =>
      Effect.gen(function*() {
        const refusedBy = (argv: ReadonlyArray<string>, line: string) =>
          Effect.gen(function*() {
            const r = yield* run(argv, { providers })
            expect(r.stderr, argv.join(" ")).toBe(`steptrail: ${line}\n`)
            expect(r.code).toBe(2)
          })
        yield* refusedBy(["export", "airflow"], `unknown provider "airflow" for export; use one of ${names(providers)}`)
        for (const p of providers) {
          const typo = p.name.slice(0, -2) + p.name.slice(-1)
          yield* refusedBy(["export", typo, "--workflow", "w"], `unknown provider "${typo}" for export; did you mean ${p.name}?`)
          yield* refusedBy(["export", p.name], `export ${p.name} needs --workflow ${p.workflowPlaceholder ?? "ID"}; see steptrail export ${p.name} --help`)
          yield* refusedBy(["export", p.name, "--workflow", "w", "--workflw"], `unknown option --workflw for export ${p.name}; did you mean --workflow?`)
          yield* refusedBy(["export", p.name, "--workflow", "w", `--${p.runIds.flag}`], `--${p.runIds.flag} needs a value (ID)`)
          yield* refusedBy(["export", p.name, "--workflow", "w", "--format", "xml"], `--format must be one of ndjson, singer; got "xml"`)
        }
      }))
  }
})

describe("Suggest", () => {
  it("counts a swap of neighbours as one edit", () => {
    expect(Suggest.distance("exprot", "export")).toBe(1)
    expect(Suggest.distance("acount-id", "account-id")).toBe(1)
    expect(Suggest.distance("", "abc")).toBe(3)
    expect(Suggest.distance("kitten", "sitting")).toBe(3)
  })

  it("suggests the closest candidate within a third of the word, or the only one it begins", () => {
    const flags = ["--account-id", "--workflow", "--instance", "--status", "--since", "--until", "--full-output"]
    expect(Suggest.closest("--acount-id", flags)).toBe("--account-id")
    expect(Suggest.closest("--WORKFLOW", flags)).toBe("--workflow")
    expect(Suggest.closest("--full", flags)).toBe("--full-output")
    expect(Suggest.closest("--s", flags)).toBe(undefined)
    expect(Suggest.closest("--bogus", flags)).toBe(undefined)
    expect(Suggest.closest("--", flags)).toBe(undefined)
  })
})

describe("Failure: one exit code per kind of error, whoever raises it", () => {
  const code = (error: unknown) => Failure.fromCause(Cause.fail(error)).code

  it("usage errors exit 2, missing credentials 3 (from a flag, the environment or a config file)", () => {
    expect(code(new Failure.UsageError({ message: "bad" }))).toBe(2)
    const missing = new Failure.MissingCredentials({ source: "sources[1] (prod)", variables: ["CF_PROD_TOKEN"] })
    expect(Failure.fromCause(Cause.fail(missing))).toEqual({ code: 3, line: "sources[1] (prod): credentials variable CF_PROD_TOKEN is not set" })
    expect(code(new ProviderError.Unauthorized({ provider: "onepin", detail: "no API key: set ONEPIN_API_KEY" }))).toBe(3)
  })

  it("a --state that cannot be created, read or understood exits 2, as an --out that cannot be created; a failed save 1", () => {
    const state = (reason: "open" | "read" | "invalid" | "write", detail: string) => Failure.fromCause(Cause.fail(new State.StateError({ path: "s.json", reason, detail })))
    expect(state("open", "no such directory")).toEqual({ code: 2, line: "cannot create state file s.json: no such directory" })
    expect(state("read", "permission denied")).toEqual({ code: 2, line: "cannot read state file s.json: permission denied" })
    expect(state("invalid", "not valid JSON").code).toBe(2)
    expect(state("write", "no space left on device")).toEqual({ code: 1, line: "cannot write state file s.json: no space left on device" })
    expect(code(new Output.OutputError({ target: "runs.ndjson", reason: "open", detail: "permission denied" }))).toBe(2)
  })

  it("the emulator's invalid options exit 2, its other failures 1; a parse error 2; an interruption 130", () => {
    expect(code({ _tag: "EmulatorError", reason: "InvalidOptions", message: "port must be <= 65535" })).toBe(2)
    expect(code({ _tag: "EmulatorError", reason: "Listen", message: "address in use" })).toBe(1)
    expect(code(ValidationError.invalidValue(HelpDoc.p("bad")))).toBe(2)
    expect(Failure.fromCause(Cause.interrupt(FiberId.none)).code).toBe(130)
  })
})
