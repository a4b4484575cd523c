/**
 * An export with a state file (`--state`): incremental, and resumable after a crash.
 *
 * - Incremental: per source the state keeps a watermark (the latest creation time seen), the
 *   runs that were not terminal, and the terminal runs created within the lateness margin of
 *   the watermark. The next export lists only runs created since `watermark - lateness` (the
 *   `since` filter), looks up by id the non-terminal runs created before that, and fetches
 *   every run that is new, or was not terminal unless it is unchanged: the same version, or
 *   (looked up by id) the same status word and count of records as when it was written.
 * - Resume (to a file): records go to `FILE.partial`; at each checkpoint the file is fsync'd,
 *   then the state records the bytes and, per source, how many runs of its (fixed) order were
 *   handled. Run again after a crash, the export cuts the file back to those bytes and goes on
 *   after the last run handled; the final file is the one an uninterrupted export writes.
 * - To stdout nothing is recorded until the export ends cleanly: a crash (of the export or of
 *   the reader) leaves the state where it was, and the same command sends everything since
 *   again (at least once; consumers upsert by the record key).
 *
 * The state is saved in the background (atomic, see `State.save`), so a checkpoint does not
 * hold up the export.
 *
 * @since 0.2.0
 */
import { FileSystem } from "@effect/platform"
import { ProviderError as PE } from "@steptrail/core"
import { Clock, Effect, Exit, Fiber, Schema } from "effect"
import * as path from "node:path"
import * as zlib from "node:zlib"
import type * as Export from "./Export.js"
import * as encoding from "./internal/encode.js"
import { record, select } from "./internal/items.js"
import * as internal from "./internal/source.js"
import { Window } from "./internal/window.js"
import * as Output from "./Output.js"
import * as State from "./State.js"
import * as Summary from "./Summary.js"

/**
 * @since 0.2.0
 * @category models
 */
export interface Options extends Export.Options {
  /** The state file. */
  readonly state: string
  /** `--out`; undefined for stdout. */
  readonly out?: string | undefined
  /** How often a file export records its progress (default every 2 seconds, and at the end). */
  readonly checkpointMillis?: number | undefined
  /** Where stdout goes (tests). */
  readonly stdout?: NodeJS.WritableStream | undefined
  /** Gzip the output (streaming; one gzip member per checkpoint, see `Output.gzip`). */
  readonly gzip?: boolean | undefined
}

/**
 * @since 0.2.0
 * @category models
 */
export interface Result extends Summary.Summary {
  /** Runs skipped because an interrupted export had already written them. */
  resumedRuns: number
  /** Runs skipped because they had not changed since the last export. */
  unchangedRuns: number
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] }

const keyOf = (source: Export.Source) => State.sourceKey(source.provider.provider, source.provider.account, source.workflow)

const invalid = (file: string, detail: string) => new State.StateError({ path: file, reason: "invalid", detail })

/**
 * Runs an incremental, resumable export of `sources` into `options.out` (or stdout).
 *
 * @since 0.2.0
 * @category running
 */
