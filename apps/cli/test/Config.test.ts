import { FileSystem } from "@effect/platform"
import { SystemError } from "@effect/platform/Error"
import { describe, expect, it, layer } from "@effect/vitest"
import { StepRecord } from "@steptrail/core"
import { Emulator } from "@steptrail/emulator"
import { Effect, Schema } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { providers } from "../src/Providers.js"
import * as SourcesConfig from "../src/SourcesConfig.js"
import * as AcmeServer from "./fixtures/AcmeServer.js"
import { lines, run as runWith, runWithEnv as run, stderrLines } from "./inProcess.js"
import { names, registries } from "./registries.js"
import { outRelativeTo } from "../src/commands/Common.js"


const TOKEN = "config-token-31b"
const decode = Schema.decodeUnknownSync(StepRecord.StepRecord)
const write = (config: unknown) => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-config-")), "steptrail.json")
  fs.writeFileSync(file, typeof config === "string" ? config : JSON.stringify(config, null, 2))
  return file
}

describe("export --config: validation", () => {
  const cases: Array<[string, unknown, RegExp]> = [
    ["not JSON", "{ sources: ", /not valid JSON/],
    ["no sources", {}, /sources/],
    ["empty sources", { sources: [] }, /sources/],
    ["unknown provider", { sources: [{ provider: "airflow", workflow: "w" }] }, new RegExp(`sources\\[0\\]\\.provider must be one of ${names(providers)}; got "airflow"`)],
    ["missing workflow", { sources: [{ provider: "orchestra" }] }, /sources\[0\]\.workflow/],
    ["a typo in a key", { sources: [{ provider: "cloudflare", workflow: "w", acount_id: "x" }] }, /sources\[0\]\.acount_id: is not a known key/],
    ["a bad env var name", { sources: [{ provider: "onepin", workflow: "w", credentials: { key_env: "not a name" } }] }, /sources\[0\]\.credentials\.key_env: must be an environment variable name/],
    ["a bad concurrency", { sources: [{ provider: "orchestra", workflow: "w" }], concurrency: 0 }, /concurrency/],
    ["a since that is not an instant", { sources: [{ provider: "orchestra", workflow: "w", since: "soon 1" }] }, /^steptrail: config \S+: sources\[0\]\.since must be an ISO 8601 date or time.*"soon 1"$/],
    ["an until that is not an instant", { sources: [{ provider: "onepin", workflow: "w", until: "2026-13-45" }] }, /^steptrail: config \S+: sources\[0\]\.until must be an ISO 8601/],
    [
      "a since after the source's until",
      { sources: [{ provider: "orchestra", workflow: "w", since: "2026-02-01", until: "2026-01-01" }] },
      /^steptrail: config \S+: sources\[0\]\.since 2026-02-01T00:00:00\.000Z must be before sources\[0\]\.until 2026-01-01T00:00:00\.000Z: no run was created in between$/
    ],
    [
      "a bad since in a later source, before any source's credentials are looked up",
      { sources: [{ provider: "orchestra", workflow: "w", credentials: { key_env: "STEPTRAIL_TEST_UNSET_VAR" } }, { provider: "onepin", workflow: "w", since: "soon 1" }] },
      /sources\[1\]\.since must be/
    ],
    ["a bad rate limit", { sources: [{ provider: "orchestra", workflow: "w", rate_limit: "fast" }] }, /^steptrail: config \S+: sources\[0\]\.rate_limit must look like/],
    ["a missing file", null, /^steptrail: config \/nonexistent\/steptrail\.json: cannot read: no such file$/]
  ]
  it.effect("the same source twice (under another name) where a state is kept: exit 2 naming both, for export --state, export into a database and serve", () =>
    Effect.gen(function*() {
      const source = { provider: "orchestra", workflow: "w", credentials: { key_env: "DUP_SECRET" } }
      const file = write({ sources: [{ ...source, name: "first" }, { ...source, name: "again" }] })
      const dir = path.dirname(file)
      const cases = [
        ["export", "--config", file, "--state", path.join(dir, "s.json")],
        ["export", "--config", file, "--out", `sqlite:${path.join(dir, "x.db")}`],
        ["serve", "--config", file, "--out", `sqlite:${path.join(dir, "x.db")}`]
      ]
      for (const argv of cases) {
        const r = yield* run(argv, { DUP_SECRET: "s3cret" })
        expect(r.code).toBe(2)
        expect(stderrLines(r)).toEqual([`steptrail: config ${file}: again is the same source as first (orchestra/-/w); list it once`])
      }
    }))

  for (const [title, config, message] of cases) {
    it.effect(`${title}: exit 2 with one line naming the problem`, () =>
      Effect.gen(function*() {
        const file = config === null ? "/nonexistent/steptrail.json" : write(config)
        const r = yield* run(["export", "--config", file])
        expect(r.code).toBe(2)
        expect(r.stdout).toBe("")
        expect(stderrLines(r)).toHaveLength(1)
        expect(stderrLines(r)[0]).toMatch(message)
      }))
  }

  it.effect("--since after --until, or a --since the file's until leaves no time for: exit 2, naming both", () =>
    Effect.gen(function*() {
      const file = write({ sources: [{ provider: "orchestra", workflow: "w", until: "2026-01-01" }] })
      const r = yield* run(["export", "--config", file, "--since", "2026-03-01"])
      expect(r.code).toBe(2)
      expect(stderrLines(r)).toEqual([
        `steptrail: config ${file}: --since 2026-03-01T00:00:00.000Z must be before sources[0].until 2026-01-01T00:00:00.000Z: no run was created in between`
      ])
      const flags = yield* run(["export", "--config", file, "--since", "2026-03-01", "--until", "2026-02-01"])
      expect(flags.code).toBe(2)
      expect(stderrLines(flags)).toEqual([
        `steptrail: config ${file}: --since 2026-03-01T00:00:00.000Z must be before --until 2026-02-01T00:00:00.000Z: no run was created in between`
      ])
      // a mistake of the flag itself is the flag's, without the file's name
      const bad = yield* run(["export", "--config", file, "--until", "soon"])
      expect(stderrLines(bad)).toEqual([`steptrail: --until must be an ISO 8601 date or time, e.g. 2026-01-31 or 2026-01-31T12:00:00Z; got "soon"`])
    }))

  it.effect("a file that cannot be read says why in words, not in Effect's tags", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(SourcesConfig.load("steptrail.json", providers))
      expect(error.message).toBe("config steptrail.json: cannot read: permission denied")
    }).pipe(Effect.provide(FileSystem.layerNoop({
      readFileString: (file) =>
        Effect.fail(new SystemError({ reason: "PermissionDenied", module: "FileSystem", method: "readFileString", pathOrDescriptor: file }))
    }))))

  it.effect("an unset credentials variable exits 3, like credentials missing from the command line", () =>
    Effect.gen(function*() {
      const file = write({ sources: [{ provider: "orchestra", workflow: "w", credentials: { key_env: "STEPTRAIL_TEST_UNSET_VAR" } }] })
      const r = yield* run(["export", "--config", file])
      expect(r.code).toBe(3)
      expect(r.stdout).toBe("")
      expect(stderrLines(r)).toEqual(["steptrail: source sources[0]: credentials variable STEPTRAIL_TEST_UNSET_VAR is not set"])
    }))

  it.effect("export without a provider or --config exits 2", () =>
    Effect.gen(function*() {
      const r = yield* run(["export"])
      expect(r.code).toBe(2)
      expect(r.stderr).toContain("--config")
    }))
})

