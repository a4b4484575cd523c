import { describe, expect, it } from "@effect/vitest"
import { Lock } from "@steptrail/export"
import { Effect, Exit, Scope } from "effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { FileSystemLive, tempDir } from "./fixtures.js"

/** The pid of a process that has just ended (so no process has it). */
const deadPid = () => spawnSync(process.execPath, ["-e", "0"]).pid!

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
