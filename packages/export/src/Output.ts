/**
 * Where records go: stdout, or a file that a reader never sees half-written (written to a
 * temporary file beside it, fsync'd, then renamed over the target); any of them gzipped.
 *
 * @since 0.1.0
 */
import { Effect, Schema, type Scope } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { syncDir } from "./State.js"

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
  /** Makes everything written so far durable (a no-op where that cannot be done). */
  readonly sync: Effect.Effect<void, OutputError>
  /** Makes everything written so far durable and visible. */
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

const describe = (error: unknown): string => {
  const e = error as NodeJS.ErrnoException
  switch (e?.code) {
    case "ENOENT":
      return "no such directory"
    case "EACCES":
    case "EPERM":
      return "permission denied"
    case "EISDIR":
      return "is a directory"
    case "ENOSPC":
      return "no space left on device"
    case "EROFS":
      return "read-only file system"
    case "EDQUOT":
      return "disk quota exceeded"
    case "EFBIG":
      return "file too large"
    default:
      return e?.code ?? String(e?.message ?? error).split("\n")[0]!
  }
}

const ignoreError = () => {}

/**
 * Standard output, with backpressure: a write waits for the pipe to drain.
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
        stream.off("error", finish)
        if (error === undefined || error === null) {
          written += bytes.length
          resume(Effect.void)
        } else {
          const closed = (error as NodeJS.ErrnoException).code === "EPIPE"
          resume(Effect.fail(new OutputError({ target: "stdout", reason: closed ? "closed" : "write", detail: describe(error) })))
        }
      }
      stream.once("error", finish)
      const ok = stream.write(bytes, (error) => {
        if (error) finish(error)
        else if (ok) finish()
      })
      if (!ok) stream.once("drain", () => finish())
    })
  return { target: "stdout", write, sync: Effect.void, commit: Effect.void, bytes: () => written, position: () => startAt + written }
}

/**
 * A file written atomically: the target appears, complete, only on `commit`; if the scope
 * closes first (failure, interruption) the temporary file is removed and any earlier file at
 * the target is left untouched.
 *
 * @since 0.1.0
 * @category constructors
 */
export const file = (target: string, options: Options = {}): Effect.Effect<Output, OutputError, Scope.Scope> =>
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
export const resumable = (target: string, confirmed: number, options: Options = {}): Effect.Effect<Output, OutputError, Scope.Scope> =>
  open(target, partialPath(target), confirmed, options)

const open = (
  target: string,
  temp: string,
  confirmed: number | undefined,
  options: Options
): Effect.Effect<Output, OutputError, Scope.Scope> => {
  const gzipped = options.gzip === true
  const dir = path.dirname(path.resolve(target))
  const fail = (reason: "open" | "write") => (error: unknown) => new OutputError({ target, reason, detail: describe(error) })
  return Effect.gen(function*() {
    const existing = yield* Effect.sync(() => {
      try {
        return fs.statSync(target)
      } catch {
        return undefined
      }
    })
    if (existing?.isDirectory()) return yield* Effect.fail(new OutputError({ target, reason: "open", detail: "is a directory" }))
    let committed = false
    const fd = yield* Effect.acquireRelease(
      Effect.try({
        try: () => {
          if (confirmed === undefined || confirmed === 0) return fs.openSync(temp, "w", 0o644)
          const fd = fs.openSync(temp, "r+")
          if (fs.fstatSync(fd).size < confirmed) {
            fs.closeSync(fd)
            throw Object.assign(new Error("short"), { code: "ESHORT" })
          }
          // appending gzip to plain text (or the reverse) would leave a file no reader can use
          const magic = Buffer.alloc(2)
          fs.readSync(fd, magic, 0, 2, 0)
          if ((magic[0] === 0x1f && magic[1] === 0x8b) !== gzipped) {
            fs.closeSync(fd)
            throw Object.assign(new Error("mixed"), { code: "EMIXED" })
          }
          fs.ftruncateSync(fd, confirmed)
          return fd
        },
        catch: (e) =>
          (e as NodeJS.ErrnoException).code === "ESHORT"
            ? new OutputError({ target, reason: "open", detail: `${temp} is shorter than the state file records; delete the state file to start over` })
            : (e as NodeJS.ErrnoException).code === "EMIXED"
            ? new OutputError({
              target,
              reason: "open",
              detail: `${temp} was begun ${gzipped ? "without" : "with"} gzip; resume with the same compression, or delete the state file to start over`
            })
            : fail("open")(e)
      }),
      (fd, exit) =>
        Effect.sync(() => {
          try {
            fs.closeSync(fd)
          } catch {
            // already closed by commit
          }
          // a resumable export keeps its partial file: it is what the next run resumes
          if (confirmed === undefined && (exit._tag === "Failure" || !committed)) fs.rmSync(temp, { force: true })
        })
    )
    let position = confirmed ?? 0
    let written = 0
    const write = (bytes: Uint8Array) =>
      Effect.async<void, OutputError>((resume) => {
        fs.write(fd, bytes, 0, bytes.length, position, function onWrite(error, n) {
          if (error) return resume(Effect.fail(fail("write")(error)))
          written += n
          position += n
          if (n < bytes.length) {
            bytes = bytes.subarray(n)
            return fs.write(fd, bytes, 0, bytes.length, position, onWrite)
          }
          resume(Effect.void)
        })
      })
    const sync = Effect.try({ try: () => fs.fsyncSync(fd), catch: fail("write") })
    const commit = Effect.try({
      try: () => {
        fs.fsyncSync(fd)
        fs.closeSync(fd)
        fs.renameSync(temp, target)
        committed = true
        syncDir(dir)
      },
      catch: fail("write")
    })
    const output = { target, write, sync, commit, bytes: () => written, position: () => position } satisfies Output
    return gzipped ? gzip(output) : output
  })
}

// What an output that holds no member yet ends with, so that it is valid gzip (of nothing).
const EMPTY_MEMBER = zlib.gzipSync(Buffer.alloc(0))

/**
 * Gzips what is written to `output`, streaming: compressed bytes are passed on as zlib
 * produces them, so memory does not grow with the export.
 *
 * Each `sync` ends the current gzip member (and the next write starts a new one) before
 * syncing `output`, so every durable prefix is a complete multi-member gzip file, which
 * gunzip, zcat, DuckDB and Node read as the concatenated data: a resumable output cut back
 * to a checkpoint stays valid. `bytes` and `position` count compressed bytes, the ones on disk.
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
    }).pipe(Effect.zipRight(drain))
  const finish = Effect.async<void, OutputError>((resume) => {
    const z = member
    if (z === undefined) return resume(Effect.void)
    member = undefined
    z.once("end", () => resume(Effect.void))
    z.once("error", (error) => resume(Effect.fail(failed(error))))
    z.end()
  }).pipe(Effect.zipRight(drain))
  return {
    target: output.target,
    write,
    sync: Effect.zipRight(finish, output.sync),
    commit: finish.pipe(
      Effect.zipRight(Effect.suspend(() => (output.position() === 0 ? output.write(EMPTY_MEMBER) : Effect.void))),
      Effect.zipRight(output.commit)
    ),
    bytes: output.bytes,
    position: output.position
  }
}
