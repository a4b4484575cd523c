/**
 * An incremental export into a store that keeps rows and state together (a database, see
 * `@steptrail/database`): exactly once by transaction rather than by a partial file.
 *
 * Per source the store holds what a state file holds (`State.SourceState`) and, while an
 * export of the source runs, its progress (`State.Progress`). Runs are chosen as for a state
 * file (`Incremental`): the source's open runs looked up, then the listing from the watermark
 * less the lateness margin, unchanged runs skipped. Their records are turned into rows by the
 * fetching fibers, and handed to the store in batches: each batch is committed in one
 * transaction together with the source's progress, and the source's last batch together with
 * its new state. A crash loses at most the batch in hand; the next export resumes after the
 * last committed run. Rows are keyed by the record key, so a run written again (a resume, a
 * changed run) replaces its rows: the store never holds a key twice.
 *
 * @since 0.3.0
 */
import { ProviderError as PE, type StepRecord, WorkflowProvider } from "@steptrail/core"
import { Deferred, type Duration, Effect, Ref, Schema, type Scope, Stream } from "effect"
import type * as Export from "./Export.js"
import { record, select } from "./internal/items.js"
import * as internal from "./internal/source.js"
import { Window } from "./internal/window.js"
import * as State from "./State.js"
import * as Summary from "./Summary.js"

/**
 * What the store holds of a source when an export takes it.
 *
 * @since 0.3.0
 * @category models
 */
export interface Claimed {
  /** What the last finished export learnt (null before the first). */
  readonly state: State.SourceState | null
  /** Where an interrupted export stood (null when the last export finished). */
  readonly progress: State.Progress | null
}

/**
 * What one commit advances a source to: its progress while the export goes on, or its new
 * state (and no progress) once every run is handled. Neither for explicit run ids, which
 * leave the source's state as it was.
 *
 * @since 0.3.0
 * @category models
 */
export type Advance =
  | { readonly _tag: "Progress"; readonly progress: State.Progress }
  | { readonly _tag: "Done"; readonly state: State.SourceState }
  | { readonly _tag: "Rows" }

/**
 * A destination that writes rows and a source's state in one transaction.
 *
 * @since 0.3.0
 * @category models
 */
export interface Store<Row, E> {
  /** What the summary and messages name (never with a password). */
  readonly target: string
  /** A run's records as rows, with the bytes they hold (made by the fetching fiber). */
  readonly rows: (records: ReadonlyArray<StepRecord.StepRecord>) => { readonly rows: ReadonlyArray<Row>; readonly bytes: number }
  /** Takes the source for this export (refusing one another export holds) and reads its state. */
  readonly claim: (key: string) => Effect.Effect<Claimed, E>
  /** Upserts `rows` and advances the source, in one transaction. */
  readonly commit: (key: string, rows: ReadonlyArray<Row>, advance: Advance) => Effect.Effect<void, E>
  /** Lets the source go (also after a failure; its progress stays for the next export). */
  readonly release: (key: string) => Effect.Effect<void>
}

/**
 * @since 0.3.0
 * @category models
 */
export interface Options extends Omit<Export.Options, "format"> {
  /** Rows committed per transaction, at most (a run's rows are never split; default 2,000). */
  readonly batchRows?: number | undefined
  /** A batch is committed at least this often while runs come (default 1 second). */
  readonly batchMillis?: number | undefined
  /**
   * Completes when the export should wind down (a process asked to stop): no run is started
   * after it, the runs being fetched finish and are committed as the source's progress (not
   * its new state: the next export resumes after them), and no other source is started.
   */
  readonly stop?: Effect.Effect<void> | undefined
}

/**
 * @since 0.3.0
 * @category models
 */
export interface Result extends Summary.Summary {
  /** Runs skipped because an interrupted export had already committed them. */
  resumedRuns: number
  /** Runs skipped because they had not changed since the last export. */
  unchangedRuns: number
  /** Runs that were not terminal when last seen (what a follow waits for). */
  openRuns: number
  /** `stop` ended the export before every run was handled (what was handled is committed). */
  stopped: boolean
}

/**
 * `stop` as a signal that can also be asked whether it is done (a run is not started once it
 * is), for as long as the scope lasts.
 */