export const run = (
  sources: ReadonlyArray<Export.Source>,
  options: Options
): Effect.Effect<Result, PE.ProviderError | Output.OutputError | State.StateError | Export.SourceError, FileSystem.FileSystem> =>
  Effect.scoped(Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const file = options.state
    const target = options.out === undefined ? "stdout" : path.resolve(options.out)
    const loaded = yield* State.load(file)
    const keys = sources.map(keyOf)
    const listed = keys.filter((_, i) => !internal.isExplicit(sources[i]!))
    const twice = listed.find((k, i) => listed.indexOf(k) !== i)
    if (twice !== undefined) return yield* Effect.fail(invalid(file, `two sources of this export keep their state under ${twice}; export them with separate state files`))
    let pending = loaded.pending
    if (pending !== null && pending.output !== target) {
      return yield* Effect.fail(invalid(file, `it holds an unfinished export to ${pending.output}; run that export again to finish it, or delete the state file`))
    }
    const result = (s: Summary.Summary, resumedRuns: number, unchangedRuns: number): Result => ({ ...s, resumedRuns, unchangedRuns })
    const passedIn = (p: State.Pending | null) => (p?.sources ?? []).reduce((n, s) => n + s.passed, 0)
    const partial = options.out === undefined ? undefined : Output.partialPath(options.out)
    const outputOptions = { gzip: options.gzip }
    if (pending !== null && pending.finished) {
      // Every record was written and the new state recorded; only the rename (and clearing
      // `pending`) may be missing.
      if (options.out !== undefined && (yield* fs.exists(partial!).pipe(Effect.orElseSucceed(() => false)))) {
        const out = yield* Output.resumable(options.out, pending.bytes, outputOptions)
        yield* out.commit
      }
      yield* State.save(file, { ...loaded, pending: null })
      return result(Summary.empty(options.out ?? "stdout"), passedIn(pending), 0)
    }
    if (pending !== null && !(yield* fs.exists(partial!).pipe(Effect.orElseSucceed(() => false)))) pending = null // start over
    if (pending !== null && (pending.sources.length !== sources.length || pending.sources.some((p, i) => p.key !== keys[i]))) {
      return yield* Effect.fail(invalid(file, "its unfinished export had other sources; run that export again to finish it, or delete the state file"))
    }

    const margin = internal.latenessMillis(options)
    const format = options.format ?? "ndjson"
    const now = yield* Clock.currentTimeMillis
    const started_at = pending?.started_at ?? new Date(now).toISOString()
    const bytes0 = pending?.bytes ?? 0
    if (options.out !== undefined && bytes0 > 0) yield* checkFormat(options.out, format, options.gzip === true)
    const output = options.out === undefined
      ? Output.stdout(options.stdout ?? process.stdout, 0, outputOptions)
      : yield* Output.resumable(options.out, bytes0, outputOptions)
    if (options.out === undefined) {
      // however it ends, a gzip stream on stdout ends with a closed member
      yield* Effect.addFinalizer((exit) => (Exit.isSuccess(exit) ? Effect.void : Effect.ignore(Effect.timeout(output.flush, "10 seconds"))))
    }
    const progress: Array<Mutable<State.Progress>> = sources.map((_, i) => ({
      ...(pending?.sources[i] ?? { key: keys[i]!, passed: 0, last: null, done: false, next: null })
    }))
    const windows = sources.map((source, i) =>
      internal.isExplicit(source)
        ? undefined
        : new Window(margin, progress[i]!.next ?? { ...State.emptySource, watermark: loaded.sources[keys[i]!]?.watermark ?? null })
    )
    const snapshot = (): State.Pending => ({
      output: target,
      bytes: output.position(),
      started_at,
      finished: false,
      sources: progress.map((p, i) => ({ ...p, next: windows[i]?.toState() ?? null }))
    })
    const toFile = options.out !== undefined
    if (toFile) yield* State.save(file, { ...loaded, pending: snapshot() })

    // Checkpoints: the gzip member is ended here, between runs; the fsync and the save run in
    // the background while the export goes on (the next checkpoint is skipped while one runs).
    // A save in flight is a consistent snapshot: however the export ends, it is let finish.
    let saving: Fiber.RuntimeFiber<void, Output.OutputError | State.StateError> | undefined
    yield* Effect.addFinalizer(() => (saving === undefined ? Effect.void : Effect.asVoid(Fiber.await(saving))))
    const every = options.checkpointMillis ?? 2000
    let last = now
    const checkpoint = Effect.gen(function*() {
      if (saving !== undefined) {
        if (saving.unsafePoll() === null) return
        yield* Fiber.join(saving)
      }
      yield* output.flush
      const at = snapshot()
      saving = yield* Effect.forkDaemon(Effect.zipRight(output.sync, State.save(file, { ...loaded, pending: at })))
    })
    const settle = Effect.suspend(() => (saving === undefined ? Effect.void : Fiber.join(saving)))

    const summary = yield* internal.summaryRef(options.summary, () => Summary.empty(output.target), output.target)
    const resumedRuns = passedIn(pending)
    let unchangedRuns = 0
    if (options.out === undefined || bytes0 === 0) yield* internal.writeText(output, encoding.header(format))

    const tick = toFile
      ? Effect.flatMap(Clock.currentTimeMillis, (t) => {
        if (t - last < every) return Effect.void
        last = t
        return checkpoint
      })
      : Effect.void

    const exportSource = (source: Export.Source, i: number) =>
      Effect.suspend(() => {
        const p = progress[i]!
        if (p.done) return Effect.void
        const window = windows[i]
        const done = Effect.sync(() => {
          p.done = true
        })
        if (window === undefined) {
          // explicit ids: always fetched; the state of the source is left as it is
          const ids = internal.explicitIds(source).slice(p.passed)
          return internal.writeRuns(source, internal.lookedUp(source, ids), output, options, (run, fetched) =>
            Effect.suspend(() => {
              p.passed++
              p.last = run.id
              return Effect.zipRight(internal.countRun(summary, run.provider, fetched.counts), tick)
            })).pipe(Effect.zipRight(done))
        }
        const old = new Window(margin, loaded.sources[keys[i]!])
        const { items, unchanged } = select(source, old, p.passed, p.last)
        return internal.writeInOrder({
          items,
          fetch: (item) => (item.run === null || unchanged(item) ? undefined : internal.encoded(source, item.run, options)),
          output,
          fetchOptions: options,
          after: (item, fetched) =>
            Effect.suspend(() => {
              p.passed++
              p.last = item.id
              if (item.run !== null && fetched === undefined) unchangedRuns++
              record(window, old, item, fetched && { steps: fetched.counts.steps, runStatus: fetched.runStatus })
              return fetched === undefined ? tick : Effect.zipRight(internal.countRun(summary, fetched.run.provider, fetched.counts), tick)
            })
        }).pipe(Effect.zipRight(done))
      })

    // A provider failure stops the writer between two runs: what is written so far is recorded,
    // so the next run resumes right there.
    const lastCheckpoint = Effect.gen(function*() {
      yield* settle
      yield* output.flush
      yield* output.sync
      yield* State.save(file, { ...loaded, pending: snapshot() })
    }).pipe(Effect.catchAll((e) => Effect.logWarning(`could not record the export's progress: ${e.message}`)))
    const failures = yield* internal.eachSource(sources, exportSource).pipe(
      Effect.tapError((e) => (toFile && (e._tag === "SourceError" || Schema.is(PE.ProviderError)(e)) ? lastCheckpoint : Effect.void))
    )
    if (failures.length === sources.length && sources.length > 0) return yield* Effect.fail(internal.failureOf(sources, failures))
    const failed = new Set(failures.map((f) => f.index))
    const next: Record<string, State.SourceState> = { ...loaded.sources }
    windows.forEach((window, i) => {
      if (window !== undefined && !failed.has(i)) next[keys[i]!] = window.toState()
    })
    const committed: State.State = { version: State.VERSION, sources: next, pending: null }
    yield* internal.writeText(output, encoding.bookmark(format, committed))
    yield* settle
    if (toFile) {
      // recorded as finished before the rename, so a crash between the two is finished by the
      // next run rather than exported again
      yield* output.flush
      yield* output.sync
      yield* State.save(file, { ...committed, pending: { ...snapshot(), finished: true } })
    }
    yield* output.commit
    const final = yield* internal.finalSummary(summary, output.bytes())
    yield* State.save(file, committed)
    if (failures.length > 0) return yield* Effect.fail(internal.failureOf(sources, failures))
    return result(final, resumedRuns, unchangedRuns)
  }))

