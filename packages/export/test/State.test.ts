import { FileSystem } from "@effect/platform"
import { SystemError } from "@effect/platform/Error"
import { describe, expect, it } from "@effect/vitest"
import { Incremental, Output, State } from "@steptrail/export"
import { Effect, Exit, Layer } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { drive, fakeProvider, FileSystemLive, runIdsOf, tempDir } from "./fixtures.js"

const KEY = State.sourceKey("cloudflare", "0123456789abcdef0123456789abcdef", "wf")

const v1 = (pending: unknown) => ({
  version: 1,
  sources: {
    [KEY]: {
      "run-0": { status: "complete", terminal: true, steps: 2 },
      "run-1": { status: "running", terminal: false, steps: 1, version: "running@t1" },
      "run-2": { status: "complete", terminal: true, steps: 2 }
    }
  },
  pending
})

/** The real file system, except that every write to an opened file finds the disk full. */
const fullDisk = Layer.effect(
  FileSystem.FileSystem,
  Effect.map(FileSystem.FileSystem, (live) =>
    FileSystem.make({
      ...live,
      open: (file, options) =>
        Effect.map(live.open(file, options), (handle) =>
          Object.assign(Object.create(handle) as FileSystem.File, {
            writeAll: () =>
              Effect.fail(
                new SystemError({
                  reason: "Unknown",
                  module: "FileSystem",
                  method: "writeAll",
                  pathOrDescriptor: file,
                  cause: Object.assign(new Error("ENOSPC: no space left on device"), { code: "ENOSPC" })
                })
              )
          }))
    }))
).pipe(Layer.provide(FileSystemLive))

describe("State", () => {
  it.effect("save and load round-trip; the file is replaced atomically (no temporary file left)", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "state.json")
      const state: State.State = {
        version: 2,
        sources: { [KEY]: { watermark: "2026-01-01T00:00:00.000Z", open: { r: { status: "running", steps: 1, version: null, created: null } }, recent: { q: null } } },
        pending: null
      }
      yield* State.save(file, state)
      expect(yield* State.load(file)).toEqual(state)
      expect(fs.readdirSync(dir)).toEqual(["state.json"])
      expect(fs.statSync(file).mode & 0o777).toBe(0o600)
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("a missing file is the empty state; another version, bad JSON or a wrong shape are refused with one line", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "state.json")
      expect(yield* State.load(file)).toEqual(State.empty)
      fs.writeFileSync(file, "{\"version\": 99}")
      expect((yield* Effect.flip(State.load(file))).message).toBe(
        `state file ${file} is not a steptrail state file: version 99; this steptrail reads versions 1 and 2`
      )
      fs.writeFileSync(file, "not json")
      expect((yield* Effect.flip(State.load(file))).message).toBe(`state file ${file} is not a steptrail state file: not valid JSON`)
      fs.writeFileSync(file, "{\"sources\": {}}")
      expect((yield* Effect.flip(State.load(file))).message).toBe(`state file ${file} is not a steptrail state file: version: is missing`)
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("a state file that cannot be read says why in words (not EACCES)", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(State.load("s.json"))
      expect(error.reason).toBe("read")
      expect(error.message).toBe("cannot read state file s.json: permission denied")
    }).pipe(Effect.provide(FileSystem.layerNoop({
      readFileString: (file) =>
        Effect.fail(
          new SystemError({
            reason: "PermissionDenied",
            module: "FileSystem",
            method: "readFileString",
            pathOrDescriptor: file,
            cause: Object.assign(new Error("EACCES: permission denied"), { code: "EACCES" })
          })
        )
    }))))

  it.effect("a save that finds the disk full says so in words and leaves no temporary file; the old state stays", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "state.json")
      fs.writeFileSync(file, JSON.stringify(State.empty))
      const error = yield* Effect.flip(State.save(file, { ...State.empty, sources: { [KEY]: State.emptySource } }))
      expect(error.reason).toBe("write")
      expect(error.message).toBe(`cannot write state file ${file}: no space left on device`)
      expect(fs.readdirSync(dir)).toEqual(["state.json"])
      expect(JSON.parse(fs.readFileSync(file, "utf8"))).toEqual(State.empty)
    }).pipe(Effect.provide(fullDisk)))

  it.effect("a version-1 file is migrated: terminal runs are remembered, the others kept open, no watermark yet", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "state.json")
      fs.writeFileSync(file, JSON.stringify(v1(null)))
      const state = yield* State.load(file)
      expect(state).toEqual({
        version: 2,
        sources: {
          [KEY]: {
            watermark: null,
            open: { "run-1": { status: "running", steps: 1, version: "running@t1", created: null } },
            recent: { "run-0": null, "run-2": null }
          }
        },
        pending: null
      })
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("after a version-1 state, the next export exports only the new and the open runs, and writes version 2", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "state.json")
      fs.writeFileSync(file, JSON.stringify(v1(null)))
      const out = path.join(dir, "out.ndjson")
      const exit = yield* drive(Incremental.run([{ provider: fakeProvider(4, 2), workflow: "wf" }], { state: file, out }))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(runIdsOf(fs.readFileSync(out, "utf8"))).toEqual(["run-1", "run-3"])
      expect(JSON.parse(fs.readFileSync(file, "utf8")).version).toBe(2)
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("a version-1 file with an unfinished export starts it over; a finished one only does the rename", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "state.json")
      const out = path.join(dir, "out.ndjson")
      // unfinished: the partial file is rewritten from the start, nothing of it is kept
      fs.writeFileSync(Output.partialPath(out), "{\"garbage\":1}\n")
      fs.writeFileSync(file, JSON.stringify(v1({ output: path.resolve(out), bytes: 14, done: {}, finished: false, started_at: "2026-01-01T00:00:00.000Z" })))
      const first = yield* drive(Incremental.run([{ provider: fakeProvider(4, 2), workflow: "wf" }], { state: file, out }))
      expect(Exit.isSuccess(first)).toBe(true)
      expect(runIdsOf(fs.readFileSync(out, "utf8"))).toEqual(["run-1", "run-3"])
      // finished: every record was written, only the rename was missing
      const out2 = path.join(dir, "out2.ndjson")
      fs.writeFileSync(Output.partialPath(out2), "line\n")
      fs.writeFileSync(file, JSON.stringify(v1({ output: path.resolve(out2), bytes: 5, done: {}, finished: true, started_at: "2026-01-01T00:00:00.000Z" })))
      const second = yield* drive(Incremental.run([{ provider: fakeProvider(4, 2), workflow: "wf" }], { state: file, out: out2 }))
      expect(Exit.isSuccess(second)).toBe(true)
      expect(fs.readFileSync(out2, "utf8")).toBe("line\n")
      expect((yield* State.load(file)).pending).toBeNull()
    }).pipe(Effect.provide(FileSystemLive)))
})