const stopSignal = (stop: Effect.Effect<void> | undefined): Effect.Effect<Deferred.Deferred<void> | undefined, never, Scope.Scope> =>
  stop === undefined ? Effect.succeed(undefined) : Effect.tap(Deferred.make<void>(), (signal) =>
    // a stop that is already done is seen before anything starts
    Effect.zipRight(Effect.forkScoped(Effect.zipRight(stop, Deferred.succeed(signal, undefined))), Effect.yieldNow()))

const keyOf = (source: Export.Source) => State.sourceKey(source.provider.provider, source.provider.account, source.workflow)

interface Fetched<Row> {
  readonly run: WorkflowProvider.RunRef
  readonly rows: ReadonlyArray<Row>
  readonly bytes: number
  readonly counts: Summary.Counts
  /** The run's status in the answer its records came from (null without records). */
  readonly runStatus: StepRecord.RunStatus | null
}

/**
 * Exports `sources` into `store`, each source incremental from the state the store holds.
 * With several sources a failing one does not stop the others (what they wrote is committed),
 * then the export fails naming it, as `Incremental.run` does.
 *
 * @since 0.3.0
 * @category running
 */
export const run = <Row, E>(
  sources: ReadonlyArray<Export.Source>,
  store: Store<Row, E>,
  options: Options = {}
): Effect.Effect<Result, PE.ProviderError | Export.SourceError | E> =>
  Effect.gen(function*() {
    const margin = internal.latenessMillis(options)
    const summary = yield* internal.summaryRef(options.summary, () => Summary.empty(store.target), store.target)
    // what only the result tells (the summary counts what a progress display shows)
    const result = { resumedRuns: 0, unchangedRuns: 0, openRuns: 0, stopped: false }
    const stop = yield* stopSignal(options.stop)
    const maxRows = Math.max(1, options.batchRows ?? 2000)
    const every = options.batchMillis ?? 1000

    const fetch = (source: Export.Source, run: WorkflowProvider.RunRef) =>
      Effect.map(WorkflowProvider.collect(internal.recordsOf(source, run, options)), (records): Fetched<Row> => {
        const made = store.rows(records)
        const byStatus: Partial<Record<StepRecord.Status, number>> = {}
        for (const r of records) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1
        return { run, runStatus: records.at(-1)?.run_status ?? null, rows: made.rows, bytes: made.bytes, counts: { steps: records.length, byStatus } }
      })

    const exportSource = (source: Export.Source) =>
      Effect.flatMap(stop === undefined ? Effect.succeed(false) : Deferred.isDone(stop), (stopped) => {
        // asked to stop before this source began: it is not taken at all
        if (stopped) return Effect.sync(() => void (result.stopped = true))
        return Effect.acquireUseRelease(
          Effect.succeed(keyOf(source)),
          (key) => Effect.flatMap(internal.isExplicit(source) ? Effect.succeed<Claimed>({ state: null, progress: null }) : store.claim(key), (claimed) => exportClaimed(source, key, claimed)),
          (key) => (internal.isExplicit(source) ? Effect.void : store.release(key))
        )
      })

    const exportClaimed = (source: Export.Source, key: string, claimed: Claimed) =>
      Effect.gen(function*() {
        const explicit = internal.isExplicit(source)
        const p = { ...(claimed.progress ?? { key, passed: 0, last: null, done: false, next: null }) }
        result.resumedRuns += p.passed
        const old = new Window(margin, claimed.state)
        const window = new Window(margin, p.next ?? { ...State.emptySource, watermark: claimed.state?.watermark ?? null })
        let batch: Array<Row> = []
        let last = Date.now()
        const flush = (done: boolean) =>
          Effect.suspend(() => {
            const rows = batch
            batch = []
            last = Date.now()
            const advance: Advance = explicit
              ? { _tag: "Rows" }
              : done
              ? { _tag: "Done", state: window.toState() }
              : { _tag: "Progress", progress: { ...p, next: window.toState() } }
            return explicit && rows.length === 0 ? Effect.void : store.commit(key, rows, advance)
          })
        // a batch is committed when full, or when `batchMillis` have passed since the last commit
        const due = Effect.suspend(() => (batch.length >= maxRows || (batch.length > 0 && Date.now() - last >= every) ? flush(false) : Effect.void))
        const add = (fetched: Fetched<Row> | undefined) =>
          Effect.suspend(() => {
            if (fetched === undefined) return due
            for (const row of fetched.rows) batch.push(row)
            return Effect.zipRight(
              Ref.update(summary, (s) => ({ ...Summary.add(s, fetched.run.provider, fetched.counts, true), bytes: s.bytes + fetched.bytes })),
              due
            )
          })
        const pipeline = <I>(items: Stream.Stream<I, PE.ProviderError>, work: (item: I) => Effect.Effect<Fetched<Row>, PE.ProviderError> | undefined, after: (item: I, fetched: Fetched<Row> | undefined) => void) =>
          internal.inOrder(items, work, options.concurrency, (item, fetched) => Effect.zipRight(Effect.sync(() => after(item, fetched)), add(fetched)), stop).pipe(
            Effect.tap((finished) => Effect.sync(() => void (finished || (result.stopped = true))))
          )

        if (explicit) {
          yield* pipeline(internal.lookedUp(source, internal.explicitIds(source)), (run) => fetch(source, run), (run) => {
            if (!run.terminal) result.openRuns++
          })
          return yield* flush(true)
        }
        const { items, unchanged } = select(source, old, p.passed, p.last)
        const finished = yield* pipeline(
          items,
          (item) => (item.run === null || unchanged(item) ? undefined : fetch(source, item.run)),
          (item, fetched) => {
            p.passed++
            p.last = item.id
            if (item.run !== null && fetched === undefined) result.unchangedRuns++
            record(window, old, item, fetched && { steps: fetched.counts.steps, runStatus: fetched.runStatus })
          }
        ).pipe(
          // a provider failure: what was handled before it is committed, so the next export resumes there
          Effect.tapError((e) => (Schema.is(PE.ProviderError)(e) ? Effect.ignore(flush(false)) : Effect.void))
        )
        // stopped: what was handled is progress, and the next export resumes after it
        yield* flush(finished)
        result.openRuns += window.openRuns().length
      })

    const failures = yield* internal.eachSource(sources, exportSource)
    if (failures.length > 0) return yield* Effect.fail(internal.failureOf(sources, failures))
    return { ...(yield* Ref.get(summary)), ...result } satisfies Result
  }).pipe(Effect.scoped)

