/**
 * The export pipeline: runs of one or more sources, each run's steps fetched (several runs
 * at once), redacted if asked, written as NDJSON (or Singer messages) with every run's
 * records contiguous and in listing order.
 *
 * Memory is bounded by what is in flight, not by the size of the export: runs are listed
 * page by page as they are needed, at most `concurrency` runs are fetched at once, each
 * encoded page by page as it comes, and runs fetched ahead of one still in flight wait as
 * encoded bytes (a bounded number of them); a run's bytes are released once written.
 *
 * @since 0.1.0
 */
import { type ProviderError as PE, type StepRecord, WorkflowProvider } from "@steptrail/core"
import { type Duration, Effect, type Ref, Stream } from "effect"
import * as encoding from "./internal/encode.js"
import * as internal from "./internal/source.js"
import { markOf, Window } from "./internal/window.js"
import type * as Output from "./Output.js"
import * as State from "./State.js"
import * as Summary from "./Summary.js"

/**
 * One workflow of one provider, and which of its runs to export.
 *
 * @since 0.1.0
 * @category models
 */
export interface Source extends internal.SourceLike {}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends internal.FetchOptions {
  /**
   * Count into this summary as the export goes: a progress display reads its snapshots
   * (`Ref.get`, or a `SubscriptionRef`'s changes). The export returns the final one.
   */
  readonly summary?: Ref.Ref<Summary.Summary> | undefined
  /**
   * Ignored: fetched runs that wait for an earlier one are bounded by count now
   * (`Stream.mapEffect`), a byte budget having made no measurable difference.
   *
   * @deprecated has no effect
   */
  readonly bufferBytes?: number | undefined
  /**
   * How long after a later-created run a run may still appear in a listing (default 10
   * minutes). Listings that follow a watermark start this much before it.
   */
  readonly lateness?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export type Format = encoding.Format

/**
 * @since 0.2.0
 * @category constants
 */
export const DEFAULT_LATENESS: Duration.Duration = internal.DEFAULT_LATENESS

/**
 * @since 0.2.0
 * @category constants
 * @deprecated `bufferBytes` has no effect
 */
export const DEFAULT_BUFFER_BYTES: number = 64 * 1024 * 1024

/**
 * A run and all its records, fetched together so they are written together.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunRecords {
  readonly run: WorkflowProvider.RunRef
  readonly records: ReadonlyArray<StepRecord.StepRecord>
}

/**
 * A failing source, named (see `Source.name`).
 *
 * @since 0.2.0
 * @category errors
 */
export const SourceError = internal.SourceError
/**
 * @since 0.2.0
 * @category errors
 */
export type SourceError = internal.SourceError

/**
 * The runs a source names: its explicit ids (each once, looked up a batch at a time), or its
 * listing (each run once).
 *
 * @since 0.1.0
 * @category streams
 */
export const runsOf = (source: Source): Stream.Stream<WorkflowProvider.RunRef, PE.ProviderError> =>
  internal.isExplicit(source) ? internal.lookedUp(source, internal.explicitIds(source)) : internal.listing(source, source.filter)

/**
 * Every run of the source with its records (redacted when `options.redact` says so), in
 * listing order; `skip` drops runs before any of their steps are fetched. At most
 * `concurrency` runs are fetched at once (`Stream.mapEffect`), handed on in order. When a run
 * fails, the runs before it are passed on, then the failure.
 *
 * @since 0.2.0
 * @category streams
 */
export const runRecords = (
  source: Source,
  options: Options = {},
  skip: (run: WorkflowProvider.RunRef) => boolean = () => false
): Stream.Stream<RunRecords, PE.ProviderError> =>
  runsOf(source).pipe(
    Stream.filter((run) => !skip(run)),
    Stream.mapEffect(
      (run) => Effect.map(WorkflowProvider.collect(internal.recordsOf(source, run, options)), (records): RunRecords => ({ run, records })),
      { concurrency: Math.max(1, options.concurrency ?? 4) }
    )
  )

/**
 * @since 0.1.0
 * @category streams
 * @deprecated renamed `runRecords`: `fetch` hid the global `fetch` where it was imported by name
 */
export const fetch = runRecords

/**
 * Exports every source, one after another, into one output, and commits it. Returns what
 * was written.
 *
 * One source that fails fails the export (nothing is committed). With several, a failing
 * source does not stop the others: the output is committed with every run written, then the
 * export fails with a `SourceError` naming the first failed source. In the Singer format, one
 * `STATE` message at the end holds what a `--state` file would (see `State`): handed back as
 * the state of an incremental export, it skips what this one wrote.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (
  sources: ReadonlyArray<Source>,
  output: Output.Output,
  options: Options = {}
): Effect.Effect<Summary.Summary, PE.ProviderError | Output.OutputError | SourceError> =>
  Effect.gen(function*() {
    const format = options.format ?? "ndjson"
    const summary = yield* internal.summaryRef(options.summary, () => Summary.empty(output.target), output.target)
    yield* internal.writeText(output, encoding.header(format))
    const windows = new Map<string, Window>()
    const failures = yield* internal.eachSource(sources, (source) => {
      const key = State.sourceKey(source.provider.provider, source.provider.account, source.workflow)
      let window = windows.get(key)
      if (window === undefined && format === "singer" && !internal.isExplicit(source)) {
        window = new Window(internal.latenessMillis(options))
        windows.set(key, window)
      }
      return internal.writeRuns(source, runsOf(source), output, options, (run, fetched) =>
        Effect.zipRight(
          internal.countRun(summary, run.provider, fetched.counts),
          Effect.sync(() => window?.add(run, markOf(run, fetched.counts.steps, fetched.runStatus)))
        ))
    })
    if (failures.length === sources.length && sources.length > 0) return yield* Effect.fail(internal.failureOf(sources, failures))
    for (const { index } of failures) {
      const s = sources[index]!
      windows.delete(State.sourceKey(s.provider.provider, s.provider.account, s.workflow))
    }
    const bookmarks: Record<string, State.SourceState> = {}
    for (const [key, window] of windows) bookmarks[key] = window.toState()
    yield* internal.writeText(output, encoding.bookmark(format, { version: State.VERSION, sources: bookmarks, pending: null }))
    yield* output.commit
    const final = yield* internal.finalSummary(summary, output.bytes())
    if (failures.length > 0) return yield* Effect.fail(internal.failureOf(sources, failures))
    return final
  })
