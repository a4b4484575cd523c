/**
 * `steptrail serve` in process against the emulator with live runs of every provider: the
 * table ends equal to a clean `export --config` of the settled runs, row by row; stopped and
 * started again it resumes; and its usage errors.
 */
import { describe, expect, it } from "@effect/vitest"
import { Emulator } from "@steptrail/emulator"
import { Effect, Fiber } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { spawn } from "node:child_process"
import { SqliteClient } from "@effect/sql-sqlite-node"
import * as SqlClient from "@effect/sql/SqlClient"
import { BIN } from "./cli.js"
import { canonical, emulatorSources, ndjson, sqliteRecords } from "./databaseRows.js"
import { runWithEnv as run, stderrLines } from "./inProcess.js"

const TOKEN = "serve-cli-token"
const ENV = { CLOUDFLARE_API_TOKEN: TOKEN, ORCHESTRA_API_KEY: TOKEN, ONEPIN_API_KEY: TOKEN }

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-cli-serve-"))

const writeConfig = (dir: string, info: Emulator.Info) => {
  const file = path.join(dir, "sources.json")
  fs.writeFileSync(file, JSON.stringify({ sources: emulatorSources(info) }))
  return file
}

/** The built CLI (`pnpm build`) in a process of its own. */
const start = (args: ReadonlyArray<string>) => {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? "", ...ENV }, stdio: ["ignore", "pipe", "pipe"] })
  const err: Array<Buffer> = []
  child.stderr!.on("data", (c: Buffer) => err.push(c))
  const done = Effect.async<{ code: number | null; stderr: string }>((resume) => {
    child.once("close", (code) => resume(Effect.succeed({ code, stderr: Buffer.concat(err).toString() })))
  })
  return { child, done, stderr: () => Buffer.concat(err).toString() }
}

/** The emulator's clock past every live run's end, a minute at a time. */
const settleAll = (emulator: Emulator.Emulator) =>
  Effect.gen(function*() {
    const { cloudflare, orchestra, onepin } = emulator.fixtures
    const live = [...cloudflare.live, ...orchestra.live, ...onepin.live]
    const last = Math.max(...live.map((r) => Date.parse(r.settledAt)))
    for (let i = 0; i < 300 && (yield* emulator.now) <= last; i++) {
      yield* emulator.advance(60_000)
      yield* Effect.sleep("30 millis")
    }
    return new Set(live.map((r) => r.id))
  })

/** The table's records, none while the file or its tables are not there yet. */
const rowsOf = (file: string) => fs.existsSync(file) ? Effect.catchAllDefect(sqliteRecords(file), () => Effect.succeed([])) : Effect.succeed([])

/** Polls the table until it equals `expected` (bounded). */
const waitForTable = (file: string, expected: ReadonlyArray<unknown>) =>
  Effect.gen(function*() {
    let table = yield* rowsOf(file)
    for (let i = 0; i < 150 && canonical(table) !== canonical(expected); i++) {
      yield* Effect.sleep("200 millis")
      table = yield* rowsOf(file)
    }
    return table
  })

describe("steptrail serve --out sqlite:PATH", () => {
  it.scopedLive("captures every source, live runs until they settle: the table equals a clean export row by row; restarted, it loses nothing", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.start({ token: TOKEN, seed: 31, cloudflare: { instances: 15, live: 2 }, orchestra: { runs: 8, live: 2 }, onepin: { runs: 8, live: 2 } })
      const dir = tempDir()
      const config = writeConfig(dir, emulator.info)
      const file = path.join(dir, "steps.db")
      const args = ["serve", "--config", config, "--out", `sqlite:${file}`, "--poll-interval", "1"]
      const first = yield* Effect.fork(run(args, ENV))
      // some rows of runs still in flight
      let running = false
      for (let i = 0; i < 150 && !running; i++) {
        yield* Effect.sleep("100 millis")
        running = (yield* rowsOf(file)).some((r) => r.run_status === "running")
      }
      expect(running).toBe(true)
      // stopped while runs are in flight, then started again
      yield* Fiber.interrupt(first)
      const second = yield* Effect.fork(run(args, ENV))
      const live = yield* settleAll(emulator)
      const clean = yield* run(["export", "--config", config, "--quiet"], ENV)
      expect(clean.code).toBe(0)
      const expected = ndjson(clean.stdout)
      const table = yield* waitForTable(file, expected)
      yield* Fiber.interrupt(second)
      expect(table.length).toBeGreaterThan(100)
      expect(new Set(table.map((x) => x.provider))).toEqual(new Set(["cloudflare", "orchestra", "onepin"]))
      expect(table).toEqual(expected)
      expect(new Set(table.map((x) => JSON.stringify([x.provider, x.account, x.workflow, x.run_id, x.step_index]))).size).toBe(table.length)
      // the live runs were followed until they settled
      expect(live.size).toBe(6)
      const liveRows = table.filter((x) => live.has(x.run_id as string))
      expect(new Set(liveRows.map((x) => x.run_id))).toEqual(live)
      expect(liveRows.filter((x) => x.run_status === "running")).toEqual([])
    }), 180_000)

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

  it.effect("needs a database and a HOST:PORT: no --out, a file --out, a bad --listen are usage errors (exit 2), one line each", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const config = path.join(dir, "sources.json")
      fs.writeFileSync(config, JSON.stringify({ sources: [{ provider: "orchestra", workflow: "wf", base_url: "http://127.0.0.1:9/" }] }))
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, RegExp]> = [
        [[], /serve needs a database: --out sqlite:PATH, or out in the config file/],
        [["--out", path.join(dir, "steps.ndjson")], /serve writes into a database, sqlite:PATH or postgres:\/\/…; got --out/],
        [["--out", `sqlite:${path.join(dir, "x.db")}`, "--poll-interval", "0"], /--poll-interval must be between 1 and 3600 seconds, got 0/],
        [["--out", `sqlite:${path.join(dir, "x.db")}`, "--stop-timeout", "0"], /--stop-timeout must be between 1 and 3600 seconds, got 0/],
        [["--out", `sqlite:${path.join(dir, "x.db")}`, "--listen", "9464"], /--listen must be HOST:PORT, e\.g\. 127\.0\.0\.1:9464 or \[::1\]:0; got "9464"/]
      ]
      for (const [extra, message] of cases) {
        const r = yield* run(["serve", "--config", config, ...extra], ENV)
        expect(r.code).toBe(2)
        expect(stderrLines(r)).toHaveLength(1)
        expect(r.stderr).toMatch(message)
      }
    }), 60_000)
})
