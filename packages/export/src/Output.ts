/**
 * Where records go: stdout, or a file that a reader never sees half-written (written with the
 * platform's `FileSystem` to a temporary file beside it, fsync'd, then renamed over the
 * target); any of them gzipped.
 *
 * @since 0.1.0
 */
import { FileSystem } from "@effect/platform"
import { Effect, Schema, type Scope } from "effect"
import * as path from "node:path"
import * as zlib from "node:zlib"
import * as Durable from "./internal/durable.js"
import * as SystemError from "./internal/systemError.js"

/**
 * `open`: the output could not be created (a bad `--out`); `write`: writing failed later
 * (a full disk); `closed`: the reader went away (a closed pipe).
 *
 * @since 0.1.0
 * @category errors
 */
export class OutputError extends Schema.TaggedError<OutputError>()("OutputError", {
  target: Schema.String,
  reason: Schema.Literal("open", "write", "closed"),
  detail: Schema.String
}) {
  override get message() {
    const verb = this.reason === "open" ? "cannot create" : this.reason === "closed" ? "reader closed" : "cannot write"
    return `${verb} ${this.target}: ${this.detail}`
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Output {
  /** What the summary names: a path, or "stdout". */
  readonly target: string
  readonly write: (bytes: Uint8Array) => Effect.Effect<void, OutputError>
  /**
   * Ends what is written so far as a complete file (a gzip output closes its member; the
   * next write starts a new one). A no-op for plain outputs.
   */
  readonly flush: Effect.Effect<void, OutputError>
  /** Makes the bytes written so far durable (a no-op where that cannot be done). */
  readonly sync: Effect.Effect<void, OutputError>
  /** Flushes, makes everything written durable and visible. */
  readonly commit: Effect.Effect<void, OutputError>
  /** Bytes written by this process. */
  readonly bytes: () => number
  /** Bytes in the output, including those a resumed export kept. */
  readonly position: () => number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Compress with gzip, streaming; see `gzip`. */
  readonly gzip?: boolean | undefined
}

/**
 * Whether a target's name asks for gzip (`.gz`).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isGzipPath = (target: string): boolean => /\.gz$/i.test(target)

/**
 * A failure as a few words: the system's error code in words where there is one. `missing`
 * is what `ENOENT` means where it happened (default: the directory of a file being created).
 *
 * @since 0.2.0
 * @category errors
 */
export const describe: (error: unknown, missing?: string) => string = SystemError.describe

const ignoreError = () => {}

/**
 * Standard output, with backpressure: a write waits for the pipe to drain. With gzip,
 * `commit` (or `flush`) ends the member, so what was written is a complete gzip stream.
 *
 * @since 0.1.0
 * @category constructors
 */
export const stdout = (stream: NodeJS.WritableStream = process.stdout, startAt = 0, options: Options = {}): Output =>
  options.gzip === true ? gzip(plainStdout(stream, startAt)) : plainStdout(stream, startAt)

const plainStdout = (stream: NodeJS.WritableStream, startAt: number): Output => {
  // A failed write is reported through its callback; the stream may also emit the same error
  // later (a file or /dev/full as stdout does, asynchronously), and an `error` event nobody
  // listens to would crash the process with a stack trace.
  if (!stream.listeners("error").includes(ignoreError)) stream.on("error", ignoreError)
  let written = 0
  const write = (bytes: Uint8Array) =>
    Effect.async<void, OutputError>((resume) => {
      let done = false
      const finish = (error?: unknown) => {
        if (done) return
        done = true
        detach()
        if (error === undefined || error === null) {
          written += bytes.length
          resume(Effect.void)
        } else {
          const closed = (error as NodeJS.ErrnoException).code === "EPIPE"
          resume(Effect.fail(new OutputError({ target: "stdout", reason: closed ? "closed" : "write", detail: describe(error) })))
        }
      }
      const drained = () => finish()
      const detach = () => {
        stream.off("error", finish)
        stream.off("drain", drained)
      }
      stream.once("error", finish)
      // the bytes are queued in order whatever happens next: an interruption only stops the wait
      const ok = stream.write(bytes, (error) => {
        if (error) finish(error)
        else if (ok) finish()
      })
      if (!ok) stream.once("drain", drained)
      return Effect.sync(detach)
    })
  return {
    target: "stdout",
    write,
    flush: Effect.void,
    sync: Effect.void,
    commit: Effect.void,
    bytes: () => written,
    position: () => startAt + written
  }
}

/**
 * A file written atomically: the target appears, complete, only on `commit`; if the scope
 * closes first (failure, interruption) the temporary file is removed and any earlier file at
 * the target is left untouched.
 *
 * @since 0.1.0
 * @category constructors
 */
export const file = (
  target: string,
  options: Options = {}
): Effect.Effect<Output, OutputError, Scope.Scope | FileSystem.FileSystem> =>
  open(target, path.join(path.dirname(path.resolve(target)), `.${path.basename(target)}.${process.pid}.partial`), undefined, options)

/**
 * The partial file a resumable export of `target` writes to.
 *
 * @since 0.1.0
 * @category constructors
 */
export const partialPath = (target: string): string => `${path.resolve(target)}.partial`

/**
 * A file an export can resume: written to `partialPath(target)`, which survives a crash, cut
 * back to `confirmed` bytes (what the state file knows to be durable) before appending, and
 * renamed over the target on `commit`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const resumable = (
  target: string,
  confirmed: number,
  options: Options = {}
): Effect.Effect<Output, OutputError, Scope.Scope | FileSystem.FileSystem> => open(target, partialPath(target), confirmed, options)

const open = (
  target: string,
  temp: string,
  confirmed: number | undefined,
  options: Options
): Effect.Effect<Output, OutputError, Scope.Scope | FileSystem.FileSystem> => {
  const gzipped = options.gzip === true
  const dir = path.dirname(path.resolve(target))
  const failed = (reason: "open" | "write", detail: string) => new OutputError({ target, reason, detail })
  const fail = (reason: "open" | "write") => (error: unknown) => failed(reason, describe(error))
  return Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const existing = yield* Effect.option(fs.stat(target))
    if (existing._tag === "Some" && existing.value.type === "Directory") return yield* Effect.fail(failed("open", "is a directory"))
    const resuming = confirmed !== undefined && confirmed > 0
    const handle = yield* fs.open(temp, resuming ? { flag: "r+" } : { flag: "w", mode: 0o644 }).pipe(Effect.mapError(fail("open")))
    let committed = false
    // a resumable export keeps its partial file: it is what the next run resumes
    if (confirmed === undefined) yield* Effect.addFinalizer(() => (committed ? Effect.void : Effect.ignore(fs.remove(temp))))
    if (resuming) {
      const size = Number((yield* handle.stat.pipe(Effect.mapError(fail("open")))).size)
      if (size < confirmed) {
        return yield* Effect.fail(failed("open", `${temp} is shorter than the state file records; delete the state file to start over`))
      }
      // appending gzip to plain text (or the reverse) would leave a file no reader can use
      const magic = new Uint8Array(2)
      yield* handle.read(magic).pipe(Effect.mapError(fail("open")))
      if ((magic[0] === 0x1f && magic[1] === 0x8b) !== gzipped) {
        return yield* Effect.fail(failed(
          "open",
          `${temp} was begun ${gzipped ? "without" : "with"} gzip; resume with the same compression, or delete the state file to start over`
        ))
      }
      yield* handle.truncate(confirmed).pipe(Effect.mapError(fail("open")))
      yield* handle.seek(confirmed, "start")
    }
    let position = confirmed ?? 0
    let written = 0
    // a write is never cut short by an interruption: a commit after it sees whole lines
    const write = (bytes: Uint8Array) =>
      handle.writeAll(bytes).pipe(
        Effect.mapError(fail("write")),
        Effect.tap(() =>
          Effect.sync(() => {
            written += bytes.length
            position += bytes.length
          })
        ),
        Effect.uninterruptible
      )
    const sync = Effect.mapError(handle.sync, fail("write"))
    const commit = Effect.gen(function*() {
      yield* sync
      yield* Effect.mapError(fs.rename(temp, target), fail("write"))
      committed = true
      yield* Effect.provideService(Durable.syncDir(dir), FileSystem.FileSystem, fs)
    }).pipe(Effect.uninterruptible)
    const output: Output = { target, write, flush: Effect.void, sync, commit, bytes: () => written, position: () => position }
    return gzipped ? gzip(output) : output
  })
}

// What an output that holds no member yet ends with, so that it is valid gzip (of nothing).
const EMPTY_MEMBER = zlib.gzipSync(Buffer.alloc(0))

/**
 * Gzips what is written to `output`, streaming: compressed bytes are passed on as zlib
 * produces them, so memory does not grow with the export.
 *
 * Each `flush` ends the current gzip member (and the next write starts a new one), so every
 * flushed prefix is a complete multi-member gzip file, which gunzip, zcat, DuckDB and Node
 * read as the concatenated data: a resumable output cut back to a checkpoint stays valid.
 * `bytes` and `position` count compressed bytes, the ones on disk.
 *
 * @since 0.1.0
 * @category combinators
 */
export const gzip = (output: Output): Output => {
  let member: zlib.Gzip | undefined
  let chunks: Array<Buffer> = []
  let failure: unknown = undefined
  const failed = (error: unknown) => new OutputError({ target: output.target, reason: "write", detail: `gzip: ${describe(error)}` })
  const start = () => {
    const z = zlib.createGzip()
    z.on("data", (chunk: Buffer) => chunks.push(chunk))
    z.on("error", (error) => (failure ??= error))
    return z
  }
  // hands what zlib has produced so far to the output
  const drain = Effect.suspend(() => {
    if (failure !== undefined) return Effect.fail(failed(failure))
    const out = chunks
    chunks = []
    return out.length === 0 ? Effect.void : output.write(out.length === 1 ? out[0]! : Buffer.concat(out))
  })
  const write = (bytes: Uint8Array) =>
    Effect.async<void, OutputError>((resume) => {
      const z = (member ??= start())
      z.write(bytes, (error) => resume(error ? Effect.fail(failed(error)) : Effect.void))
    }).pipe(Effect.uninterruptible, Effect.zipRight(drain))
  const flush = Effect.async<void, OutputError>((resume) => {
    const z = member
    if (z === undefined) return resume(Effect.void)
    member = undefined
    z.once("end", () => resume(Effect.void))
    z.once("error", (error) => resume(Effect.fail(failed(error))))
    z.end()
  }).pipe(Effect.uninterruptible, Effect.zipRight(drain))
  return {
    target: output.target,
    write,
    flush,
    sync: output.sync,
    commit: flush.pipe(
      Effect.zipRight(Effect.suspend(() => (output.position() === 0 ? output.write(EMPTY_MEMBER) : Effect.void))),
      Effect.zipRight(output.commit)
    ),
    bytes: output.bytes,
    position: output.position
  }
}
