/**
 * Continuous capture of many sources into a database, on `@effect/cluster`: each credential's
 * sources run together in one cluster singleton, so the credential's budget
 * (`RateBudget`, process-wide) is the budget of the whole cluster — wherever the singleton
 * runs, it is the only place that credential is used. Each source is exported again and
 * again into the database (`Store.run` of `@steptrail/export` through `Database.store`): new
 * runs, and runs not yet terminal until they settle, with the source's state committed in
 * the same transaction as its rows. A source that fails is retried with backoff and
 * reported; the other sources go on.
 *
 * A singleton moved to another runner (a runner gone, one added) resumes from what the
 * database holds and upserts, so a run written twice replaces its rows: no key twice. It
 * takes the credential's budget log with it (`Handover`): the requests the last runner made
 * in the window count on the new one.
 *
 * @since 0.4.0
 */
import * as Singleton from "@effect/cluster/Singleton"
import type * as Sharding from "@effect/cluster/Sharding"
import * as SqlClient from "@effect/sql/SqlClient"
import { Database, Tables } from "@steptrail/database"
import { type Export, State, Store } from "@steptrail/export"
import { Context, Deferred, type Duration, Effect, Layer, Metric, Option, Schedule, Stream, SubscriptionRef } from "effect"
import * as Handover from "./Handover.js"

/**
 * A source of `serve`: an export source, and the credential it is fetched with (any text
 * that is equal for two sources exactly when they share a budget, e.g. the provider, the
 * API host and a hash of the secret; never the secret itself).
 *
 * @since 0.4.0
 * @category models
 */
export interface Source extends Export.Source {
  readonly credential: string
}

/**
 * @since 0.4.0
 * @category models
 */
export interface Options extends Omit<Store.Options, "summary" | "stop"> {
  /** The database, as messages name it (`Url.display`). */
  readonly target: string
  /** Between two passes over a source (default 5 seconds). */
  readonly poll?: Duration.DurationInput | undefined
  /** The first wait after a failed pass; it doubles up to `maxBackoff` (default 1 second). */
  readonly backoff?: Duration.DurationInput | undefined
  /** The longest wait between two failed passes (default 5 minutes). */
  readonly maxBackoff?: Duration.DurationInput | undefined
}

/**
 * The sources grouped by credential, in the order they first appear.
 *
 * @since 0.4.0
 * @category grouping
 */
export const groups = (sources: ReadonlyArray<Source>): ReadonlyMap<string, ReadonlyArray<Source>> => {
  const out = new Map<string, Array<Source>>()
  for (const source of sources) {
    const group = out.get(source.credential)
    if (group === undefined) out.set(source.credential, [source])
    else group.push(source)
  }
  return out
}

/**
 * A source's key in `steptrail_sources` (provider/account/workflow), and the `source` label
 * of its metrics and log lines.
 *
 * @since 0.4.0
 * @category grouping
 */
export const keyOf = (source: Export.Source): string => State.sourceKey(source.provider.provider, source.provider.account, source.workflow)

/**
 * The name of a credential's singleton in the cluster (a hash of the credential, so that
 * nothing of it shows in the cluster's tables).
 *
 * @since 0.4.0
 * @category grouping
 */
export const singletonName = (credential: string): string => {
  let h = 0x811c9dc5
  for (let i = 0; i < credential.length; i++) h = Math.imul(h ^ credential.charCodeAt(i), 0x01000193)
  return `steptrail/credential/${(h >>> 0).toString(16).padStart(8, "0")}`
}

/**
 * The name of the gauge of each source's newest committed run (`/metrics` derives the lag from it).
 *
 * @since 0.4.0
 * @category metrics
 */
export const NEWEST = "steptrail_serve_newest_run_seconds"

/**
 * What `serve` reports per source (labelled `source`): passes, runs and records written,
 * failed passes, and the creation time of the newest committed run (for the lag).
 *
 * @since 0.4.0
 * @category metrics
 */