layer(Emulator.layer({ token: TOKEN, seed: 6, cloudflare: { instances: 12 }, orchestra: { runs: 10 }, onepin: { runs: 10 } }))("export --config against the emulator", (it) => {
  it.effect("exports several sources, each with its own credentials variable, into one output", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.EmulatorTag
      const file = write({
        sources: [
          { name: "prod", provider: "cloudflare", account_id: info.cloudflare.accountId, workflow: info.cloudflare.workflow, base_url: info.cloudflare.baseUrl, status: "complete", full_output: true, credentials: { token_env: "CF_PROD_TOKEN" }, rate_limit: "500/1s" },
          { provider: "orchestra", workflow: info.orchestra.workflow, base_url: info.orchestra.baseUrl, credentials: { key_env: "ORCH_KEY_B" } },
          { provider: "onepin", workflow: info.onepin.workflow, base_url: info.onepin.baseUrl, workspace: info.onepin.workspaceId, credentials: { key_env: "PIN_KEY_C" } }
        ]
      })
      const out = path.join(path.dirname(file), "all.ndjson")
      const r = yield* run(["export", "--config", file, "--out", out], { CF_PROD_TOKEN: TOKEN, ORCH_KEY_B: TOKEN, PIN_KEY_C: TOKEN })
      expect(r.stderr).not.toContain(TOKEN)
      expect(r.code).toBe(0)
      const records = lines(fs.readFileSync(out, "utf8")).map((l) => decode(JSON.parse(l)))
      expect(new Set(records.map((x) => x.provider))).toEqual(new Set(["cloudflare", "orchestra", "onepin"]))
      expect(records.filter((x) => x.provider === "cloudflare").every((x) => x.run_status === "complete" && !(x.status === "complete" && x.output_truncated))).toBe(true)
      expect(new Set(records.map(StepRecord.key)).size).toBe(records.length)
      for (const p of ["cloudflare", "orchestra", "onepin"]) expect(r.stderr).toMatch(new RegExp(`${p}: \\d+ runs?`))
    }))

  it.effect("a wrong key in one source: the others are exported and committed, the exit code and one line name the failure", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.EmulatorTag
      const file = write({
        sources: [
          { provider: "orchestra", workflow: info.orchestra.workflow, base_url: info.orchestra.baseUrl, credentials: { key_env: "GOOD" } },
          { provider: "onepin", workflow: info.onepin.workflow, base_url: info.onepin.baseUrl, credentials: { key_env: "BAD" } }
        ]
      })
      const out = path.join(path.dirname(file), "all.ndjson")
      const r = yield* run(["export", "--config", file, "--out", out, "--quiet"], { GOOD: TOKEN, BAD: "wrong-key-xyz" })
      expect(r.code).toBe(3)
      expect(stderrLines(r)).toEqual([
        `steptrail: source sources[1]: onepin: not authorized (HTTP 401): Invalid or missing API key (unauthorized) (workflow ${info.onepin.workflow}) (1 of 2 sources failed; the others were exported)`
      ])
      expect(r.stderr).not.toContain("wrong-key-xyz")
      // exactly what the good source exports alone
      const alone = yield* run(["export", "orchestra", "--base-url", info.orchestra.baseUrl, "--workflow", info.orchestra.workflow, "--quiet"], { ORCHESTRA_API_KEY: TOKEN })
      expect(alone.code).toBe(0)
      expect(fs.readFileSync(out, "utf8")).toBe(alone.stdout)
      expect(lines(alone.stdout).length).toBeGreaterThan(10)
    }))
})

