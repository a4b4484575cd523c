import { describe, expect, it } from "@effect/vitest"
import type { Layer } from "effect"
import * as SqlClient from "@effect/sql/SqlClient"
import { Database, Tables } from "@steptrail/database"
import { State } from "@steptrail/export"
import { Effect, Exit } from "effect"
import * as os from "node:os"
import { expected, provider, record, tableRecords } from "./fake.js"

const ids = (n: number) => Array.from({ length: n }, (_, i) => `run-${i}`)
const KEY = State.sourceKey("cloudflare", "0123456789abcdef0123456789abcdef", "wf")
const TARGET = "sqlite:test.db"

const truth = (n: number, steps: number, running: ReadonlySet<string> = new Set(), account: string | null = "0123456789abcdef0123456789abcdef") =>
  expected(ids(n).flatMap((id) => Array.from({ length: steps }, (_, s) => record(id, s, account, running.has(id), s === steps - 1))))

// JSON text in SQLite, parsed already from jsonb in PostgreSQL
const parsed = (v: unknown): any => (typeof v === "string" ? JSON.parse(v) : v)

const sourceRow = (key: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    Effect.map(
      sql<{ state: unknown; progress: unknown; owner: string | null }>`SELECT state, progress, owner FROM steptrail_sources WHERE source = ${key}`
        .withoutTransform,
      (rows) => rows[0]
    ))

