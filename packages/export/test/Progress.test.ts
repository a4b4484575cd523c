import { describe, expect, it } from "@effect/vitest"
import { Progress, Summary } from "@steptrail/export"
import { Duration, Effect, Fiber, TestClock } from "effect"
import { PassThrough } from "node:stream"

const sink = (isTTY: boolean) => {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 80 })
  let text = ""
  stream.on("data", (c: Buffer) => (text += c.toString()))
  return { terminal: Progress.stderr(stream), text: () => text }
}

describe("Progress", () => {
  it("formats runs of total, steps, rate, ETA and retries", () => {
    const line = Progress.format({ runs: 50, steps: 600, totalRuns: 200, elapsedMillis: 10_000, retries: 3 })
    expect(line).toBe("50/200 runs · 600 steps · 5.0 runs/s · ETA 30s · elapsed 10s · 3 retries")
    expect(Progress.format({ runs: 7, steps: 9, totalRuns: undefined, elapsedMillis: 0, retries: 0 })).toBe("7 runs · 9 steps · 0.0 runs/s · elapsed 0s")
  })

  it("while the budget holds requests back, says so, and takes the ETA from the budget, not from the first burst", () => {
    const budget = { limit: 1200, window: Duration.minutes(5) }
    // 1,184 runs in 20 s (a burst), 117 to go at 1 request each: the budget's next window, not 2 s
    const held = Progress.format({
      runs: 1184,
      steps: 23_680,
      totalRuns: 1301,
      elapsedMillis: 20_000,
      retries: 0,
      requests: 1200,
      budget: { budget, nextInMillis: 252_000, paused: false }
    })
    expect(held).toBe("1184/1301 runs · waiting for the rate budget (1200/5m), next request in 4m12s · ETA 4m12s · elapsed 20s")
    // 2,500 requests left at 1,200 per 5 minutes: two more windows after the next request
    const far = Progress.format({
      runs: 100,
      steps: 2000,
      totalRuns: 2600,
      elapsedMillis: 20_000,
      retries: 0,
      requests: 100,
      budget: { budget, nextInMillis: 60_000, paused: false }
    })
    expect(far).toContain("ETA 11m00s")
    // late in a long export the average rate (waits included) would say 2m51s: the budget says 2m09s
    const late = Progress.format({
      runs: 1335,
      steps: 26_000,
      totalRuns: 1501,
      elapsedMillis: 1_371_000,
      retries: 0,
      requests: 5874,
      budget: { budget, nextInMillis: 129_000, paused: false }
    })
    expect(late).toContain("next request in 2m09s · ETA 2m09s")
    const paused = Progress.format({
      runs: 10,
      steps: 100,
      totalRuns: undefined,
      elapsedMillis: 5000,
      retries: 0,
      requests: 12,
      budget: { budget: undefined, nextInMillis: 4000, paused: true }
    })
    expect(paused).toBe("10 runs · paused by a 429 from the provider, next request in 4s · elapsed 5s")
  })

  it("budgetSnapshot picks the budget holding requests back longest", () => {
    const budget = { limit: 10, window: Duration.seconds(10) }
    const status = (nextAt: number | null, pausedUntil = 0) =>
      ({ budget, queued: nextAt === null ? 0 : 1, nextAt, waitedMillis: 0, pausedMillis: 0, started: 0, pausedUntil })
    expect(Progress.budgetSnapshot([status(null), status(5000), status(3000, 3000)], 1000)).toEqual({ budget, nextInMillis: 4000, paused: false })
    expect(Progress.budgetSnapshot([status(null)], 1000)).toEqual({ budget, nextInMillis: null, paused: false })
    expect(Progress.budgetSnapshot([], 1000)).toBeUndefined()
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
