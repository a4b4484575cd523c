/**
 * `steptrail serve` on SQLite as a process of the built CLI, against the emulator with live
 * runs: killed with SIGKILL mid-export and started again it loses nothing; SIGTERM mid-pass
 * finishes the runs in hand, commits them and exits 143.
 */
import { describe, expect, it } from "@effect/vitest"
import { SqliteClient } from "@effect/sql-sqlite-node"
import * as SqlClient from "@effect/sql/SqlClient"
import { Emulator } from "@steptrail/emulator"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { emulatorSources, ndjson } from "../databaseRows.js"
import { runWithEnv as run, stderrLines } from "../inProcess.js"
import { ENV, rowsOf, settleAll, start, tempDir, TOKEN, waitForTable, writeConfig } from "../serveHarness.js"

describe("steptrail serve --out sqlite:PATH, the built CLI", () => {
  it.scopedLive("the built CLI killed with SIGKILL mid-export and started again loses nothing; it serves /healthz and /metrics and logs JSON lines; SIGTERM then ends it with exit 143, no error, every source released", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.start({ token: TOKEN, seed: 37, cloudflare: { instances: 40, live: 2 }, orchestra: { runs: 10, live: 1 }, onepin: { runs: 10, live: 1 }, faults: { slow: 1, slowMs: 20 } })
      const dir = tempDir()
      const config = writeConfig(dir, emulator.info)
      const file = path.join(dir, "steps.db")
      const first = start(["serve", "--config", config, "--out", `sqlite:${file}`, "--poll-interval", "1"])
      let rows = 0
      for (let i = 0; i < 200 && rows === 0; i++) {
        yield* Effect.sleep("50 millis")
        rows = (yield* rowsOf(file)).length
      }
      expect(rows).toBeGreaterThan(0)
      first.child.kill("SIGKILL")
      expect((yield* first.done).code).toBe(null)
      const second = start(["serve", "--config", config, "--out", `sqlite:${file}`, "--poll-interval", "1", "--log-format", "json"])
      yield* settleAll(emulator)
      const clean = yield* run(["export", "--config", config, "--quiet"], ENV)
      const expected = ndjson(clean.stdout)
      const table = yield* waitForTable(file, expected)
      expect(table).toEqual(expected)
      // its endpoints, on the free port it told
      const listening = /listening on (http:\/\/127\.0\.0\.1:\d+) /.exec(second.stderr())
      expect(listening).not.toBe(null)
      const base = listening![1]!
      const health = yield* Effect.promise(() => fetch(`${base}/healthz`))
      expect(health.status).toBe(200)
      const metrics = yield* Effect.promise(() => fetch(`${base}/metrics`).then((r) => r.text()))
      for (const name of ["cloudflare", "orchestra", "onepin"]) {
        const label = `source="${name}/`
        expect(metrics).toMatch(new RegExp(`^steptrail_serve_records_written_total\\{${label}[^}]*\\} [1-9]\\d*$`, "m"))
        expect(metrics).toMatch(new RegExp(`^steptrail_serve_lag_seconds\\{${label}[^}]*\\} \\d`, "m"))
      }
      expect(metrics).toMatch(/^steptrail_requests [1-9]\d*$/m)
      expect(metrics).toMatch(/^# TYPE steptrail_serve_errors_total counter$/m)
      expect(metrics).toMatch(/^steptrail_rate_limited 0$/m)
      expect(metrics).toMatch(/^steptrail_retries \d+$/m)
      expect(metrics).toMatch(/^steptrail_budget_wait_seconds_total\{provider="cloudflare",/m)
      expect((yield* Effect.promise(() => fetch(`${base}/nothing`))).status).toBe(404)
      second.child.kill("SIGTERM")
      const r = yield* second.done
      expect(r.code).toBe(143)
      // JSON lines: the address, then the takeover of what the killed process held (once per source at most)
      const said = stderrLines(r).map((l) => JSON.parse(l) as { level: string; message: string; time: string; source?: string })
      expect(said[0]!.level).toBe("info")
      expect(said[0]!.message).toMatch(/^listening on http:\/\/127\.0\.0\.1:\d+ \(GET \/healthz, GET \/metrics\)$/)
      // and last, the one line that says it is stopping
      expect(said.at(-1)!.level).toBe("info")
      expect(said.at(-1)!.message).toMatch(/^stopping: the runs being fetched are finished and committed, then the shards released \(at most 30 s\)$/)
      expect(said.length).toBeLessThanOrEqual(5)
      for (const line of said.slice(1, -1)) {
        expect(line.level).toBe("warn")
        expect(line.message).toMatch(/^taking over source \S+ from an export that no longer runs$/)
        expect(line.source).toMatch(/^(cloudflare|orchestra|onepin)\//)
        expect(Number.isNaN(Date.parse(line.time))).toBe(false)
      }
      const owners = yield* Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ owner: string | null }>`SELECT owner FROM steptrail_sources`.withoutTransform).pipe(
        Effect.provide(SqliteClient.layer({ filename: file })),
        Effect.orDie
      )
      expect(owners).toHaveLength(3)
      expect(owners.every((o) => o.owner === null)).toBe(true)
    }), 180_000)

  it.scopedLive("the built CLI on SIGTERM mid-pass finishes the runs it is fetching and commits them as progress, says so in one info line and exits 143; started again it ends equal to a clean export", () =>
    Effect.gen(function*() {
      // many slow runs: the signal comes with the first pass far from its end
      const emulator = yield* Emulator.start({ token: TOKEN, seed: 47, cloudflare: { instances: 300, live: 1 }, latency: { minMs: 20, maxMs: 20 } })
      const dir = tempDir()
      const config = path.join(dir, "sources.json")
      fs.writeFileSync(config, JSON.stringify({ sources: emulatorSources(emulator.info).filter((s) => s.provider === "cloudflare") }))
      const file = path.join(dir, "steps.db")
      const args = ["serve", "--config", config, "--out", `sqlite:${file}`, "--poll-interval", "1"]
      const first = start(args)
      let rows = 0
      for (let i = 0; i < 300 && rows === 0; i++) {
        yield* Effect.sleep("50 millis")
        rows = (yield* rowsOf(file)).length
      }
      expect(rows).toBeGreaterThan(0)
      const signalled = Date.now()
      first.child.kill("SIGTERM")
      const r = yield* first.done
      const stopMillis = Date.now() - signalled
      expect(r.code).toBe(143)
      const said = stderrLines(r)
      expect(said).toHaveLength(2)
      expect(said[0]).toMatch(/^steptrail: info: listening on http:\/\/127\.0\.0\.1:\d+ /)
      expect(said[1]).toBe("steptrail: info: stopping: the runs being fetched are finished and committed, then the shards released (at most 30 s)")
      // every run whose instance was asked for is in the table, whole: none was cut off at the signal
      const stats = yield* emulator.stats
      const table = yield* rowsOf(file)
      const committed = new Set(table.map((x) => x.run_id))
      expect(committed.size).toBe(stats.providers.cloudflare.routes.getInstance?.requests)
      expect(committed.size).toBeLessThan(300)
      // as the source's progress, released
      const sources = yield* Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ progress: string | null; owner: string | null }>`SELECT progress, owner FROM steptrail_sources`.withoutTransform).pipe(
        Effect.provide(SqliteClient.layer({ filename: file })),
        Effect.orDie
      )
      expect(sources).toHaveLength(1)
      expect(sources[0]!.progress).not.toBe(null)
      expect(sources[0]!.owner).toBe(null)
      // started again: it resumes after them, and ends equal to a clean export
      const second = start(args)
      yield* settleAll(emulator)
      const clean = yield* run(["export", "--config", config, "--quiet"], ENV)
      const expected = ndjson(clean.stdout)
      expect(yield* waitForTable(file, expected)).toEqual(expected)
      second.child.kill("SIGTERM")
      expect((yield* second.done).code).toBe(143)
      console.log(`serve stopped by SIGTERM mid-pass in ${stopMillis} ms, ${committed.size} runs committed`)
    }), 180_000)
})