layer(Emulator.layer({ token: TOKEN, seed: 8, orchestra: { runs: 30 }, onepin: { runs: 30 } }))("export --config: --since, --until and out", (it) => {
  const runsOf = (stdout: string) => new Set(lines(stdout).map((l) => (JSON.parse(l) as { run_id: string }).run_id))

  it.effect("--since and --until apply to every source of the file and win over a source's own", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.EmulatorTag
      const env = { ORCHESTRA_API_KEY: TOKEN, ONEPIN_API_KEY: TOKEN }
      const orchestra = ["export", "orchestra", "--base-url", info.orchestra.baseUrl, "--workflow", info.orchestra.workflow, "--quiet"]
      const onepin = ["export", "onepin", "--base-url", info.onepin.baseUrl, "--workflow", info.onepin.workflow, "--quiet"]
      // a window that holds some of the runs, not all: from the creation times Orchestra lists
      const listed = yield* Effect.promise(() =>
        fetch(`${info.orchestra.baseUrl}/workflows/${info.orchestra.workflow}/runs?limit=100`, { headers: { authorization: `Bearer ${TOKEN}` } })
          .then((r) => r.json() as Promise<ReadonlyArray<{ start_time: string }>>)
      )
      const created = listed.map((r) => r.start_time).sort()
      const since = created[Math.floor(created.length / 3)]!
      const until = created[Math.floor((created.length * 2) / 3)]!
      const window = ["--since", since, "--until", until]
      const expected = new Set([...runsOf((yield* run([...orchestra, ...window], env)).stdout), ...runsOf((yield* run([...onepin, ...window], env)).stdout)])
      expect(expected.size).toBeGreaterThan(0)
      expect(expected.size).toBeLessThan(runsOf((yield* run(orchestra, env)).stdout).size + runsOf((yield* run(onepin, env)).stdout).size)
      const file = write({
        sources: [
          // the file's own window would export nothing: the flags' wins
          { provider: "orchestra", workflow: info.orchestra.workflow, base_url: info.orchestra.baseUrl, since: "2030-01-01", until: "2031-01-01" },
          { provider: "onepin", workflow: info.onepin.workflow, base_url: info.onepin.baseUrl }
        ]
      })
      const r = yield* run(["export", "--config", file, "--quiet", ...window], env)
      expect(r.stderr).toBe("")
      expect(r.code).toBe(0)
      expect(runsOf(r.stdout)).toEqual(expected)
    }))

  it.effect("a relative out in the file is relative to the file's directory, not to where steptrail runs", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.EmulatorTag
      const file = write({ out: "nested/runs.ndjson", sources: [{ provider: "orchestra", workflow: info.orchestra.workflow, base_url: info.orchestra.baseUrl }] })
      fs.mkdirSync(path.join(path.dirname(file), "nested"))
      const r = yield* run(["export", "--config", file], { ORCHESTRA_API_KEY: TOKEN })
      expect(r.code).toBe(0)
      const out = path.join(path.dirname(file), "nested", "runs.ndjson")
      expect(lines(fs.readFileSync(out, "utf8")).length).toBeGreaterThan(10)
      expect(fs.existsSync(path.resolve("nested"))).toBe(false)
      expect(r.stderr).toContain(out)
    }))
})