export const metrics = {
  passes: Metric.counter("steptrail_serve_passes_total", { description: "Passes over a source that ended", incremental: true }),
  runs: Metric.counter("steptrail_serve_runs_written_total", { description: "Runs written into the database", incremental: true }),
  records: Metric.counter("steptrail_serve_records_written_total", { description: "Step records written into the database", incremental: true }),
  errors: Metric.counter("steptrail_serve_errors_total", { description: "Passes over a source that failed (retried with backoff)", incremental: true }),
  newest: Metric.gauge(NEWEST, { description: "Creation time of the newest committed run, in Unix seconds" })
}

/**
 * Stops the capture loops of this process gently (`Serve.layer` gives it; `steptrail serve` runs
 * it on SIGTERM before it interrupts the cluster): each source finishes the runs it is fetching,
 * commits them as its progress, and starts no other pass; a source waiting between passes or
 * in backoff starts none either. The next pass (here or on another runner) resumes after them.
 *
 * @since 0.4.0
 * @category draining
 */
export class Drain extends Context.Tag("@steptrail/serve/Serve/Drain")<Drain, {
  /** Asks every capture loop to stop; completes once no pass is running any more. */
  readonly drain: Effect.Effect<void>
  /** Completes once `drain` was asked (what a pass gives `Store.run` as its `stop`). */
  readonly stopping: Effect.Effect<void>
  /** Runs `pass`, counted while it runs; once `drain` was asked none starts (it never completes). */
  readonly pass: <A, E, R>(pass: Effect.Effect<A, E, R>) => Effect.Effect<A, E, R>
}>() {}

/**
 * A `Drain` over the passes run through it.
 *
 * @since 0.4.0
 * @category draining
 */
export const makeDrain: Effect.Effect<Drain["Type"]> = Effect.gen(function*() {
  const stopping = yield* Deferred.make<void>()
  // one reference for both, so that a pass is never started after a drain found none running
  const state = yield* SubscriptionRef.make({ draining: false, passes: 0 })
  const idle = state.changes.pipe(Stream.filter((s) => s.passes === 0), Stream.take(1), Stream.runDrain)
  return Drain.of({
    drain: SubscriptionRef.update(state, (s) => ({ ...s, draining: true })).pipe(
      Effect.zipRight(Deferred.succeed(stopping, undefined)),
      Effect.zipRight(idle)
    ),
    stopping: Deferred.await(stopping),
    pass: (pass) =>
      Effect.uninterruptibleMask((restore) =>
        Effect.flatMap(
          SubscriptionRef.modify(state, (s) => (s.draining ? [false, s] : [true, { ...s, passes: s.passes + 1 }])),
          (started) =>
            started
              ? Effect.ensuring(restore(pass), SubscriptionRef.update(state, (s) => ({ ...s, passes: s.passes - 1 })))
              : restore(Effect.never)
        )
      )
  })
})

/** A failure as one line naming the source (a `SourceError` names it already, by its name in the file). */
const describe = (label: string, error: unknown): string => {
  const text = error instanceof Error ? error.message : String(error)
  return text.startsWith("source ") ? text : `source ${label}: ${text}`
}

/**
 * One source, pass after pass, for as long as the singleton runs or until the process drains
 * (the `Drain` the layer gave the singletons, when there is one).
 */
const capture = <E>(source: Source, store: Store.Store<Database.Row, E>, options: Options): Effect.Effect<never, never, SqlClient.SqlClient> =>
  Effect.flatMap(Effect.serviceOption(Drain), (drain) => captureUntil(source, store, options, Option.getOrUndefined(drain)))

