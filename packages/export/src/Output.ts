/**
 * Where records go: stdout, or a file that a reader never sees half-written (written to a
 * temporary file beside it, fsync'd, then renamed over the target).
 *
 * @since 0.1.0
 */
import { Effect, Schema, type Scope } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"

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
  /** Makes everything written so far durable and visible. */
  readonly commit: Effect.Effect<void, OutputError>
  /** Bytes written so far. */
  readonly bytes: () => number
}

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
    default:
      return e?.code ?? String(e?.message ?? error).split("\n")[0]!
  }
}

/**
 * Standard output, with backpressure: a write waits for the pipe to drain.
 *
 * @since 0.1.0
 * @category constructors
 */
export const stdout = (stream: NodeJS.WritableStream = process.stdout): Output => {
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
  return { target: "stdout", write, commit: Effect.void, bytes: () => written }
}

/**
 * A file written atomically: the target appears, complete, only on `commit`; if the scope
 * closes first (failure, interruption) the temporary file is removed and any earlier file at
 * the target is left untouched.
 *
 * @since 0.1.0
 * @category constructors
 */
export const file = (target: string): Effect.Effect<Output, OutputError, Scope.Scope> => {
  const dir = path.dirname(path.resolve(target))
  const temp = path.join(dir, `.${path.basename(target)}.${process.pid}.partial`)
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
    const fd = yield* Effect.acquireRelease(
      Effect.try({ try: () => fs.openSync(temp, "w", 0o644), catch: fail("open") }),
      (fd, exit) =>
        Effect.sync(() => {
          try {
            fs.closeSync(fd)
          } catch {
            // already closed by commit
          }
          if (exit._tag === "Failure" || !committed) fs.rmSync(temp, { force: true })
        })
    )
    let committed = false
    let written = 0
    const write = (bytes: Uint8Array) =>
      Effect.async<void, OutputError>((resume) => {
        fs.write(fd, bytes, 0, bytes.length, null, function onWrite(error, n) {
          if (error) return resume(Effect.fail(fail("write")(error)))
          written += n
          if (n < bytes.length) {
            bytes = bytes.subarray(n)
            return fs.write(fd, bytes, 0, bytes.length, null, onWrite)
          }
          resume(Effect.void)
        })
      })
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
    return { target, write, commit, bytes: () => written } satisfies Output
  })
}

/** The rename itself is durable only once the directory entry is. */
const syncDir = (dir: string) => {
  try {
    const fd = fs.openSync(dir, "r")
    try {
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
  } catch {
    // not supported on every platform; the data itself is already fsync'd
  }
}
