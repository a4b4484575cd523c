import { describe, expect, it, layer } from "@effect/vitest"
import { StepRecord } from "@steptrail/core"
import { Emulator } from "@steptrail/emulator"
import { Effect, Schema } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { lines, runWithEnv as run, stderrLines } from "./inProcess.js"


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
    ["unknown provider", { sources: [{ provider: "airflow", workflow: "w" }] }, /sources\[0\]\.provider must be one of cloudflare, orchestra, onepin; got "airflow"/],
    ["missing workflow", { sources: [{ provider: "orchestra" }] }, /sources\[0\]\.workflow/],
    ["a typo in a key", { sources: [{ provider: "cloudflare", workflow: "w", acount_id: "x" }] }, /sources\[0\]\.acount_id: is not a known key/],
    ["a bad env var name", { sources: [{ provider: "onepin", workflow: "w", credentials: { key_env: "not a name" } }] }, /sources\[0\]\.credentials\.key_env: must be an environment variable name/],
    ["a bad concurrency", { sources: [{ provider: "orchestra", workflow: "w" }], concurrency: 0 }, /concurrency/],
    ["a since that is not an instant", { sources: [{ provider: "orchestra", workflow: "w", since: "soon 1" }] }, /sources\[0\]\.since must be an ISO 8601 date or time.*"soon 1"/],
    ["an until that is not an instant", { sources: [{ provider: "onepin", workflow: "w", until: "2026-13-45" }] }, /sources\[0\]\.until must be an ISO 8601/],
    [
      "a bad since in a later source, before any source's credentials are looked up",
      { sources: [{ provider: "orchestra", workflow: "w", credentials: { key_env: "STEPTRAIL_TEST_UNSET_VAR" } }, { provider: "onepin", workflow: "w", since: "soon 1" }] },
      /sources\[1\]\.since must be/
    ],
    ["a bad rate limit", { sources: [{ provider: "orchestra", workflow: "w", rate_limit: "fast" }] }, /rate_limit must look like/],
    ["a missing file", null, /cannot read/]
  ]
  for (const [title, config, message] of cases) {
    it.effect(`${title}: exit 2 with one line naming the problem`, () =>
      Effect.gen(function*() {
        const file = config === null ? "/nonexistent/steptrail.json" : write(config)
        const r = yield* run(["export", "--config", file])
        expect(r.code).toBe(2)
        expect(r.stdout).toBe("")
        expect(stderrLines(r)).toHaveLength(1)
        expect(r.stderr).toMatch(message)
      }))
  }

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
      for (const p of ["cloudflare", "orchestra", "onepin"]) expect(r.stderr).toMatch(new RegExp(`${p}: \\d+ runs`))
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