const captureUntil = <E>(
  source: Source,
  store: Store.Store<Database.Row, E>,
  options: Options,
  drain: Drain["Type"] | undefined
): Effect.Effect<never, never, SqlClient.SqlClient> => {
  const label = keyOf(source)
  const tagged = <A extends Metric.Metric<any, any, any>>(metric: A): A => Metric.tagged(metric, "source", label) as A
  const backoff = Schedule.exponential(options.backoff ?? "1 second", 2).pipe(
    Schedule.union(Schedule.spaced(options.maxBackoff ?? "5 minutes"))
  )
  const pass = Effect.gen(function*() {
    const result = yield* Store.run([source], store, { ...options, stop: drain?.stopping })
    yield* Metric.increment(tagged(metrics.passes))
    yield* Metric.incrementBy(tagged(metrics.runs), result.runs)
    yield* Metric.incrementBy(tagged(metrics.records), result.steps)
    // the watermark the pass committed: the creation time of the newest run written
    const sql = yield* SqlClient.SqlClient
    const [row] = yield* Effect.orElseSucceed(
      sql<{ readonly state: unknown }>`SELECT state FROM ${sql(Tables.SOURCES)} WHERE source = ${keyOf(source)}`.withoutTransform,
      () => []
    )
    const state = row?.state == null ? null : (typeof row.state === "string" ? JSON.parse(row.state) : row.state) as State.SourceState
    const newest = state?.watermark == null ? NaN : Date.parse(state.watermark)
    if (Number.isFinite(newest)) yield* Metric.set(tagged(metrics.newest), newest / 1000)
  }).pipe(
    (pass) => (drain === undefined ? pass : drain.pass(pass)),
    // a driver that throws is retried as any failure: one source never stops the others
    Effect.catchAllDefect((defect) => Effect.fail(defect)),
    Effect.tapError((error) =>
      Effect.zipRight(
        Metric.increment(tagged(metrics.errors)),
        Effect.logWarning(`${describe(label, error)}; retrying with backoff`)
      )
    ),
    Effect.retry(backoff),
    // the backoff never ends: only an interruption ends a source
    Effect.catchAll(() => Effect.void)
  )
  // every counter of the source shows from the start, at 0 (a scrape tells "none yet" from "unknown")
  const zero = Effect.forEach([metrics.passes, metrics.runs, metrics.records, metrics.errors], (m) => Metric.incrementBy(tagged(m), 0), { discard: true })
  // a drain ends the wait between two passes at once (the next pass does not start)
  const sleep = Effect.sleep(options.poll ?? "5 seconds")
  const wait = drain === undefined ? sleep : Effect.raceFirst(sleep, drain.stopping)
  return zero.pipe(
    Effect.zipRight(Effect.forever(Effect.zipRight(pass, wait))),
    Effect.annotateLogs("source", label)
  )
}

/**
 * Runs one credential's sources, each on its own fiber, into the database of the
 * `SqlClient` in context (its tables migrated).
 *
 * @since 0.4.0
 * @category running
 */
export const runGroup = (
  sources: ReadonlyArray<Source>,
  options: Options
): Effect.Effect<never, never, SqlClient.SqlClient> =>
  Effect.scoped(Effect.gen(function*() {
    // first in, last out: the credential is let go once its sources have stopped
    const credential = sources[0]?.credential ?? ""
    yield* Handover.hold(singletonName(credential), sources.find((s) => s.provider.budget !== undefined)?.provider.budget)
    // the singleton is this credential's only user in the cluster: a source's row may still
    // name the runner it moved from, which can commit nothing more once it is taken
    const store = yield* Database.store(options.target, { takeOver: true })
    return yield* Effect.forEach(sources, (source) => capture(source, store, options), { concurrency: "unbounded", discard: true }).pipe(
      Effect.zipRight(Effect.never)
    )
  }))

/**
 * One cluster singleton per credential, each running `runGroup` over its sources wherever
 * the cluster places it. The tables are migrated before any singleton is registered. Its
 * `Drain` stops the capture loops of this process (the singletons stay registered until the
 * layer is released).
 *
 * @since 0.4.0
 * @category layers
 */
export const layer = (
  sources: ReadonlyArray<Source>,
  options: Options
): Layer.Layer<Drain, Database.DatabaseError, Sharding.Sharding | SqlClient.SqlClient> =>
  Layer.unwrapEffect(Effect.map(Database.migrate(options.target), () =>
    Layer.mergeAll(
      Layer.empty,
      ...[...groups(sources)].map(([credential, group]) => Singleton.make(singletonName(credential), runGroup(group, options)))
    ).pipe(
      // a singleton runs with the context it was registered in: its capture loops find the drain there
      Layer.provideMerge(Layer.effect(Drain, makeDrain))
    )))