// Appending Singer messages to NDJSON (or the reverse) would leave a file no reader can use.
const checkFormat = (out: string, format: Export.Format, gzip: boolean): Effect.Effect<void, Output.OutputError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const head = yield* Effect.scoped(Effect.gen(function*() {
      const handle = yield* fs.open(Output.partialPath(out), { flag: "r" })
      const buffer = new Uint8Array(4096)
      const n = Number(yield* handle.read(buffer))
      const bytes = Buffer.from(buffer.buffer, 0, n)
      // a sync flush decodes the start of a gzip stream without its end
      return (gzip ? zlib.gunzipSync(bytes, { finishFlush: zlib.constants.Z_SYNC_FLUSH }) : bytes).toString("utf8", 0, 64)
    })).pipe(
      // unreadable or not gzip: opening the output reports it
      Effect.catchAllCause(() => Effect.succeed(""))
    )
    const found: Export.Format | undefined = head.startsWith("{\"type\":\"SCHEMA\"") ? "singer" : head.startsWith("{") ? "ndjson" : undefined
    if (found === undefined || found === format) return
    return yield* Effect.fail(
      new Output.OutputError({
        target: out,
        reason: "open",
        detail: `${Output.partialPath(out)} was begun in the ${found} format; resume with the same format, or delete the state file to start over`
      })
    )
  })
