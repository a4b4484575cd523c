/**
 * One export per state file and per output at a time. A lock is a file beside the locked one
 * (`FILE.lock`), created exclusively, naming its holder: pid, host and start time. A second
 * export refuses at once; a lock left by a process that no longer runs (a SIGKILL, a crash)
 * is taken over.
 *
 * A process is known dead when it is on this host and signal 0 cannot reach it. A lock from
 * another host (a shared file system) is never taken over: delete it by hand once that
 * export is gone. A lock whose pid has since been given to another process counts as held.
 *
 * @since 0.2.0
 */
import { FileSystem } from "@effect/platform"
import { Effect, Schema, type Scope } from "effect"
import * as os from "node:os"

/**
 * Who holds a lock.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Holder = Schema.Struct({
  pid: Schema.Int,
  host: Schema.String,
  /** When the holding process started (ISO). */
  started_at: Schema.String
})
/**
 * @since 0.2.0
 * @category models
 */
export type Holder = typeof Holder.Type

/**
 * The file is locked by another export that is still running.
 *
 * @since 0.2.0
 * @category errors
 */
export class LockedError extends Schema.TaggedError<LockedError>()("LockedError", {
  /** The locked file (the state file or the output). */
  path: Schema.String,
  holder: Holder
}) {
  override get message() {
    const where = this.holder.host === os.hostname() ? "" : ` on ${this.holder.host}`
    return `${this.path} is in use by another export (pid ${this.holder.pid}${where}, started ${this.holder.started_at}); ` +
      `wait for it to end, or delete ${lockPath(this.path)} if that process is gone`
  }
}

/**
 * The lock file could not be created or read (a missing directory, no permission).
 *
 * @since 0.2.0
 * @category errors
 */
export class LockError extends Schema.TaggedError<LockError>()("LockError", {
  path: Schema.String,
  detail: Schema.String
}) {}

/**
 * @since 0.2.0
 * @category paths
 */
export const lockPath = (file: string): string => `${file}.lock`

const startedAt = new Date(Date.now() - Math.round(process.uptime() * 1000)).toISOString()

/**
 * This process, as a lock names it.
 *
 * @since 0.2.0
 * @category constructors
 */
export const self = (): Holder => ({ pid: process.pid, host: os.hostname(), started_at: startedAt })

const decodeHolder = Schema.decodeUnknownOption(Schema.parseJson(Holder))

// the locks this process holds: another export in this process is as alive as we are
const held = new Set<string>()

const alive = (lock: string, holder: Holder): boolean => {
  if (holder.host !== os.hostname()) return true
  // our pid on a lock we do not hold: a previous process of this pid left it (a container's pid 1)
  if (holder.pid === process.pid) return held.has(lock)
  try {
    process.kill(holder.pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

const isReason = (reason: string) => (e: unknown) => (e as { reason?: unknown } | null)?.reason === reason

/**
 * Locks `file` for the scope: released (the lock file removed) when the scope closes.
 *
 * @since 0.2.0
 * @category constructors
 */
export const acquire = (file: string): Effect.Effect<void, LockedError | LockError, Scope.Scope | FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const lock = lockPath(file)
    const me = self()
    const text = JSON.stringify(me) + "\n"
    const failed = (e: unknown) => new LockError({ path: file, detail: errorCode(e) })
    const create = Effect.scoped(Effect.gen(function*() {
      const handle = yield* fs.open(lock, { flag: "wx", mode: 0o644 })
      yield* handle.writeAll(Buffer.from(text, "utf8"))
      yield* handle.sync
    }))
    // two attempts: the second after taking over a stale lock
    for (let attempt = 0; attempt < 2; attempt++) {
      const created = yield* create.pipe(
        Effect.as(true),
        Effect.catchIf(isReason("AlreadyExists"), () => Effect.succeed(false)),
        Effect.mapError(failed)
      )
      if (created) {
        held.add(lock)
        yield* Effect.addFinalizer(() => Effect.zipRight(release(fs, lock, text), Effect.sync(() => held.delete(lock))))
        return
      }
      const content = yield* fs.readFileString(lock).pipe(
        Effect.map((t): string | undefined => t),
        Effect.catchIf(isReason("NotFound"), () => Effect.succeed(undefined)), // released meanwhile
        Effect.mapError(failed)
      )
      if (content === undefined) continue
      const holder = decodeHolder(content)
      // a lock file torn by a crash while it was written has no live holder either
      if (holder._tag === "Some" && alive(lock, holder.value)) return yield* Effect.fail(new LockedError({ path: file, holder: holder.value }))
      yield* Effect.logWarning(`taking over the lock ${lock} left by a process that no longer runs`)
      // renamed away rather than removed: of two exports taking over at once, only one moves it
      const stale = `${lock}.${me.pid}.stale`
      const moved = yield* fs.rename(lock, stale).pipe(Effect.as(true), Effect.catchAll(() => Effect.succeed(false)))
      if (!moved) continue
      // another export may have taken it over and locked it between our read and our rename
      const movedText = yield* Effect.orElseSucceed(fs.readFileString(stale), () => content)
      if (movedText !== content) yield* Effect.ignore(fs.rename(stale, lock))
      else yield* Effect.ignore(fs.remove(stale))
    }
    return yield* Effect.fail(new LockError({ path: file, detail: `cannot take over ${lock}` }))
  })

const release = (fs: FileSystem.FileSystem, lock: string, text: string) =>
  fs.readFileString(lock).pipe(
    // only our own lock: never one another export took over after ours was removed
    Effect.flatMap((content) => (content === text ? fs.remove(lock) : Effect.void)),
    Effect.ignore
  )

const errorCode = (e: unknown): string => {
  const cause = (e as { cause?: { code?: unknown } } | null)?.cause
  return typeof cause?.code === "string" ? cause.code : String((e as { message?: unknown } | null)?.message ?? e)
}
