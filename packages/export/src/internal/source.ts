/**
 * What every export does with a source: the runs it names, each run fetched, redacted and
 * encoded by the fiber that fetched it, and written in listing order through the ordered
 * pipeline; and what one failing source does to the others.
 */
import { Pagination, ProviderError as PE, type StepRecord, WorkflowProvider } from "@steptrail/core"
import { Chunk, Clock, Deferred, Duration, Effect, Exit, Option, Ref, Schema, Stream } from "effect"
import type * as Output from "../Output.js"
import * as Redaction from "../Redaction.js"
import * as Summary from "../Summary.js"
import * as encoding from "./encode.js"

/**
 * One workflow of one provider, and which of its runs to export (`Export.Source`, declared
 * here so that the pipeline does not import its public module).
 */
export interface SourceLike {
  readonly provider: WorkflowProvider.Service
  readonly workflow: string
  /** Explicit run ids (each exported once, in the order given); when empty, every run matching `filter`. */
  readonly runIds?: ReadonlyArray<string> | undefined
  readonly filter?: WorkflowProvider.RunFilter | undefined
  /** Overrides `Options.fullOutput` for this source. */
  readonly fullOutput?: boolean | undefined
  /** A label: every failure of this source names it (see `SourceError`). */
  readonly name?: string | undefined
}

/** What of the options the pipeline reads (the part of `Export.Options` a run's fetch uses). */
export interface FetchOptions {
  /** Runs fetched at once (per source). */
  readonly concurrency?: number | undefined
  readonly fullOutput?: boolean | undefined
  /** Values replaced with `"[REDACTED]"` in every record before it is written. */
  readonly redact?: ReadonlyArray<Redaction.Path> | undefined
  /** `ndjson` (the default): one record per line; `singer`: Singer messages (see `Singer`). */
  readonly format?: encoding.Format | undefined
}

/** How long after a later-created run a run may still appear in a listing. */
/**
 * The summary an export counts into, named for its output: the caller's (which a progress
 * display may be reading), or a new one.
 */
export const summaryRef = <S extends Summary.Summary>(
  summary: Ref.Ref<S> | undefined,
  empty: () => S,
  output: string
): Effect.Effect<Ref.Ref<S>> =>
  summary === undefined
    ? Ref.make({ ...empty(), output })
    : Effect.as(Ref.update(summary, (s) => ({ ...s, output })), summary)

/** Counts a run's records (counted where they were encoded) into the summary. */
export const countRun = <S extends Summary.Summary>(
  summary: Ref.Ref<S>,
  provider: string,
  counts: Summary.Counts,
  newRun = true
): Effect.Effect<void> => Ref.update(summary, (s) => Summary.add(s, provider, counts, newRun))

/** The summary as it ends, with the bytes the output took. */
export const finalSummary = <S extends Summary.Summary>(summary: Ref.Ref<S>, bytes: number): Effect.Effect<S> =>
  Ref.updateAndGet(summary, (s) => ({ ...s, bytes }))

export const DEFAULT_LATENESS = Duration.minutes(10)

export const latenessMillis = (options: { readonly lateness?: Duration.DurationInput | undefined }): number =>
  Duration.toMillis(Duration.decode(options.lateness ?? DEFAULT_LATENESS))

export const writeText = (output: Output.Output, text: string): Effect.Effect<void, Output.OutputError> =>
  text === "" ? Effect.void : output.write(Buffer.from(text, "utf8"))

/** Ids looked up per request (a provider that can look up several at once gets them together). */
const LOOKUP_BATCH = 100

export const isExplicit = (source: SourceLike): boolean => source.runIds !== undefined && source.runIds.length > 0

/** The source's explicit ids, each once, in the order first given. */
export const explicitIds = (source: SourceLike): ReadonlyArray<string> => [...new Set(source.runIds ?? [])]

/** The locators of runs that have one, by id, for `lookup`. */
export const locatorsOf = (
  runs: Iterable<{ readonly id: string; readonly locator?: string | null | undefined }>
): ReadonlyMap<string, string> | undefined => {
  let locators: Map<string, string> | undefined
  for (const run of runs) {
    if (run.locator != null) (locators ??= new Map()).set(run.id, run.locator)
  }
  return locators
}

/** Runs by id, looked up a batch at a time as they are pulled. */
export const lookedUp = (source: SourceLike, ids: ReadonlyArray<string>): Stream.Stream<WorkflowProvider.RunRef, PE.ProviderError> =>
  Stream.fromIterable(ids).pipe(
    Stream.grouped(LOOKUP_BATCH),
    Stream.mapEffect((batch) => source.provider.lookup(source.workflow, Chunk.toReadonlyArray(batch))),
    Stream.flattenIterables
  )

/**
 * The listing, each run once (offset paging over a listing that grows can repeat a run),
 * the next page fetched while this one is worked on.
 */
