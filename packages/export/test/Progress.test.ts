import { describe, expect, it } from "@effect/vitest"
import { Progress, Summary } from "@steptrail/export"
import { Effect, Fiber, TestClock } from "effect"
import { PassThrough } from "node:stream"

const sink = (isTTY: boolean) => {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 80 })
  let text = ""
  stream.on("data", (c: Buffer) => (text += c.toString()))
  return { terminal: Progress.stderr(stream), text: () => text }
}

describe("Progress", () => {
  it("formats runs of total, steps, rate, ETA, retries and rate-limit waits", () => {
    const line = Progress.format({ runs: 50, steps: 600, totalRuns: 200, elapsedMillis: 10_000, retries: 3, waiting: 2 })
    expect(line).toBe("50/200 runs · 600 steps · 5.0 runs/s · ETA 30s · elapsed 10s · 3 retries · 2 waiting on rate limit")
    expect(Progress.format({ runs: 7, steps: 9, totalRuns: undefined, elapsedMillis: 0, retries: 0, waiting: 0 })).toBe("7 runs · 9 steps · 0.0 runs/s · elapsed 0s")
  })

  it.effect("the stderr terminal displays on its stream, tells whether it is a TTY, and reads nothing", () =>
    Effect.gen(function*() {
      const { terminal, text } = sink(true)
      yield* terminal.display("hello")
      expect(text()).toBe("hello")
      expect(yield* terminal.isTTY).toBe(true)
      expect(yield* terminal.columns).toBe(80)
      expect((yield* Effect.flip(terminal.readLine))._tag).toBe("QuitException")
    }))

  it.effect("off a terminal prints a plain line every interval, none before the first", () =>
    Effect.gen(function*() {
      const { terminal, text } = sink(false)
      const summary = Summary.empty("stdout")
      const fiber = yield* Effect.fork(Progress.report(summary, { terminal, every: "5 seconds" }))
      yield* TestClock.adjust("4 seconds")
      expect(text()).toBe("")
      summary.runs = 12
      summary.steps = 140
      yield* TestClock.adjust("1 seconds")
      yield* TestClock.adjust("5 seconds")
      yield* Fiber.interrupt(fiber)
      const lines = text().trimEnd().split("\n")
      expect(lines).toHaveLength(2)
      expect(lines[0]).toBe("steptrail: 12 runs · 140 steps · 2.4 runs/s · elapsed 5s")
      expect(text()).not.toContain("\u001b[")
    }))

  it.effect("on a terminal redraws one line in place and clears it at the end", () =>
    Effect.gen(function*() {
      const { terminal, text } = sink(true)
      const summary = Summary.empty("stdout")
      const fiber = yield* Effect.fork(Progress.report(summary, { terminal, totalRuns: 10 }))
      summary.runs = 5
      yield* TestClock.adjust("1 seconds")
      yield* Fiber.interrupt(fiber)
      expect(text()).toContain("5/10 runs")
      expect(text()).not.toContain("\n")
      expect(text().endsWith("\r\u001b[2K")).toBe(true) // the line was cleared, not left behind
    }))
})
