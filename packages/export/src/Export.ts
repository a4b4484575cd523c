/**
 * The export pipeline: runs of one or more sources, each run's steps fetched (several runs
 * at once), redacted if asked, written as NDJSON (or Singer messages) with every run's
 * records contiguous and in order.
 *
 * Memory is bounded by the runs in flight, not by the size of the export: runs are listed
 * page by page as the writer pulls, and a run's records are released once written.
 *
 * @since 0.1.0
 */
import type { ProviderError as PE, StepRecord, WorkflowProvider } from "@steptrail/core"
import { Chunk, Clock, Effect, Stream } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import * as Ndjson from "./Ndjson.js"
import * as Output from "./Output.js"
import * as Redaction from "./Redaction.js"
import * as Singer from "./Singer.js"
import * as State from "./State.js"
import * as Summary from "./Summary.js"

/**
 * One workflow of one provider, and which of its runs to export.
 *
 * @since 0.1.0
 * @category models
 */
export interface Source {
  readonly provider: WorkflowProvider.Service
  readonly workflow: string
  /** Explicit run ids; when empty, every run matching `filter`. */
  readonly runIds?: ReadonlyArray<string> | undefined
  readonly filter?: WorkflowProvider.RunFilter | undefined
  /** Overrides `Options.fullOutput` for this source. */
  readonly fullOutput?: boolean | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Runs fetched at once (per source). */
  readonly concurrency?: number | undefined
  readonly fullOutput?: boolean | undefined
  /** Values replaced with `"[REDACTED]"` in every record before it is written. */
  readonly redact?: ReadonlyArray<Redaction.Path> | undefined
  /** `ndjson` (the default): one record per line; `singer`: Singer messages (see `Singer`). */
  readonly format?: Format | undefined
  /** Count into this summary as the export goes (a progress display reads it). */
  readonly summary?: Summary.Summary | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export type Format = "ndjson" | "singer"

/**
 * How lines are made: a header written first, a run's records, and bookmarks (`""` when the
 * format has no such line).
 */
interface Encoder {
  readonly header: () => string
  readonly records: (records: ReadonlyArray<StepRecord.StepRecord>, extractedAt: string) => Uint8Array
  readonly state: (value: State.State) => string
}

const encoders: Record<Format, Encoder> = {
  ndjson: { header: () => "", records: (records) => Ndjson.encode(records), state: () => "" },
  singer: {
    header: Singer.schemaLine,
    records: (records, extractedAt) => {
      let text = ""
      for (const record of records) text += Singer.recordLine(record, extractedAt)
      return Buffer.from(text, "utf8")
    },
    state: Singer.stateLine
  }
}

const writeText = (output: Output.Output, text: string) =>
  text === "" ? Effect.void : output.write(Buffer.from(text, "utf8"))

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
 * The runs a source names: its explicit ids (looked up one by one), or its listing. A run
 * listed twice (offset paging while runs are added) is passed on once.
 *
 * @since 0.1.0
 * @category streams
 */
export const runsOf = (source: Source): Stream.Stream<WorkflowProvider.RunRef, PE.ProviderError> => {
  const { provider, workflow } = source
  return isExplicit(source)
    ? Stream.fromIterableEffect(provider.lookup(workflow, source.runIds!))
    : provider.runs(workflow, source.filter)
}

const isExplicit = (source: Source) => source.runIds !== undefined && source.runIds.length > 0

/**
 * Runs fetched as one group: twice the concurrency, at least 32. A group's records are held
 * until its last run is in, so larger groups cost memory (peak RSS of a 20,000-run export:
 * ~270 MiB with 128, ~235 with 32) and bought no measurable speed: the export is CPU-bound.
 */
const groupSize = (concurrency: number) => Math.max(32, concurrency * 2)

/**
 * Every run of the source with its records (redacted when `options.redact` says so), in
 * listing order; `skip` drops runs before any of their steps are fetched.
 *
 * Runs are fetched a group at a time with `Effect.forEach` (`concurrency` at once):
 * `Stream.mapEffect` with concurrency costs about half a millisecond of CPU per run, as much
 * as fetching and decoding it. When a run fails, the runs before it that are already fetched
 * are still passed on, then the failure, exactly as a run-by-run pipeline would.
 *
 * @since 0.1.0
 * @category streams
 */
export const fetch = (
  source: Source,
  options: Options = {},
  skip: (run: WorkflowProvider.RunRef) => boolean = () => false
): Stream.Stream<RunRecords, PE.ProviderError> => {
  const redact = options.redact !== undefined && options.redact.length > 0 ? Redaction.apply(options.redact) : undefined
  const concurrency = Math.max(1, options.concurrency ?? 4)
  const stepOptions = { fullOutput: source.fullOutput ?? options.fullOutput ?? false }
  const one = (run: WorkflowProvider.RunRef) =>
    source.provider.steps(run, stepOptions).pipe(
      Effect.map((records): RunRecords => ({ run, records: redact === undefined ? records : records.map(redact) }))
    )
  const group = (runs: Chunk.Chunk<WorkflowProvider.RunRef>): Stream.Stream<RunRecords, PE.ProviderError> =>
    Stream.unwrap(Effect.suspend(() => {
      const done: Array<RunRecords | undefined> = new Array(runs.length).fill(undefined)
      return Effect.forEach(runs, (run, i) => Effect.map(one(run), (result) => {
        done[i] = result
      }), { concurrency, discard: true }).pipe(
        Effect.matchCause({
          onSuccess: () => Stream.fromIterable(done as Array<RunRecords>),
          onFailure: (cause) => {
            const fetched = done.indexOf(undefined)
            const before = done.slice(0, fetched === -1 ? done.length : fetched) as Array<RunRecords>
            return Stream.concat(Stream.fromIterable(before), Stream.failCause(cause))
          }
        })
      )
    }))
  return runsOf(source).pipe(
    Stream.filter((run) => !skip(run)),
    Stream.rechunk(groupSize(concurrency)),
    // the next group is listed while this one is fetched
    Stream.bufferChunks({ capacity: 1 }),
    Stream.chunks,
    Stream.flatMap(group)
  )
}

/**
 * What `write` is told after each run is in the output.
 */
type AfterRun<E> = (key: string, result: RunRecords) => Effect.Effect<void, E>

const write = <E>(
  sources: ReadonlyArray<Source>,
  output: Output.Output,
  options: Options,
  header: boolean,
  skip: (key: string, source: Source, run: WorkflowProvider.RunRef) => boolean,
  afterRun: AfterRun<E>
): Effect.Effect<Summary.Summary, PE.ProviderError | Output.OutputError | E> =>
  Effect.gen(function*() {
    const encoder = encoders[options.format ?? "ndjson"]
    const summary = options.summary ?? Summary.empty(output.target)
    summary.output = output.target
    if (header) yield* writeText(output, encoder.header())
    for (const source of sources) {
      const key = State.sourceKey(source.provider.provider, source.provider.account, source.workflow)
      yield* fetch(source, options, (run) => skip(key, source, run)).pipe(
        Stream.runForEach((result) =>
          Clock.currentTimeMillis.pipe(
            Effect.flatMap((now) =>
              output.write(encoder.records(result.records, new Date(now).toISOString()))
            ),
            Effect.map(() => Summary.addRun(summary, result.run.provider, result.records)),
            Effect.zipRight(afterRun(key, result))
          )
        )
      )
    }
    return summary
  })

/**
 * Exports every source, one after another, into one output, and commits it. Returns what
 * was written. In the Singer format, one `STATE` message at the end names the runs written.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (
  sources: ReadonlyArray<Source>,
  output: Output.Output,
  options: Options = {}
): Effect.Effect<Summary.Summary, PE.ProviderError | Output.OutputError> =>
  Effect.gen(function*() {
    const encoder = encoders[options.format ?? "ndjson"]
    const written: Record<string, Record<string, State.RunMark>> = {}
    const summary = yield* write(sources, output, options, true, () => false, (key, { records, run }) =>
      Effect.sync(() => {
        if (options.format === "singer") (written[key] ??= {})[run.id] = mark(run, records)
      }))
    yield* writeText(output, encoder.state({ version: State.VERSION, sources: written, pending: null }))
    yield* output.commit
    summary.bytes = output.bytes()
    return summary
  })

/**
 * @since 0.1.0
 * @category models
 */
export interface StateOptions extends Options {
  /** The state file. */
  readonly state: string
  /** `--out`; undefined for stdout. */
  readonly out?: string | undefined
  /** How often confirmed runs are recorded (default every 2 seconds, and at the end). */
  readonly checkpointMillis?: number | undefined
  /** Where stdout goes (tests). */
  readonly stdout?: NodeJS.WritableStream | undefined
  /** Gzip the output (streaming; one gzip member per checkpoint, see `Output.gzip`). */
  readonly gzip?: boolean | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface StateSummary extends Summary.Summary {
  /** Runs skipped because an interrupted export had already written them. */
  resumedRuns: number
  /** Runs skipped because they were terminal when a finished export last saw them. */
  unchangedRuns: number
}

const mark = (run: WorkflowProvider.RunRef, records: ReadonlyArray<unknown>): State.RunMark => ({
  status: run.providerStatus ?? run.status,
  terminal: run.terminal,
  steps: records.length,
  ...(run.version != null ? { version: run.version } : {})
})

/**
 * A run a finished export wrote is unchanged when it was terminal then, or when the provider
 * gives versions and the version is the same (a run stuck waiting is not fetched again).
 */
const unchanged = (seen: State.RunMark | undefined, run: WorkflowProvider.RunRef): boolean =>
  seen !== undefined && (seen.terminal || (seen.version != null && run.version != null && seen.version === run.version))

/**
 * A resumable, incremental export.
 *
 * - Resume: after each checkpoint the output is fsync'd, then the state file records the
 *   bytes and the runs within them. Run again after a crash, the export cuts the output back
 *   to those bytes and continues with the runs not yet written; the final output is the one
 *   an uninterrupted export writes.
 * - Incremental: a new export (none pending) skips the listed runs a finished export saw in a
 *   terminal status, and writes every record of each run it does fetch.
 *
 * @since 0.1.0
 * @category running
 */
export const runWithState = (
  sources: ReadonlyArray<Source>,
  options: StateOptions
): Effect.Effect<StateSummary, PE.ProviderError | Output.OutputError | State.StateError> =>
  Effect.scoped(Effect.gen(function*() {
    const target = options.out === undefined ? "stdout" : path.resolve(options.out)
    const state: { -readonly [K in keyof State.State]: State.State[K] } = { ...(yield* State.load(options.state)) }
    let pending = state.pending
    if (pending !== null && pending.output !== target) {
      return yield* Effect.fail(
        new State.StateError({
          path: options.state,
          reason: "invalid",
          detail: `it holds an unfinished export to ${pending.output}; run that export again to finish it, or delete the state file`
        })
      )
    }
    const summaryOf = (s: Summary.Summary, resumedRuns: number, unchangedRuns: number): StateSummary =>
      Object.assign(s, { resumedRuns, unchangedRuns })
    const outputOptions = { gzip: options.gzip }
    if (pending !== null && pending.finished) {
      // Every record was written; only the rename (and clearing `pending`) may be missing.
      if (options.out !== undefined && fs.existsSync(Output.partialPath(options.out))) {
        const out = yield* Output.resumable(options.out, pending.bytes, outputOptions)
        yield* out.commit
      }
      const runs = Object.values(pending.done).reduce((n, d) => n + Object.keys(d).length, 0)
      yield* State.save(options.state, { ...state, pending: null })
      return summaryOf(Summary.empty(options.out ?? "stdout"), runs, 0)
    }
    if (pending !== null && options.out !== undefined && !fs.existsSync(Output.partialPath(options.out))) {
      pending = null // the partial output is gone: start this export over
    }
    const now = yield* Clock.currentTimeMillis
    const current: State.Pending = pending ?? { output: target, bytes: 0, done: {}, finished: false, started_at: new Date(now).toISOString() }
    const done: Record<string, Record<string, State.RunMark>> = {}
    for (const [k, v] of Object.entries(current.done)) done[k] = { ...v }
    const format = options.format ?? "ndjson"
    if (options.out !== undefined && current.bytes > 0) yield* checkFormat(options.out, format, options.gzip === true)
    const output = options.out === undefined
      ? Output.stdout(options.stdout ?? process.stdout, current.bytes, outputOptions)
      : yield* Output.resumable(options.out, current.bytes, outputOptions)
    const save = (finished: boolean) =>
      Effect.suspend(() => State.save(options.state, { ...state, pending: { ...current, bytes: output.position(), done, finished } }))
    yield* save(false)
    const encoder = encoders[format]
    // Singer bookmarks: a state whose finished runs include every run confirmed so far, so a
    // runner that hands the last one back as `--state` resumes without gaps.
    const bookmarks = Effect.suspend(() => {
      const sources = { ...state.sources }
      for (const [k, runs] of Object.entries(done)) sources[k] = { ...(sources[k] ?? {}), ...runs }
      return writeText(output, encoder.state({ version: State.VERSION, sources, pending: null }))
    })

    let resumedRuns = 0
    let unchangedRuns = 0
    const skip = (key: string, source: Source, run: WorkflowProvider.RunRef) => {
      if (done[key]?.[run.id] !== undefined) return (resumedRuns++, true)
      if (!isExplicit(source) && unchanged(state.sources[key]?.[run.id], run)) return (unchangedRuns++, true)
      return false
    }
    const every = options.checkpointMillis ?? 2000
    let last = now
    const checkpoint = bookmarks.pipe(Effect.zipRight(output.sync), Effect.zipRight(save(false)))
    const afterRun = (key: string, { records, run }: RunRecords) =>
      Effect.gen(function*() {
        ;(done[key] ??= {})[run.id] = mark(run, records)
        const t = yield* Clock.currentTimeMillis
        if (t - last >= every) {
          last = t
          yield* checkpoint
        }
      })

    // A resumed file already starts with the header; a new reader of stdout needs it again.
    const header = options.out === undefined || current.bytes === 0
    const summary = yield* write(sources, output, options, header, skip, afterRun)
    // Finished: record it (with every run seen) before the rename, so a crash between the
    // two is finished by the next run rather than exported again.
    yield* bookmarks
    yield* output.sync
    const sourcesAfter = { ...state.sources }
    for (const [k, runs] of Object.entries(done)) sourcesAfter[k] = { ...(sourcesAfter[k] ?? {}), ...runs }
    state.sources = sourcesAfter
    yield* save(true)
    yield* output.commit
    summary.bytes = output.bytes()
    yield* State.save(options.state, { ...state, pending: null })
    return summaryOf(summary, resumedRuns, unchangedRuns)
  }))

// Appending Singer messages to NDJSON (or the reverse) would leave a file no reader can use.
const checkFormat = (out: string, format: Format, gzip: boolean): Effect.Effect<void, Output.OutputError> =>
  Effect.suspend(() => {
    let head = ""
    try {
      const fd = fs.openSync(Output.partialPath(out), "r")
      const buffer = Buffer.alloc(4096)
      const n = fs.readSync(fd, buffer, 0, buffer.length, 0)
      fs.closeSync(fd)
      const bytes = buffer.subarray(0, n)
      // a sync flush decodes the start of a gzip stream without its end
      head = (gzip ? zlib.gunzipSync(bytes, { finishFlush: zlib.constants.Z_SYNC_FLUSH }) : bytes).toString("utf8", 0, 64)
    } catch {
      return Effect.void // unreadable or not gzip: opening the output reports it
    }
    const found: Format | undefined = head.startsWith("{\"type\":\"SCHEMA\"") ? "singer" : head.startsWith("{") ? "ndjson" : undefined
    return found === undefined || found === format ? Effect.void : Effect.fail(
      new Output.OutputError({
        target: out,
        reason: "open",
        detail: `${Output.partialPath(out)} was begun in the ${found} format; resume with the same format, or delete the state file to start over`
      })
    )
  })