/** The behaviour every database must show; `fresh` gives a client of an empty database. */
export const suite = (name: string, fresh: () => Layer.Layer<SqlClient.SqlClient, unknown>) =>
describe(`Database.run into ${name}`, () => {
  it.live("creates the tables through the migrator and holds every record once, equal to the NDJSON of the same export, with the state beside it", () =>
    Effect.gen(function*() {
      const p = provider({ ids: () => ids(30), steps: 3 })
      const result = yield* Database.run([{ provider: p, workflow: "wf" }], TARGET, { batchRows: 10 })
      expect(result.runs).toBe(30)
      expect(result.steps).toBe(90)
      expect(yield* tableRecords).toEqual(truth(30, 3))
      const row = yield* sourceRow(KEY)
      expect(row?.owner).toBeNull()
      expect(row?.progress).toBeNull()
      expect(parsed(row!.state).watermark).toBe("2026-01-01T00:29:00.000Z")
      expect(yield* Tables.layout).toBe(Tables.LAYOUT)
    }).pipe(Effect.provide(fresh())))

  it.live("a rerun fetches nothing unchanged; a run that changed is updated in place, never a key twice", () =>
    Effect.gen(function*() {
      let running = new Set(["run-28", "run-29"])
      let n = 30
      const p = provider({ ids: () => ids(n), steps: 2, running: () => running })
      yield* Database.run([{ provider: p, workflow: "wf" }], TARGET)
      expect(yield* tableRecords).toEqual(truth(30, 2, running))
      const before = p.calls.steps
      running = new Set()
      n = 32
      const again = yield* Database.run([{ provider: p, workflow: "wf" }], TARGET)
      // the two runs that settled and the two new ones
      expect(p.calls.steps - before).toBe(4)
      expect(again.unchangedRuns).toBeGreaterThan(0)
      expect(yield* tableRecords).toEqual(truth(32, 2))
    }).pipe(Effect.provide(fresh())))

  it.live("a provider failure keeps what was committed; the next export resumes after the last committed run and ends equal to a clean export", () =>
    Effect.gen(function*() {
      const failing = provider({ ids: () => ids(40), steps: 2, failAfter: 25 })
      const exit = yield* Effect.exit(Database.run([{ provider: failing, workflow: "wf" }], TARGET, { batchRows: 4, concurrency: 1 }))
      expect(Exit.isFailure(exit)).toBe(true)
      const row = yield* sourceRow(KEY)
      const progress = parsed(row!.progress)
      expect(progress.passed).toBe(25)
      expect(row?.owner).toBeNull()
      expect((yield* tableRecords).length).toBe(50)
      const p = provider({ ids: () => ids(40), steps: 2 })
      const result = yield* Database.run([{ provider: p, workflow: "wf" }], TARGET)
      expect(result.resumedRuns).toBe(25)
      expect(p.calls.steps).toBe(15)
      expect(yield* tableRecords).toEqual(truth(40, 2))
      expect((yield* sourceRow(KEY))?.progress).toBeNull()
    }).pipe(Effect.provide(fresh())))

  it.live("a null account is stored as '' in the key: exported twice, still one row per record", () =>
    Effect.gen(function*() {
      const p = provider({ ids: () => ids(5), steps: 2, account: null })
      yield* Database.run([{ provider: p, workflow: "wf", runIds: ids(5) }], TARGET)
      yield* Database.run([{ provider: p, workflow: "wf", runIds: ids(5) }], TARGET)
      const sql = yield* SqlClient.SqlClient
      const accounts = yield* sql<{ account: string; n: number }>`SELECT account, CAST(count(*) AS integer) AS n FROM steptrail_steps GROUP BY account`.withoutTransform
      expect(accounts).toEqual([{ account: "", n: 10 }])
      expect(yield* tableRecords).toEqual(truth(5, 2, new Set(), null))
    }).pipe(Effect.provide(fresh())))

  it.live("a source another live export holds is refused (exit 2); one left by a process that no longer runs is taken over", () =>
    Effect.gen(function*() {
      const p = provider({ ids: () => ids(3), steps: 1 })
      yield* Database.run([{ provider: p, workflow: "wf" }], TARGET)
      const sql = yield* SqlClient.SqlClient
      const hold = (pid: number) =>
        sql`UPDATE steptrail_sources SET owner = ${JSON.stringify({ pid, host: os.hostname(), started_at: "2026-01-01T00:00:00Z", token: "x" })}`
          .withoutTransform
      yield* hold(process.ppid) // a process that runs
      const refused = yield* Effect.flip(Database.run([{ provider: p, workflow: "wf" }], TARGET))
      expect(refused._tag).toBe("DatabaseError")
      expect((refused as Database.DatabaseError).reason).toBe("busy")
      expect((refused as Database.DatabaseError).exitCode).toBe(2)
      expect(refused.message).toContain(`pid ${process.ppid}`)
      yield* hold(2 ** 22 + 1) // above any pid this machine gives
      const result = yield* Database.run([{ provider: p, workflow: "wf" }], TARGET)
      expect(result.unchangedRuns).toBe(3)
      expect((yield* sourceRow(KEY))?.owner).toBeNull()
    }).pipe(Effect.provide(fresh())))

  it.live("a store that takes over (serve) takes a source from another such store, never from a live export; the one that lost it commits nothing more", () =>
    Effect.gen(function*() {
      yield* Database.migrate(TARGET)
      const progress = { _tag: "Progress", progress: { key: KEY, passed: 0, last: null, done: false, next: null } } as const
      const first = yield* Database.store(TARGET, { takeOver: true })
      yield* first.claim(KEY)
      const second = yield* Database.store(TARGET, { takeOver: true })
      yield* second.claim(KEY)
      expect(JSON.parse((yield* sourceRow(KEY))!.owner!).takeOver).toBe(true)
      const lost = yield* Effect.flip(first.commit(KEY, first.rows([record("run-0", 0, "a", false, true)]).rows, progress))
      expect(lost.reason).toBe("busy")
      expect(yield* tableRecords).toEqual([])
      yield* second.commit(KEY, [], progress)
      // a live export (no takeOver) is not taken from
      const sql = yield* SqlClient.SqlClient
      yield* sql`UPDATE steptrail_sources SET owner = ${JSON.stringify({ pid: process.ppid, host: os.hostname(), started_at: "2026-01-01T00:00:00Z", token: "x" })}`
        .withoutTransform
      const third = yield* Database.store(TARGET, { takeOver: true })
      const refused = yield* Effect.flip(third.claim(KEY))
      expect(refused.reason).toBe("busy")
    }).pipe(Effect.scoped, Effect.provide(fresh())))

  it.live("tables of a later layout are refused (exit 2) and left untouched", () =>
    Effect.gen(function*() {
      const p = provider({ ids: () => ids(2), steps: 1 })
      yield* Database.run([{ provider: p, workflow: "wf" }], TARGET)
      const sql = yield* SqlClient.SqlClient
      yield* sql`INSERT INTO steptrail_migrations (migration_id, name) VALUES (${Tables.LAYOUT + 1}, 'from_the_future')`.withoutTransform
      const refused = yield* Effect.flip(Database.run([{ provider: provider({ ids: () => ids(4), steps: 1 }), workflow: "wf" }], TARGET))
      expect(refused.message).toContain(`layout ${Tables.LAYOUT + 1}`)
      expect((refused as Database.DatabaseError).exitCode).toBe(2)
      expect((yield* tableRecords).length).toBe(2)
    }).pipe(Effect.provide(fresh())))

  it.live("a table of another layout (made by hand, unknown to the migrations) is refused (exit 2), nothing written", () =>
    Effect.gen(function*() {
      const sql = yield* SqlClient.SqlClient
      yield* sql`CREATE TABLE steptrail_steps (id integer)`.withoutTransform
      const refused = yield* Effect.flip(Database.run([{ provider: provider({ ids: () => ids(2), steps: 1 }), workflow: "wf" }], TARGET))
      expect(refused._tag).toBe("DatabaseError")
      expect((refused as Database.DatabaseError).exitCode).toBe(2)
      expect(refused.message).toMatch(/not of the layout this version writes/)
      const count = yield* sql<{ n: number }>`SELECT CAST(count(*) AS integer) AS n FROM steptrail_steps`.withoutTransform
      expect(count).toEqual([{ n: 0 }])
    }).pipe(Effect.provide(fresh())))
})
