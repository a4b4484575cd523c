import { describe, expect, it } from "@effect/vitest"
import { Lock } from "@steptrail/export"
import { Effect, Exit, Logger, Scope } from "effect"
import { type ChildProcess, spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { FileSystemLive, tempDir } from "./fixtures.js"

/** The pid of a process that has just ended (so no process has it). */
const deadPid = () => spawnSync(process.execPath, ["-e", "0"]).pid!

const sleep = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

/** The state letter of `/proc/PID/stat` (`Z` for a zombie). */
const procState = (pid: number) => {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8")
  return stat.slice(stat.lastIndexOf(")") + 2).split(" ")[0]
}

/** A child killed when the test's scope closes. */
const started = (command: string, args: ReadonlyArray<string>) =>
  Effect.acquireRelease(
    Effect.sync(() => spawn(command, args, { stdio: ["ignore", "pipe", "ignore"] })),
    (child: ChildProcess) => Effect.sync(() => child.kill("SIGKILL"))
  )

/**
 * A real zombie: a shell starts a short `sleep` in the background and becomes a long one,
 * which never waits for it, so the short one stays unreaped once it ends. Its pid comes on the
 * helper's stdout.
 */
const zombie = Effect.gen(function*() {
  const helper = yield* started("/bin/sh", ["-c", "sleep 0.2 & echo $!; exec sleep 30"])
  const pid = yield* Effect.async<number>((resume) => {
    helper.stdout!.once("data", (chunk: Buffer) => resume(Effect.succeed(Number(chunk.toString().trim()))))
  })
  for (let i = 0; i < 300 && procState(pid) !== "Z"; i++) yield* sleep(10)
  expect(procState(pid)).toBe("Z")
  return pid
})

const readLock = (file: string) => JSON.parse(fs.readFileSync(Lock.lockPath(file), "utf8"))

/** Runs `effect` keeping the messages it logs. */
const logged = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const messages: Array<string> = []
    const logger = Logger.make(({ message }) => messages.push(String(Array.isArray(message) ? message[0] : message)))
    yield* Effect.provide(effect, Logger.replace(Logger.defaultLogger, logger))
    return messages
  })

describe("Lock", () => {
  it.effect("a second lock of the same file is refused at once, naming the holder; it is free again when the scope closes", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "state.json")
      const scope = yield* Scope.make()
      yield* Scope.extend(Lock.acquire(file), scope)
      const original = fs.readFileSync(Lock.lockPath(file), "utf8")
      const holder = JSON.parse(original)
      expect(holder).toEqual({ pid: process.pid, host: os.hostname(), started_at: Lock.self().started_at })
      // another export, as this process sees it: a live holder that is not us
      fs.writeFileSync(Lock.lockPath(file), JSON.stringify({ ...holder, pid: process.ppid }))
      const refused = yield* Effect.flip(Effect.scoped(Lock.acquire(file)))
      expect(refused._tag).toBe("LockedError")
      expect(refused.message).toBe(
        `${file} is in use by another export (pid ${process.ppid}, started ${holder.started_at}); wait for it to end, or delete ${file}.lock if that process is gone`
      )
      fs.writeFileSync(Lock.lockPath(file), original)
      yield* Scope.close(scope, Exit.void)
      expect(fs.readdirSync(dir)).toEqual([])
      yield* Effect.scoped(Lock.acquire(file))
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("a lock left by a process that no longer runs is taken over", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "out.ndjson")
      const stale = { pid: deadPid(), host: os.hostname(), started_at: "2026-01-01T00:00:00.000Z" }
      fs.writeFileSync(Lock.lockPath(file), JSON.stringify(stale))
      yield* Effect.scoped(Effect.gen(function*() {
        yield* Lock.acquire(file)
        expect(JSON.parse(fs.readFileSync(Lock.lockPath(file), "utf8")).pid).toBe(process.pid)
        expect(fs.readdirSync(dir)).toEqual(["out.ndjson.lock"])
      }))
      // a torn lock file (a crash while it was written) has no live holder either
      fs.writeFileSync(Lock.lockPath(file), "{\"pid\": 12")
      yield* Effect.scoped(Lock.acquire(file))
      expect(fs.readdirSync(dir)).toEqual([])
    }).pipe(Effect.provide(FileSystemLive)))

  it.scoped.skipIf(process.platform !== "linux")("a lock whose holder is a zombie is taken over: signal 0 reaches a zombie, /proc says Z", () =>
    Effect.gen(function*() {
      const pid = yield* zombie
      expect(() => process.kill(pid, 0)).not.toThrow()
      const dir = tempDir()
      const file = path.join(dir, "state.json")
      fs.writeFileSync(Lock.lockPath(file), JSON.stringify({ pid, host: os.hostname(), started_at: new Date().toISOString() }))
      const messages = yield* logged(Effect.scoped(Effect.gen(function*() {
        yield* Lock.acquire(file)
        expect(readLock(file).pid).toBe(process.pid)
      })))
      expect(messages).toEqual([`taking over the lock ${Lock.lockPath(file)} left by a process that no longer runs (pid ${pid} is a zombie)`])
      expect(fs.readdirSync(dir)).toEqual([])
    }).pipe(Effect.provide(FileSystemLive)))

  it.scoped.skipIf(process.platform !== "linux")("a lock naming a live pid is taken over only when that process started after the lock's started_at", () =>
    Effect.gen(function*() {
      const other = yield* started("sleep", ["30"])
      const pid = other.pid!
      for (let i = 0; i < 200 && !fs.existsSync(`/proc/${pid}/stat`); i++) yield* sleep(10)
      const dir = tempDir()
      const file = path.join(dir, "out.ndjson")
      // a lock of an hour ago whose pid was given to a process started just now: the holder is gone
      const reused = { pid, host: os.hostname(), started_at: new Date(Date.now() - 3_600_000).toISOString() }
      fs.writeFileSync(Lock.lockPath(file), JSON.stringify(reused))
      const messages = yield* logged(Effect.scoped(Effect.gen(function*() {
        yield* Lock.acquire(file)
        expect(readLock(file).pid).toBe(process.pid)
      })))
      expect(messages).toHaveLength(1)
      expect(messages[0]).toMatch(
        new RegExp(`^taking over the lock .*out\\.ndjson\\.lock left by a process that no longer runs \\(pid ${pid} now belongs to a process started at \\d{4}-.*Z\\)$`)
      )
      expect(fs.readdirSync(dir)).toEqual([])
      // the same pid with a started_at after its process began: that process may be the holder
      const live = { pid, host: os.hostname(), started_at: new Date().toISOString() }
      fs.writeFileSync(Lock.lockPath(file), JSON.stringify(live))
      const refused = yield* Effect.flip(Effect.scoped(Lock.acquire(file)))
      expect(refused._tag).toBe("LockedError")
      expect(readLock(file)).toEqual(live)
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("a lock of another host is never taken over; a missing directory is an error of its own", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "state.json")
      fs.writeFileSync(Lock.lockPath(file), JSON.stringify({ pid: deadPid(), host: "elsewhere", started_at: "2026-01-01T00:00:00.000Z" }))
      const refused = yield* Effect.flip(Effect.scoped(Lock.acquire(file)))
      expect(refused.message).toContain("(pid ")
      expect(refused.message).toContain(" on elsewhere, started 2026-01-01T00:00:00.000Z)")
      const missing = yield* Effect.flip(Effect.scoped(Lock.acquire(path.join(dir, "nope", "state.json"))))
      expect(missing).toMatchObject({ _tag: "LockError", detail: "ENOENT" })
    }).pipe(Effect.provide(FileSystemLive)))
})