export const listing = (
  source: SourceLike,
  filter: WorkflowProvider.RunFilter | undefined
): Stream.Stream<WorkflowProvider.RunRef, PE.ProviderError> =>
  source.provider.runs(source.workflow, filter).pipe(
    Pagination.distinct((run) => run.id),
    Stream.bufferChunks({ capacity: 1 })
  )

export const stepOptions = (source: SourceLike, options: FetchOptions): WorkflowProvider.StepOptions => ({
  fullOutput: source.fullOutput ?? options.fullOutput ?? false
})

/** A run's records as the provider gives them (a chunk per page), redacted when asked. */
export const recordsOf = (
  source: SourceLike,
  run: WorkflowProvider.RunRef,
  options: FetchOptions
): Stream.Stream<StepRecord.StepRecord, PE.ProviderError> => {
  const redact = options.redact !== undefined && options.redact.length > 0 ? Redaction.apply(options.redact) : undefined
  const records = WorkflowProvider.stepStream(source.provider, run, stepOptions(source, options))
  return redact === undefined ? records : Stream.map(records, redact)
}

/**
 * A run's records as encoded bytes, with their counts: each page is encoded as it comes, so
 * the records themselves are not kept.
 */
export const encoded = (
  source: SourceLike,
  run: WorkflowProvider.RunRef,
  options: FetchOptions
): Effect.Effect<Fetched, PE.ProviderError> =>
  Effect.flatMap(Clock.currentTimeMillis, (now) => {
    const encoder = encoding.encoder(options.format ?? "ndjson", new Date(now).toISOString())
    let runStatus: StepRecord.RunStatus | null = null
    return Stream.runForEachChunk(recordsOf(source, run, options), (page) =>
      Effect.sync(() => {
        encoder.add(page)
        runStatus = Chunk.last(page).pipe(Option.map((r) => r.run_status), Option.getOrElse(() => runStatus))
      })).pipe(Effect.map((): Fetched => ({ run, runStatus, ...encoder.done() })))
  })

export interface Fetched extends encoding.Encoded {
  readonly run: WorkflowProvider.RunRef
  /** The run's status in the answer its records came from (null without records). */
  readonly runStatus: StepRecord.RunStatus | null
}

export const writeChunks = (output: Output.Output, chunks: ReadonlyArray<Uint8Array>): Effect.Effect<void, Output.OutputError> =>
  chunks.length === 1 ? output.write(chunks[0]!) : Effect.forEach(chunks, output.write, { discard: true })

/**
 * Fetches the items that need it (`concurrency` at once) and writes each run's records in the
 * items' order, then tells `after`. `Stream.mapEffect` keeps the order and bounds what waits
 * by count (the runs in flight and its buffer); a byte budget on top of it made no measurable
 * difference (docs/performance.md, "Fifth round").
 */
export const writeInOrder = <I, F extends encoding.Encoded, E, R>(options: {
  readonly items: Stream.Stream<I, PE.ProviderError>
  readonly fetch: (item: I) => Effect.Effect<F, PE.ProviderError> | undefined
  readonly output: Output.Output
  readonly fetchOptions: FetchOptions
  readonly after: (item: I, fetched: F | undefined) => Effect.Effect<void, E, R>
}): Effect.Effect<void, PE.ProviderError | Output.OutputError | E, R> =>
  Effect.asVoid(inOrder(options.items, options.fetch, options.fetchOptions.concurrency, (item, fetched) => {
    const written = fetched === undefined || fetched.bytes === 0
      ? options.after(item, fetched)
      : Effect.zipRight(writeChunks(options.output, fetched.chunks), options.after(item, fetched))
    // a run with a value that could not be written is written and recorded, then stops the
    // export: a resume goes on after it rather than failing on it again
    return fetched?.unwritable === undefined ? written : Effect.zipRight(written, Effect.fail(fetched.unwritable))
  }))

/**
 * Fetches the items that need it (`concurrency` at once) and hands each to `each` in the
 * items' order. A failed fetch waits its turn, so the items before it are handed on first.
 *
 * With `stop`: once it is done no item is started any more and the items are not pulled
 * further (a listing page in flight is dropped), while the ones already being fetched finish
 * and are handed on. The result tells whether every item was handed on (false: stopped first).
 */