describe("a config file's out", () => {
  it("is taken from the file's directory: a file path and a sqlite: path; a postgres:// URL and absolute paths as written", () => {
    expect(outRelativeTo("/etc/steptrail", "runs/all.ndjson")).toBe("/etc/steptrail/runs/all.ndjson")
    expect(outRelativeTo("/etc/steptrail", "sqlite:steps.db")).toBe("sqlite:/etc/steptrail/steps.db")
    expect(outRelativeTo("/etc/steptrail", "SQLITE:db/steps.db")).toBe("SQLITE:/etc/steptrail/db/steps.db")
    expect(outRelativeTo("/etc/steptrail", "sqlite:/var/steps.db")).toBe("sqlite:/var/steps.db")
    expect(outRelativeTo("/etc/steptrail", "sqlite:///var/steps.db")).toBe("sqlite:///var/steps.db")
    expect(outRelativeTo("/etc/steptrail", "postgres://u@h/db")).toBe("postgres://u@h/db")
    expect(outRelativeTo("/etc/steptrail", "/var/runs.ndjson")).toBe("/var/runs.ndjson")
  })
})

describe("export --config: the command line over the file", () => {
  // every request answered after SLOW_MS: runs fetched at once arrive within a few
  // milliseconds of one another, runs fetched one by one at least SLOW_MS apart
  const SLOW_MS = 300
  const peakOf = (concurrency: ReadonlyArray<string>, fileConcurrency: number) =>
    Effect.scoped(Effect.gen(function*() {
      const emulator = yield* Emulator.start({ token: TOKEN, seed: 9, orchestra: { runs: 6 }, faults: { slow: 1, slowMs: SLOW_MS } })
      const { info } = emulator
      const file = write({
        concurrency: fileConcurrency,
        sources: [{ provider: "orchestra", workflow: info.orchestra.workflow, base_url: info.orchestra.baseUrl, credentials: { key_env: "ORCH_KEY" } }]
      })
      const r = yield* run(["export", "--config", file, "--quiet", ...concurrency], { ORCH_KEY: TOKEN })
      expect(r.code).toBe(0)
      expect(lines(r.stdout).length).toBeGreaterThan(6)
      return yield* emulator.peakInWindow("orchestra", "0", SLOW_MS / 3, "arrived")
    }))

  it.live("the file's concurrency applies when --concurrency is not given", () =>
    Effect.gen(function*() {
      expect(yield* peakOf([], 1)).toBe(1)
    }), { timeout: 30_000 })

  it.live("an explicit --concurrency wins over the file's", () =>
    Effect.gen(function*() {
      expect(yield* peakOf(["--concurrency", "6"], 1)).toBeGreaterThanOrEqual(4)
    }), { timeout: 30_000 })
})

describe("export --config: a provider registered only here (the guide's Acme)", () => {
  const { providers } = registries[1]!

  it.scopedLive("its sources are read by its descriptor's shape and exported beside the others'", () =>
    Effect.gen(function*() {
      const server = yield* AcmeServer.start({ runs: 3 })
      const file = write({
        sources: [{ provider: "acme", workflow: "nightly", base_url: server.baseUrl, runs: ["run-2"], credentials: { key_env: "ACME_KEY" } }]
      })
      const r = yield* runWith(["export", "--config", file, "--quiet"], { providers, env: { ACME_KEY: AcmeServer.TOKEN } })
      expect(r.code, r.stderr).toBe(0)
      const records = lines(r.stdout).map((l) => decode(JSON.parse(l)))
      expect(records.map((x) => `${x.provider}/${x.run_id}/${x.step_index}`)).toEqual(["acme/run-2/0", "acme/run-2/1"])
      const typo = yield* runWith(["export", "--config", write({ sources: [{ provider: "acme", workflow: "w", acount: "x" }] })], { providers })
      expect(typo.code).toBe(2)
      expect(stderrLines(typo)[0]).toMatch(/sources\[0\]\.acount: is not a known key$/)
      const unknown = yield* runWith(["export", "--config", write({ sources: [{ provider: "airflow", workflow: "w" }] })], { providers })
      expect(stderrLines(unknown)).toEqual([expect.stringContaining(`must be one of ${names(providers)}; got "airflow"`)])
    }))
})
