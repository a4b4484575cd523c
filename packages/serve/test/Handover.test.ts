/**
 * A credential's budget handed from one holder to the next through `steptrail_credentials`
 * (SQLite, in process, on the test clock): a holder that lets go hands its log over exactly;
 * a live holder is waited for; one gone silent, or gone from this host, is taken over with the
 * requests of its unseen last beat counted.
 */
import { SqliteClient } from "@effect/sql-sqlite-node"
import * as SqlClient from "@effect/sql/SqlClient"
import { RateBudget } from "@steptrail/core"
import { Database, Tables } from "@steptrail/database"
import { Handover } from "@steptrail/serve"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Exit, Fiber, Layer, Scope, TestClock } from "effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const database = () =>
  Layer.effectDiscard(Database.migrate("sqlite:handover.db")).pipe(
    Layer.provideMerge(SqliteClient.layer({ filename: path.join(fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-handover-")), "h.db") })),
    Layer.orDie
  )

const budget = () => RateBudget.make({ limit: 5, window: Duration.seconds(10) })

/** A row as another runner would have left it. */
const leftBy = (holder: { host: string; pid: number }, heartbeat: number, starts: ReadonlyArray<number>, released: boolean) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => {
    const at = new Date(heartbeat).toISOString()
    return sql`INSERT INTO ${sql(Tables.CREDENTIALS)} (credential, holder, heartbeat_at, released_at, budget)
      VALUES ('c', ${JSON.stringify({ ...holder, token: "t" })}, ${at}, ${released ? at : null}, ${JSON.stringify({ starts, pausedUntil: 0 })})`
  })

const row = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.map(
    sql<{ holder: string; released_at: string | null; budget: string }>`SELECT holder, released_at, budget FROM ${sql(Tables.CREDENTIALS)} WHERE credential = 'c'`,
    (rows) => rows[0]
  ))

describe("Handover", () => {
  it.scoped("a holder that lets go hands its budget log to the next one exactly", () =>
    Effect.gen(function*() {
      const first = yield* budget()
      const scope = yield* Scope.make()
      yield* Handover.hold("c", first).pipe(Scope.extend(scope))
      yield* first.take
      yield* TestClock.adjust("2 seconds")
      yield* first.take
      expect((yield* row)?.released_at).toBeNull()
      yield* Scope.close(scope, Exit.void)
      const released = yield* row
      expect(released?.released_at).not.toBeNull()
      expect(JSON.parse(released!.budget)).toEqual({ starts: [0, 2000], pausedUntil: 0 })
      // the next holder starts with those two requests in its window
      const second = yield* budget()
      yield* Handover.hold("c", second)
      expect((yield* second.snapshot).starts).toEqual([0, 2000])
      expect(JSON.parse((yield* row)!.holder).pid).toBe(process.pid)
    }).pipe(Effect.provide(database())))

  it.scoped("a live holder elsewhere is waited for until it lets go", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("1 minute")
      const now = yield* Clock.currentTimeMillis
      yield* leftBy({ host: "elsewhere", pid: 1 }, now, [now - 500], false)
      const next = yield* budget()
      const waiting = yield* Effect.fork(Handover.hold("c", next))
      yield* TestClock.adjust("1 second")
      expect(waiting.unsafePoll()).toBeNull()
      // it lets go, having made one more request
      const sql = yield* SqlClient.SqlClient
      const at = new Date(yield* Clock.currentTimeMillis).toISOString()
      yield* sql`UPDATE ${sql(Tables.CREDENTIALS)} SET released_at = ${at}, heartbeat_at = ${at}, budget = ${JSON.stringify({ starts: [now - 500, now + 900], pausedUntil: 0 })}`
      yield* TestClock.adjust("200 millis")
      yield* Fiber.join(waiting)
      expect((yield* next.snapshot).starts).toEqual([now - 500, now + 900])
    }).pipe(Effect.provide(database())))

  it.scoped("a holder gone silent is taken once stale, the requests of its last beat counted once more", () =>
    Effect.gen(function*() {
      yield* TestClock.adjust("1 minute")
      const now = yield* Clock.currentTimeMillis
      // two requests in its last beat interval, one long before
      yield* leftBy({ host: "elsewhere", pid: 1 }, now, [now - 5000, now - 600, now - 100], false)
      const next = yield* budget()
      const waiting = yield* Effect.fork(Handover.hold("c", next))
      yield* TestClock.adjust(Duration.subtract(Handover.STALE, Duration.millis(400)))
      expect(waiting.unsafePoll()).toBeNull()
      yield* TestClock.adjust("600 millis")
      yield* Fiber.join(waiting)
      const beat = Duration.toMillis(Handover.BEAT)
      expect((yield* next.snapshot).starts).toEqual([now - 5000, now - 600, now - 100, now + beat, now + beat])
    }).pipe(Effect.provide(database())))

  it.scoped("a holder on this host whose process is gone is taken at once", () =>
    Effect.gen(function*() {
      const gone = spawnSync(process.execPath, ["-e", "0"]).pid
      const now = yield* Clock.currentTimeMillis
      yield* leftBy({ host: os.hostname(), pid: gone }, now, [now], false)
      const next = yield* budget()
      yield* Handover.hold("c", next)
      expect((yield* next.snapshot).starts).toEqual([now, now + Duration.toMillis(Handover.BEAT)])
    }).pipe(Effect.provide(database())))

  it.scoped("a pass of another process in the window makes the next one wait: the restored log holds", () =>
    Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      yield* leftBy({ host: "elsewhere", pid: 1 }, now, [now, now, now, now, now], true)
      const next = yield* budget()
      yield* Handover.hold("c", next)
      const started = yield* Effect.fork(Effect.zipRight(next.take, Clock.currentTimeMillis))
      yield* TestClock.adjust("9 seconds")
      expect(started.unsafePoll()).toBeNull()
      yield* TestClock.adjust("2 seconds")
      expect(yield* Fiber.join(started)).toBe(now + 10_000 + Duration.toMillis(RateBudget.SLACK))
    }).pipe(Effect.provide(database())))
})
