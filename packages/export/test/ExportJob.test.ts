import { describe, expect, it } from "@effect/vitest"
import { ExportJob, Progress } from "@steptrail/export"
import { Effect, Exit, Fiber, TestClock } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { PassThrough } from "node:stream"
import * as zlib from "node:zlib"
import { collect, drive, fakeProvider, FileSystemLive, lines, tempDir, until } from "./fixtures.js"

const terminal = () => {
  const stream = Object.assign(new PassThrough(), { isTTY: false })
  let text = ""
  stream.on("data", (c: Buffer) => (text += c.toString()))
  return { terminal: Progress.stderr(stream), text: () => text }
}

/** What is printed after the progress lines (one every 5 seconds off a terminal). */
const summaryOf = (text: string) => text.split("\n").filter((l) => !l.startsWith("steptrail: ")).join("\n")

describe("ExportJob", () => {
  it.effect("exports to a file and prints the summary on its terminal", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const out = path.join(dir, "runs.ndjson")
      const t = terminal()
      const exit = yield* drive(ExportJob.run({ sources: [{ provider: fakeProvider(4, 3), workflow: "wf" }], out, terminal: t.terminal }))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(lines(fs.readFileSync(out, "utf8"))).toHaveLength(12)
      expect(summaryOf(t.text())).toBe(`exported 4 runs, 12 steps to ${out}\n  cloudflare: 4 runs, 12 steps (complete 12)\n`)
      expect(fs.readdirSync(dir)).toEqual(["runs.ndjson"])
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("the summary counts in the right number: 1 run, 1 step; 1 run unchanged", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const out = path.join(dir, "runs.ndjson")
      const state = path.join(dir, "s.json")
      const once = () => {
        const t = terminal()
        return Effect.as(drive(ExportJob.run({ sources: [{ provider: fakeProvider(1, 1), workflow: "wf" }], out, state, terminal: t.terminal })), t)
      }
      const first = yield* once()
      expect(summaryOf(first.text())).toBe(`exported 1 run, 1 step to ${out}\n  cloudflare: 1 run, 1 step (complete 1)\n`)
      const second = yield* once()
      expect(summaryOf(second.text())).toBe(`exported 0 runs, 0 steps to ${out}\n  skipped: 1 run unchanged since the last export\n`)
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("the summary's text is escaped: a control character in a name is shown, not sent to the terminal", () =>
    Effect.gen(function*() {
      const out = path.join(tempDir(), "runs\u001b]0;title\u0007.ndjson")
      const t = terminal()
      const exit = yield* drive(ExportJob.run({ sources: [{ provider: fakeProvider(1, 1), workflow: "wf" }], out, terminal: t.terminal }))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(summaryOf(t.text()).split("\n")[0]).toBe(`exported 1 run, 1 step to ${out.replace("\u001b", "\\x1b").replace("\u0007", "\\x07")}`)
      // eslint-disable-next-line no-control-regex
      expect(t.text()).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/)
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("a second export of the same state file or output, while the first runs, is refused at once", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const out = path.join(dir, "runs.ndjson")
      const state = path.join(dir, "state.json")
      const slow = fakeProvider(50, 2)
      const first = yield* Effect.fork(ExportJob.run({ sources: [{ provider: slow, workflow: "wf" }], out, state, quiet: true }))
      for (let i = 0; i < 2000 && !fs.existsSync(`${out}.lock`); i++) yield* Effect.promise(() => new Promise((r) => setTimeout(r, 5)))
      expect(first.unsafePoll()).toBeNull()
      const byState = yield* Effect.flip(ExportJob.run({ sources: [{ provider: fakeProvider(1, 1), workflow: "wf" }], state, quiet: true }))
      expect(byState.message).toMatch(new RegExp(`^${state} is in use by another export \\(pid ${process.pid}, started .*\\); wait for it to end`))
      const byOutput = yield* Effect.flip(ExportJob.run({ sources: [{ provider: fakeProvider(1, 1), workflow: "wf" }], out, quiet: true }))
      expect(byOutput._tag).toBe("LockedError")
      yield* until(first)
      expect(fs.readdirSync(dir).sort()).toEqual(["runs.ndjson", "state.json"])
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("gzip to stdout, interrupted: what the reader got is valid gzip of whole records", () =>
    Effect.gen(function*() {
      const { bytes, sink } = collect()
      const fiber = yield* Effect.fork(ExportJob.run({ sources: [{ provider: fakeProvider(40, 2), workflow: "wf" }], gzip: true, stdout: sink, quiet: true, concurrency: 1 }))
      for (let i = 0; i < 12; i++) {
        yield* TestClock.adjust(20)
        yield* Effect.promise(() => new Promise((r) => setImmediate(r)))
      }
      yield* Fiber.interrupt(fiber)
      const text = zlib.gunzipSync(bytes()).toString()
      const records = lines(text)
      expect(records.length).toBeGreaterThan(0)
      expect(records.length).toBeLessThan(80)
      expect(text.endsWith("\n")).toBe(true)
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("follow interrupted: the file is committed and the summary says following stopped", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const out = path.join(dir, "follow.ndjson")
      const t = terminal()
      const provider = fakeProvider(3, 2, [], { running: new Set(["run-2"]) })
      const fiber = yield* Effect.fork(ExportJob.run({ sources: [{ provider, workflow: "wf" }], out, follow: { poll: "5 seconds" }, terminal: t.terminal }))
      for (let i = 0; i < 50; i++) {
        yield* TestClock.adjust(1000)
        yield* Effect.promise(() => new Promise((r) => setImmediate(r)))
      }
      yield* Fiber.interrupt(fiber)
      expect(lines(fs.readFileSync(out, "utf8"))).toHaveLength(5)
      expect(summaryOf(t.text())).toBe(
        `exported 3 runs, 5 steps to ${out}\n  cloudflare: 3 runs, 5 steps (complete 5)\n  following stopped: 1 run still not terminal; what was written is kept\n`
      )
    }).pipe(Effect.provide(FileSystemLive)))
})
