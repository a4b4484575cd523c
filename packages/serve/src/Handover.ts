/**
 * A credential handed from one runner to the next with its budget's log. The server counts
 * a credential's requests whoever made them; a runner that starts using a credential another
 * runner used a moment ago (a singleton moved, a process restarted) must count those requests
 * too, or it spends a budget that is already spent and gets 429s.
 *
 * The holder keeps a row of `steptrail_credentials`: who holds it, a heartbeat, and the log of
 * its `RateBudget` (`snapshot`), written every `BEAT` and a last time, marked released, when
 * it lets go. The next holder waits until the row is released (a singleton stopping on its old
 * runner) or its heartbeat is older than `STALE` (a runner killed outright, or on this host a
 * holder whose process is gone), then `restore`s the log into its own budget. Of a holder that
 * died, the requests of its last beat interval were never written: as many again as it made
 * in the interval before are counted for it.
 *
 * @since 0.4.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { RateBudget } from "@steptrail/core"
import { Tables } from "@steptrail/database"
import { Lock } from "@steptrail/export"
import { Cause, Clock, Duration, Effect, Fiber, Schedule, Schema, type Scope } from "effect"
import * as os from "node:os"

/**
 * How often the holder writes its heartbeat and log.
 *
 * @since 0.4.0
 * @category settings
 */
export const BEAT = Duration.seconds(1)

/**
 * A holder whose heartbeat is older than this is gone.
 *
 * @since 0.4.0
 * @category settings
 */
export const STALE = Duration.seconds(5)

/**
 * The longest wait for a live holder to let go; past it the credential is taken anyway (a
 * holder stuck while stopping), with a warning.
 *
 * @since 0.4.0
 * @category settings
 */
export const PATIENCE = Duration.seconds(30)

const Snapshot = Schema.parseJson(Schema.Struct({ starts: Schema.Array(Schema.Number), pausedUntil: Schema.Number }))
const Holder = Schema.parseJson(Schema.Struct({ host: Schema.String, pid: Schema.Number, token: Schema.String }))
type Holder = typeof Holder.Type

interface Row {
  readonly holder: string
  readonly heartbeat_at: string
  readonly released_at: string | null
  readonly budget: string
}

const reason = (cause: Cause.Cause<unknown>): string => {
  const e = Cause.squash(cause)
  return (e instanceof Error ? e.message : String(e)).split("\n")[0]!
}

/** Whether a holder on this host still runs (another host's is judged by its heartbeat alone). */
const running = (holder: Holder): boolean => {
  if (holder.host !== os.hostname()) return true
  return holder.pid === process.pid || Lock.processRuns(holder.pid)
}

/**
 * The requests a holder that died may have made unseen: as many as it made in the beat
 * interval before its last heartbeat, counted one interval after it.
 *
 * @since 0.4.0
 * @category handover
 */
export const unseen = (snapshot: RateBudget.Snapshot, heartbeat: number): RateBudget.Snapshot => {
  const beat = Duration.toMillis(BEAT)
  const recent = snapshot.starts.filter((t) => t > heartbeat - beat).length
  return { starts: [...snapshot.starts, ...Array.from({ length: recent }, () => heartbeat + beat)], pausedUntil: snapshot.pausedUntil }
}

/**
 * Holds the credential `name` for as long as the scope lasts: waits for the last holder to
 * let go (or to be gone), counts its requests in `budget`, then writes the log every `BEAT`
 * and a last time, released, when the scope closes (close it once the credential's requests
 * have ended). Database failures are logged and never stop the sources: the budget then
 * holds for this runner alone.
 *
 * @since 0.4.0
 * @category handover
 */
