import { describe, expect, it } from "@effect/vitest"
import { Output } from "@steptrail/export"
import { Effect, Exit, Fiber } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { PassThrough, Writable } from "node:stream"
import { FileSystemLive, tempDir } from "./fixtures.js"

const bytes = (text: string) => Buffer.from(text, "utf8")

describe("Output.file", () => {
  it.effect("makes the file appear only on commit, complete", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const target = path.join(dir, "out.ndjson")
      yield* Effect.scoped(Effect.gen(function*() {
        const out = yield* Output.file(target)
        yield* out.write(bytes("a\n"))
        yield* out.write(bytes("b\n"))
        expect(fs.existsSync(target)).toBe(false)
        yield* out.commit
        expect(out.bytes()).toBe(4)
      }))
      expect(fs.readFileSync(target, "utf8")).toBe("a\nb\n")
      expect(fs.readdirSync(dir)).toEqual(["out.ndjson"])
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("leaves an earlier file untouched and no temp file when the export fails", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const target = path.join(dir, "out.ndjson")
      fs.writeFileSync(target, "old\n")
      const exit = yield* Effect.scoped(Effect.gen(function*() {
        const out = yield* Output.file(target)
        yield* out.write(bytes("half"))
        expect(fs.readdirSync(dir).length).toBe(2)
        return yield* Effect.fail("boom")
      })).pipe(Effect.exit)
      expect(Exit.isFailure(exit) && exit.cause._tag === "Fail" && exit.cause.error).toBe("boom")
      expect(fs.readFileSync(target, "utf8")).toBe("old\n")
      expect(fs.readdirSync(dir)).toEqual(["out.ndjson"])
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("refuses a missing directory or a directory target with reason open", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const missing = yield* Effect.flip(Effect.scoped(Output.file(path.join(dir, "nope", "out.ndjson"))))
      expect(missing.reason).toBe("open")
      expect(missing.message).toContain("no such directory")
      const isDir = yield* Effect.flip(Effect.scoped(Output.file(dir)))
      expect(isDir.reason).toBe("open")
      expect(isDir.message).toContain("is a directory")
    }).pipe(Effect.provide(FileSystemLive)))
})

describe("Output.stdout", () => {
  it.effect("writes through and counts bytes", () =>
    Effect.gen(function*() {
      const sink = new PassThrough()
      const chunks: Array<Buffer> = []
      sink.on("data", (c: Buffer) => chunks.push(c))
      const out = Output.stdout(sink)
      yield* out.write(bytes("x\n"))
      yield* out.write(bytes("yz\n"))
      expect(Buffer.concat(chunks).toString()).toBe("x\nyz\n")
      expect(out.bytes()).toBe(5)
    }))

  it.effect("a write error the stream also emits later (a file or /dev/full as stdout) is reported, not thrown", () =>
    Effect.gen(function*() {
      const failing = new Writable({
        write(_chunk, _encoding, callback) {
          callback(Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" }))
        }
      })
      const error = yield* Effect.flip(Output.stdout(failing).write(bytes("x\n")))
      expect(error.reason).toBe("write")
      expect(error.message).toBe("cannot write stdout: no space left on device")
      // the stream emits `error` on the next tick: with no listener left, that would crash
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 10)))
      expect(failing.destroyed).toBe(true)
    }))

  it.effect("an interrupted write leaves no listener behind on the stream", () =>
    Effect.gen(function*() {
      // a reader that does not read: the write waits for "drain"
      const sink = new PassThrough({ highWaterMark: 4 })
      const out = Output.stdout(sink)
      const baseline = { error: sink.listenerCount("error"), drain: sink.listenerCount("drain") }
      for (let i = 0; i < 10; i++) {
        const fiber = yield* Effect.fork(out.write(bytes("more than four bytes\n")))
        yield* Effect.yieldNow()
        expect(fiber.unsafePoll()).toBeNull()
        yield* Fiber.interrupt(fiber)
      }
      expect({ error: sink.listenerCount("error"), drain: sink.listenerCount("drain") }).toEqual(baseline)
    }))

  it.effect("reports a closed reader as reason closed", () =>
    Effect.gen(function*() {
      const sink = new PassThrough()
      sink.destroy(Object.assign(new Error("write EPIPE"), { code: "EPIPE" }))
      const error = yield* Effect.flip(Output.stdout(sink).write(bytes("x\n")))
      expect(error.reason).toBe("closed")
    }))
})