/**
 * @since 0.3.0
 * @category models
 */
export interface FollowOptions extends Options {
  /** Between two exports (default 5 seconds). */
  readonly poll?: Duration.DurationInput | undefined
  /** Stop following after this long (default: until every run is terminal). */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * Follow mode into a store: `run`, then `run` again every `poll` while some run is not
 * terminal. Each pass fetches the runs that changed and replaces their rows, so a run's rows
 * follow its steps as they progress; the summary counts every pass. Ends when every run is
 * terminal, at `timeout` (what was committed stays), or at `stop` (the pass under way ends as
 * `run` does, and no other starts; the result says `stopped`).
 *
 * @since 0.3.0
 * @category running
 */
export const follow = <Row, E>(
  sources: ReadonlyArray<Export.Source>,
  store: Store<Row, E>,
  options: FollowOptions = {}
): Effect.Effect<Result, PE.ProviderError | Export.SourceError | E> =>
  Effect.gen(function*() {
    // one summary counts every pass
    const summary = options.summary ?? (yield* Ref.make(Summary.empty(store.target)))
    const stop = yield* stopSignal(options.stop)
    const pass = run(sources, store, { ...options, summary, stop: stop && Deferred.await(stop) })
    let result = yield* pass
    const sleep = Effect.sleep(options.poll ?? "5 seconds")
    const loop = Effect.gen(function*() {
      while (result.openRuns > 0 && !result.stopped) {
        yield* stop === undefined ? sleep : Effect.raceFirst(sleep, Deferred.await(stop))
        if (stop !== undefined && (yield* Deferred.isDone(stop))) result = { ...result, stopped: true }
        else result = yield* pass
      }
    })
    if (options.timeout === undefined) yield* loop
    else yield* Effect.timeoutOption(loop, options.timeout)
    return result
  }).pipe(Effect.scoped)