export const hold = (
  name: string,
  budget: RateBudget.RateBudget | undefined
): Effect.Effect<void, never, SqlClient.SqlClient | Scope.Scope> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const me = Schema.encodeSync(Holder)({ host: os.hostname(), pid: process.pid, token: Math.random().toString(36).slice(2, 12) })
    const snapshot = budget === undefined
      ? Effect.succeed<RateBudget.Snapshot>({ starts: [], pausedUntil: 0 })
      : budget.snapshot
    const read = sql<Row>`SELECT holder, heartbeat_at, released_at, budget FROM ${sql(Tables.CREDENTIALS)} WHERE credential = ${name}`
      .withoutTransform.pipe(Effect.map((rows) => rows[0]))

    const clock = Clock.currentTimeMillis
    // the last holder lets go, or is gone
    const started = yield* clock
    let told = false
    let last: Row | undefined
    for (;;) {
      last = yield* read
      if (last === undefined || last.released_at !== null) break
      const holder = Schema.decodeOption(Holder)(last.holder)
      const at = yield* clock
      const age = at - Date.parse(last.heartbeat_at)
      if (holder._tag === "None" || !running(holder.value) || !(age < Duration.toMillis(STALE))) break
      if (at - started > Duration.toMillis(PATIENCE)) {
        yield* Effect.logWarning(`credential ${name}: its last runner has not let go in ${Duration.format(PATIENCE)}; taking it`)
        break
      }
      if (!told) {
        told = true
        yield* Effect.logInfo(`credential ${name}: waiting for the runner that holds it to let go`)
      }
      yield* Effect.sleep("200 millis")
    }

    // its requests, counted here
    if (last !== undefined && budget !== undefined) {
      const logged = Schema.decodeOption(Snapshot)(last.budget)
      if (logged._tag === "Some") {
        const gone = last.released_at === null
        yield* budget.restore(gone ? unseen(logged.value, Date.parse(last.heartbeat_at)) : logged.value)
      }
    }

    const now = Effect.map(clock, (t) => new Date(t).toISOString())
    const log = Effect.map(snapshot, (s) => Schema.encodeSync(Snapshot)(s))
    const write = (released: boolean) =>
      Effect.flatMap(Effect.all([log, now]), ([text, at]) =>
        sql`UPDATE ${sql(Tables.CREDENTIALS)} SET heartbeat_at = ${at}, budget = ${text}, released_at = ${released ? at : null} WHERE credential = ${name} AND holder = ${me} RETURNING credential`
          .withoutTransform)
    yield* Effect.flatMap(Effect.all([log, now]), ([text, at]) =>
      sql`INSERT INTO ${sql(Tables.CREDENTIALS)} (credential, holder, heartbeat_at, released_at, budget) VALUES (${name}, ${me}, ${at}, NULL, ${text})
        ON CONFLICT (credential) DO UPDATE SET holder = excluded.holder, heartbeat_at = excluded.heartbeat_at, released_at = NULL, budget = excluded.budget`
        .withoutTransform)

    let lost = false
    const beat = yield* Effect.forkScoped(
      write(false).pipe(
        Effect.flatMap((rows) =>
          rows.length > 0 || lost ? Effect.void : Effect.zipRight(
            Effect.sync(() => (lost = true)),
            Effect.logWarning(`credential ${name}: another runner took it over (this runner was thought gone)`)
          )
        ),
        Effect.catchAllCause((cause) => Effect.logDebug(`credential ${name}: heartbeat not written: ${reason(cause)}`)),
        Effect.repeat(Schedule.spaced(BEAT))
      )
    )
    // the heartbeat stops first: a beat after the release would mark the credential held again
    yield* Effect.addFinalizer(() => Fiber.interrupt(beat).pipe(Effect.zipRight(write(true)), Effect.timeout("5 seconds"), Effect.ignore))
  }).pipe(
    Effect.catchAllCause((cause) =>
      Cause.isInterruptedOnly(cause)
        ? Effect.failCause(cause as Cause.Cause<never>)
        : Effect.logWarning(`credential ${name}: its hand-over record cannot be used (${reason(cause)}); its budget holds for this runner alone`)
    )
  )
