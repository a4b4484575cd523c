/**
 * One export per state file and per output at a time. A lock is a file beside the locked one
 * (`FILE.lock`), created exclusively, naming its holder: pid, host and start time. A second
 * export refuses at once; a lock left by a process that no longer runs (a SIGKILL, a crash)
 * is taken over.
 *
 * A process is known dead when it is on this host and signal 0 cannot reach it. On Linux it is
 * also dead when its pid is a zombie (signal 0 reaches a zombie: an export killed with its
 * parent shell lingers as one until it is reaped, forever under a PID 1 that does not reap), or
 * when the pid now belongs to a process started after the lock's `started_at` (the pid was
 * given again), both read from `/proc`. Elsewhere, or when `/proc` cannot tell, a lock whose
 * pid runs counts as held. A lock from another host (a shared file system) is never taken
 * over: delete it by hand once that export is gone.
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

/** The clock ticks of `/proc/PID/stat`'s start time: `getconf CLK_TCK`, 100 on Linux. */
const CLOCK_TICKS = 100
/**
 * How much later than a lock's `started_at` its pid's process may seem to start and still be
 * its holder: `/proc/stat`'s boot time is whole seconds and moves when the clock is stepped.
 */
const START_TOLERANCE_MS = 5_000

/**
 * What `/proc` says of a pid: its state letter and when it started (ms since the epoch).
 * Undefined off Linux, for a pid that is gone, or for text not as expected.
 */
const procStatus = (fs: FileSystem.FileSystem, pid: number) =>
  Effect.gen(function*() {
    if (process.platform !== "linux") return undefined
    const stat = yield* fs.readFileString(`/proc/${pid}/stat`)
    const boot = /^btime (\d+)$/m.exec(yield* fs.readFileString("/proc/stat"))
    // `pid (comm) state ...`: comm may hold spaces and parentheses, so fields count from the last ")"
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ")
    const ticks = Number(fields[19]) // field 22, starttime: clock ticks after boot
    if (boot === null || fields[0] === undefined || !Number.isFinite(ticks)) return undefined
    return { state: fields[0], startedAt: Number(boot[1]) * 1000 + (ticks * 1000) / CLOCK_TICKS }
  }).pipe(Effect.orElseSucceed(() => undefined))

/**
 * Whether a process of this host with this pid runs (one we may not signal runs too). What a
 * lock file, a database's source row and a `serve` credential ask of a holder on this host.
 *
 * @since 0.4.0
 * @category holders
 */
export const processRuns = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM"
  }
}

/**
 * Why the holder of a lock no longer runs (a phrase for the warning), or undefined while it
 * may still run.
 */
const gone = (fs: FileSystem.FileSystem, lock: string, holder: Holder): Effect.Effect<string | undefined> =>
  Effect.gen(function*() {
    if (holder.host !== os.hostname()) return undefined
    // our pid on a lock we do not hold: a previous process of this pid left it (a container's pid 1)
    if (holder.pid === process.pid) return held.has(lock) ? undefined : ""
    if (!processRuns(holder.pid)) return ""
    const proc = yield* procStatus(fs, holder.pid)
    if (proc === undefined) return undefined
    if (proc.state === "Z" || proc.state === "X") return ` (pid ${holder.pid} is a zombie)`
    const started = Date.parse(holder.started_at)
    if (!Number.isNaN(started) && proc.startedAt > started + START_TOLERANCE_MS) {
      return ` (pid ${holder.pid} now belongs to a process started at ${new Date(proc.startedAt).toISOString()})`
    }
    return undefined
  })

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
      const why = holder._tag === "Some" ? yield* gone(fs, lock, holder.value) : ""
      if (why === undefined && holder._tag === "Some") return yield* Effect.fail(new LockedError({ path: file, holder: holder.value }))
      yield* Effect.logWarning(`taking over the lock ${lock} left by a process that no longer runs${why ?? ""}`)
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