export const inOrder = <I, F, E, R>(
  items: Stream.Stream<I, PE.ProviderError>,
  fetch: (item: I) => Effect.Effect<F, PE.ProviderError> | undefined,
  concurrency: number | undefined,
  each: (item: I, fetched: F | undefined) => Effect.Effect<void, E, R>,
  stop?: Deferred.Deferred<void>
): Effect.Effect<boolean, PE.ProviderError | E, R> => {
  type Handed = readonly [I, Exit.Exit<F | undefined, PE.ProviderError>]
  const started = (item: I): Effect.Effect<Handed> => {
    const work = fetch(item)
    const exit: Effect.Effect<Exit.Exit<F | undefined, PE.ProviderError>> = work === undefined ? Effect.succeed(Exit.succeed(undefined)) : Effect.exit(work)
    return Effect.map(exit, (exit) => [item, exit] as const)
  }
  const handed = ([item, exit]: Handed): Effect.Effect<void, PE.ProviderError | E, R> =>
    Exit.isFailure(exit) ? Effect.failCause(exit.cause) : each(item, exit.value)
  const parallel = { concurrency: Math.max(1, concurrency ?? 4) }
  if (stop === undefined) return Effect.as(Stream.runForEach(Stream.mapEffect(items, started, parallel), handed), true)
  // the stop ends the pulling of pages; an item already pulled (the rest of a page, one that
  // waited for a fetch to end) is not started once it is done, and ends the stream there. The
  // end marker passes only if nothing was left out.
  return Effect.suspend(() => {
    let finished = false
    return Stream.concat(Stream.map(items, Option.some), Stream.succeed(Option.none<I>())).pipe(
      Stream.interruptWhen(Deferred.await(stop)),
      Stream.mapEffect((next): Effect.Effect<Handed | "skipped" | "ended"> =>
        Option.isNone(next)
          ? Effect.succeed("ended" as const)
          : Effect.flatMap(Deferred.isDone(stop), (done): Effect.Effect<Handed | "skipped"> => (done ? Effect.succeed("skipped" as const) : started(next.value))), parallel),
      Stream.takeWhile((step): step is Handed | "ended" => step !== "skipped"),
      Stream.runForEach((step) => (step === "ended" ? Effect.sync(() => void (finished = true)) : handed(step))),
      Effect.map(() => finished)
    )
  })
}

/** Writes every run of `runs` (fetched, encoded) in order, then tells `after`. */
export const writeRuns = <E, R>(
  source: SourceLike,
  runs: Stream.Stream<WorkflowProvider.RunRef, PE.ProviderError>,
  output: Output.Output,
  options: FetchOptions,
  after: (run: WorkflowProvider.RunRef, fetched: Fetched) => Effect.Effect<void, E, R>
): Effect.Effect<void, PE.ProviderError | Output.OutputError | E, R> =>
  writeInOrder({
    items: runs,
    fetch: (run) => encoded(source, run, options),
    output,
    fetchOptions: options,
    after: (run, fetched) => after(run, fetched!)
  })

/**
 * A source's failure, named. `failed` of the export's `sources` failed; the others were
 * exported and their records committed.
 *
 * @since 0.2.0
 * @category errors
 */
export class SourceError extends Schema.TaggedError<SourceError>()("SourceError", {
  source: Schema.String,
  error: PE.ProviderError,
  failed: Schema.Int,
  sources: Schema.Int
}) {
  override get message() {
    const others = this.sources > 1
      ? ` (${this.failed} of ${this.sources} sources failed${this.failed < this.sources ? "; the others were exported" : ""})`
      : ""
    return `source ${this.source}: ${this.error.message}${others}`
  }

  /** The exit code of the underlying provider error. */
  get exitCode(): 1 | 2 | 3 | 4 | 5 {
    return PE.exitCode(this.error)
  }
}

export const label = (source: SourceLike): string => source.name ?? `${source.provider.provider}/${source.workflow}`

/**
 * Runs `f` for every source in turn. One source alone fails as its error (named when the
 * source has a name). With several, a failing source does not stop the others: the result
 * lists the failures, for the caller to commit what was written and then fail.
 */
export const eachSource = <S extends SourceLike, E, R>(
  sources: ReadonlyArray<S>,
  f: (source: S, index: number) => Effect.Effect<void, PE.ProviderError | E, R>
): Effect.Effect<ReadonlyArray<{ readonly index: number; readonly error: PE.ProviderError }>, PE.ProviderError | SourceError | E, R> =>
  Effect.gen(function*() {
    const failures: Array<{ readonly index: number; readonly error: PE.ProviderError }> = []
    for (let index = 0; index < sources.length; index++) {
      const source = sources[index]!
      const result = yield* f(source, index).pipe(Effect.catchIf(Schema.is(PE.ProviderError), (error) => Effect.succeed(error)))
      if (result === undefined) continue
      if (sources.length === 1) {
        return yield* (source.name === undefined ? Effect.fail(result) : Effect.fail(failureOf(sources, [{ index, error: result }])))
      }
      // the first failure is the export's error line; the others are logged as they happen
      if (failures.length > 0) yield* Effect.logWarning(`source ${label(source)} failed: ${result.message}`)
      failures.push({ index, error: result })
    }
    return failures
  })

/** The error an export with failed sources ends with: the first failure, named. */
export const failureOf = (
  sources: ReadonlyArray<SourceLike>,
  failures: ReadonlyArray<{ readonly index: number; readonly error: PE.ProviderError }>
): SourceError => {
  const first = failures[0]!
  return new SourceError({ source: label(sources[first.index]!), error: first.error, failed: failures.length, sources: sources.length })
}
