import { describe, expect, it } from "@effect/vitest"
import { Incremental, Output, State } from "@steptrail/export"
import { Effect, Exit } from "effect"
import * as crypto from "node:crypto"
import * as fs from "node:fs"
import * as path from "node:path"
import { PassThrough } from "node:stream"
import * as zlib from "node:zlib"
import { drive, fakeProvider, FileSystemLive, tempDir } from "./fixtures.js"

const bytes = (text: string) => Buffer.from(text, "utf8")

/** gzip members in data written by Node's zlib: each begins with the same 10-byte header. */
const members = (data: Buffer): number => {
  const header = zlib.gzipSync(Buffer.alloc(0)).subarray(0, 10)
  let n = 0
  for (let at = data.indexOf(header); at !== -1; at = data.indexOf(header, at + 1)) n++
  return n
}


const source = (provider = fakeProvider(20, 3)) => [{ provider, workflow: "wf" }]

describe("Output with gzip", () => {
  it.effect("a file round-trips, appears only on commit, and counts compressed bytes", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const target = path.join(dir, "out.ndjson.gz")
      const text = Array.from({ length: 1000 }, (_, i) => `{"i":${i},"pad":"${"x".repeat(50)}"}\n`).join("")
      yield* Effect.scoped(Effect.gen(function*() {
        const out = yield* Output.file(target, { gzip: true })
        for (const line of text.split(/(?<=\n)/)) yield* out.write(bytes(line))
        expect(fs.existsSync(target)).toBe(false)
        yield* out.commit
        expect(out.bytes()).toBe(fs.statSync(target).size)
        expect(out.bytes()).toBeLessThan(text.length / 5)
      }))
      const data = fs.readFileSync(target)
      expect([data[0], data[1]]).toEqual([0x1f, 0x8b])
      expect(zlib.gunzipSync(data).toString()).toBe(text)
      expect(fs.readdirSync(dir)).toEqual(["out.ndjson.gz"])
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("an export that writes nothing still leaves valid gzip", () =>
    Effect.gen(function*() {
      const target = path.join(tempDir(), "empty.ndjson.gz")
      yield* Effect.scoped(Effect.flatMap(Output.file(target, { gzip: true }), (out) => out.commit))
      expect(zlib.gunzipSync(fs.readFileSync(target)).length).toBe(0)
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("to stdout, each flush ends a member, so what the reader has is always valid gzip", () =>
    Effect.gen(function*() {
      const sink = new PassThrough()
      const chunks: Array<Buffer> = []
      sink.on("data", (c: Buffer) => chunks.push(c))
      const out = Output.stdout(sink, 0, { gzip: true })
      yield* out.write(bytes("a\n"))
      yield* out.flush
      expect(zlib.gunzipSync(Buffer.concat(chunks)).toString()).toBe("a\n")
      expect(out.position()).toBe(Buffer.concat(chunks).length)
      yield* out.write(bytes("b\n"))
      yield* out.flush
      yield* out.write(bytes("c\n"))
      yield* out.commit
      const all = Buffer.concat(chunks)
      expect(zlib.gunzipSync(all).toString()).toBe("a\nb\nc\n")
      expect(members(all)).toBe(3)
      expect(out.bytes()).toBe(all.length)
    }))

  it.effect("streams: compressed bytes reach the output as they are produced, never more than two blocks behind", () =>
    Effect.gen(function*() {
      let received = 0
      const sink: Output.Output = {
        target: "sink",
        write: (b) => Effect.sync(() => void (received += b.length)),
        flush: Effect.void,
        sync: Effect.void,
        commit: Effect.void,
        bytes: () => received,
        position: () => received
      }
      const out = Output.gzip(sink)
      // incompressible: a buffered implementation would hold every byte written
      const block = crypto.randomBytes(256 * 1024)
      const total = 40 * 1024 * 1024
      let behind = 0
      for (let written = block.length; written <= total; written += block.length) {
        yield* out.write(block)
        behind = Math.max(behind, written - received)
      }
      yield* out.commit
      // what is held back is bounded by the compressor's window, not by what went through
      // (a heap measurement would say the same, but depends on when the GC runs)
      expect(behind).toBeLessThan(2 * block.length)
      expect(received).toBeGreaterThan(total)
    }), 120_000)

  it.effect("resuming a plain partial file with gzip (or the reverse) is refused", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const target = path.join(dir, "out.ndjson")
      fs.writeFileSync(Output.partialPath(target), "{\"a\":1}\n")
      const error = yield* Effect.flip(Effect.scoped(Output.resumable(target, 8, { gzip: true })))
      expect(error.message).toContain("without gzip")
      fs.writeFileSync(Output.partialPath(target), zlib.gzipSync("{\"a\":1}\n"))
      const reverse = yield* Effect.flip(Effect.scoped(Output.resumable(target, 10)))
      expect(reverse.message).toContain("with gzip")
    }).pipe(Effect.provide(FileSystemLive)))
})

describe("Incremental.run with gzip", () => {
  it.effect("a crash and a resume decompress to exactly the uninterrupted NDJSON", () =>
    Effect.gen(function*() {
      const plainDir = tempDir()
      const plain = path.join(plainDir, "out.ndjson")
      yield* drive(Incremental.run(source(), { state: path.join(plainDir, "state.json"), out: plain }))
      const expected = fs.readFileSync(plain, "utf8")

      const dir = tempDir()
      const out = path.join(dir, "out.ndjson.gz")
      const statePath = path.join(dir, "state.json")
      const options = { state: statePath, out, gzip: true, checkpointMillis: 0, concurrency: 1 }
      const first = yield* drive(Incremental.run(source(fakeProvider(20, 3, [], { failAfter: 9 })), options))
      expect(Exit.isFailure(first)).toBe(true)
      const pending = (yield* State.load(statePath)).pending!
      const partial = fs.readFileSync(Output.partialPath(out))
      // the state counts compressed bytes, and the partial file at a checkpoint is valid gzip
      expect(pending.bytes).toBe(partial.length)
      expect(pending.bytes).toBeGreaterThan(0)
      const kept = zlib.gunzipSync(partial).toString()
      expect(expected.startsWith(kept)).toBe(true)
      expect(members(partial)).toBeGreaterThan(1)
      // what a crash mid-member leaves behind: cut on resume
      fs.appendFileSync(Output.partialPath(out), zlib.gzipSync("{\"half\":1}\n").subarray(0, 15))
      const second = yield* drive(Incremental.run(source(), { ...options, checkpointMillis: undefined }))
      expect(Exit.isSuccess(second)).toBe(true)
      const final = fs.readFileSync(out)
      expect(zlib.gunzipSync(final).toString()).toBe(expected)
      expect(fs.existsSync(Output.partialPath(out))).toBe(false)
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("resuming with different compression is refused rather than mixed", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const out = path.join(dir, "out.ndjson")
      const statePath = path.join(dir, "state.json")
      yield* drive(Incremental.run(source(fakeProvider(5, 1, [], { failAfter: 2 })), { state: statePath, out, checkpointMillis: 0, concurrency: 1 }))
      const exit = yield* drive(Incremental.run(source(), { state: statePath, out, gzip: true }))
      expect(Exit.isFailure(exit) && String(exit.cause)).toContain("without gzip")
    }).pipe(Effect.provide(FileSystemLive)))
})
