import { describe, expect, it } from "@effect/vitest"
import { RateBudget } from "@steptrail/core"
import { Progress, Summary } from "@steptrail/export"
import { Duration, Effect, Fiber, Ref, TestClock } from "effect"
import { PassThrough } from "node:stream"

const sink = (isTTY: boolean) => {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 80 })
  let text = ""
  stream.on("data", (c: Buffer) => (text += c.toString()))
  return { terminal: Progress.stderr(stream), text: () => text, stream }
}

describe("Progress", () => {
  it("formats runs of total, steps, rate, ETA and retries", () => {
    const line = Progress.format({ runs: 50, steps: 600, totalRuns: 200, elapsedMillis: 10_000, retries: 3 })
    expect(line).toBe("50/200 runs · 600 steps · 5.0 runs/s · ETA 30s · elapsed 10s · 3 retries")
    expect(Progress.format({ runs: 7, steps: 9, totalRuns: undefined, elapsedMillis: 0, retries: 0 })).toBe("7 runs · 9 steps · 0.0 runs/s · elapsed 0s")
    expect(Progress.format({ runs: 1, steps: 1, totalRuns: undefined, elapsedMillis: 0, retries: 0 })).toBe("1 run · 1 step · 0.0 runs/s · elapsed 0s")
    expect(Progress.format({ runs: 0, steps: 0, totalRuns: 1, elapsedMillis: 0, retries: 0 })).toMatch(/^0\/1 run · 0 steps/)
  })

  it("while the budget holds requests back, says so, and takes the ETA from the budget, not from the first burst", () => {
    const budget = { limit: 1200, window: Duration.minutes(5) }
    // 1,184 runs in 20 s (a burst), 117 to go at 1 request each: the budget's next window, then their 2 s of work
    const held = Progress.format({
      runs: 1184,
      steps: 23_680,
      totalRuns: 1301,
      elapsedMillis: 20_000,
      retries: 0,
      requests: 1200,
      budget: { budget, nextInMillis: 252_000, paused: false },
      heldMillis: 0
    })
    expect(held).toBe("1184/1301 runs · waiting for the rate budget (1200/5m), next request in 4m12s · ETA 4m14s · elapsed 20s")
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
    // late in a long export bound by the budget alone: the 166 runs left (4.4 requests each, 730
    // in all) fit in the next window, so they end a few seconds after it opens. The rate so far
    // (waits included) would say 2m50s; a real 25-minute export ended 6 s after its last window
    // opened while that estimate still said 3m06s
    const lateSnapshot = {
      runs: 1335,
      steps: 26_000,
      totalRuns: 1501,
      elapsedMillis: 1_371_000,
      retries: 0,
      requests: 5874,
      budget: { budget, nextInMillis: 129_000, paused: false },
      heldMillis: 1_300_000
    }
    expect(Progress.format(lateSnapshot)).toContain("next request in 2m09s · ETA 2m18s")
    // the same with 429 pauses among the waits: the provider limits what the budget does not know
    expect(Progress.format({ ...lateSnapshot, pausedMillis: 60_000 })).toContain("ETA 2m50s")
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

  it("the ETA counts a 429 pause under way, and the pauses that keep coming", () => {
    // a budget that never binds (--rate-limit 100000/5m): before, the ETA was the pause alone
    const budget = { limit: 100_000, window: Duration.minutes(5) }
    const paused = (nextInMillis: number) => ({ budget, nextInMillis, paused: true })
    const at = (runs: number, elapsedMillis: number, heldMillis: number, hold?: ReturnType<typeof paused>) =>
      Progress.format({ runs, steps: runs * 8, totalRuns: 2001, elapsedMillis, retries: 0, requests: runs + 5, heldMillis, pausedMillis: heldMillis, budget: hold })
    // the first pause: 195 runs in 1.6 s, 1,806 to go; the pause's 15 s, then 14.8 s of work
    expect(at(195, 1600, 0, paused(15_000))).toBe("195/2001 runs · paused by a 429 from the provider, next request in 15s · ETA 30s · elapsed 2s")
    // a provider's own limit of 100 per 5 s: 492 runs in 25 s, 20 s of it paused; the pauses
    // recur, so the remaining 1,509 runs take as long as the rate so far says (the export took 1m40s)
    expect(at(492, 25_000, 20_000, paused(3000))).toContain("next request in 3s · ETA 1m17s")
    // once the pause is over, the rate seen while working does not undercut the rate so far
    expect(at(492, 25_000, 20_000)).toContain("ETA 1m17s")
  })

  it("fits the line to the columns given: less important pieces first, then shorter words, then a cut", () => {
    const budget = { limit: 100, window: Duration.seconds(5) }
    const s = {
      runs: 96,
      steps: 700,
      totalRuns: 401,
      elapsedMillis: 2000,
      retries: 2,
      requests: 100,
      budget: { budget, nextInMillis: 3000, paused: false },
      heldMillis: 0
    }
    const full = "96/401 runs · waiting for the rate budget (100/5s), next request in 3s · ETA 18s · elapsed 2s · 2 retries"
    expect(Progress.format(s)).toBe(full)
    expect(Progress.format(s, 200)).toBe(full)
    expect(Progress.format(s, 94)).toBe("96/401 runs · waiting for the rate budget (100/5s), next request in 3s · ETA 18s · 2 retries")
    expect(Progress.format(s, 79)).toBe("96/401 runs · budget 100/5s, next in 3s · ETA 18s · 2r")
    expect(Progress.format(s, 40)).toBe("96/401 runs · budget 100/5s, next in 3s…")
    for (const columns of [10, 20, 39, 50, 60, 79, 80, 100]) expect([...Progress.format(s, columns)].length).toBeLessThanOrEqual(columns)
    const working = { runs: 50, steps: 600, totalRuns: 200, elapsedMillis: 10_000, retries: 0 }
    expect(Progress.format(working, 50)).toBe("50/200 runs · 600 steps · 5.0 runs/s · ETA 30s")
  })

  it.scoped("the ETA of the running reporter counts a pause as it happens (TestClock)", () =>
    Effect.gen(function*() {
      const { terminal, text } = sink(false)
      const summary = yield* Ref.make(Summary.empty("stdout"))
      const budget = yield* RateBudget.get({ provider: "p", host: "h", credential: "c" }, undefined)
      const fiber = yield* Effect.fork(Progress.report(summary, { terminal, every: "5 seconds", totalRuns: 200 }))
      // 100 runs in the first 5 s, then a 429 asks for 60 s and a request waits on it
      yield* TestClock.adjust("4 seconds")
      yield* Ref.update(summary, (s) => ({ ...s, runs: 100 }))
      yield* budget.pause(61_000)
      yield* Effect.fork(budget.take)
      yield* TestClock.adjust("1 seconds")
      // 20 s into the pause: its remaining 40 s, then 100 runs at the 4 s the first 100 took
      yield* TestClock.adjust("20 seconds")
      yield* Fiber.interrupt(fiber)
      const lines = text().trimEnd().split("\n")
      expect(lines[0]).toBe("steptrail: 100/200 runs · paused by a 429 from the provider, next request in 1m00s · ETA 1m04s · elapsed 5s")
      expect(lines.at(-1)).toBe("steptrail: 100/200 runs · paused by a 429 from the provider, next request in 40s · ETA 44s · elapsed 25s")
    }).pipe(Effect.provide(RateBudget.layer())))

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
      const summary = yield* Ref.make(Summary.empty("stdout"))
      const fiber = yield* Effect.fork(Progress.report(summary, { terminal, every: "5 seconds" }))
      yield* TestClock.adjust("4 seconds")
      expect(text()).toBe("")
      yield* Ref.update(summary, (s) => ({ ...s, runs: 12, steps: 140 }))
      yield* TestClock.adjust("1 seconds")
      yield* TestClock.adjust("5 seconds")
      yield* Fiber.interrupt(fiber)
      const lines = text().trimEnd().split("\n")
      expect(lines).toHaveLength(2)
      expect(lines[0]).toBe("steptrail: 12 runs · 140 steps · 2.4 runs/s · elapsed 5s")
      expect(text()).not.toContain("\u001b[")
    }))

  it.effect("a total another fiber learns later (a Ref) shows from the next line on", () =>
    Effect.gen(function*() {
      const { terminal, text } = sink(false)
      const summary = yield* Ref.make(Summary.empty("stdout"))
      const total = yield* Ref.make<number | undefined>(undefined)
      const fiber = yield* Effect.fork(Progress.report(summary, { terminal, every: "5 seconds", totalRuns: Ref.get(total) }))
      yield* Ref.update(summary, (s) => ({ ...s, runs: 10 }))
      yield* TestClock.adjust("5 seconds")
      yield* Ref.set(total, 40)
      yield* TestClock.adjust("5 seconds")
      yield* Fiber.interrupt(fiber)
      const lines = text().trimEnd().split("\n")
      expect(lines[0]).toMatch(/^steptrail: 10 runs · /)
      expect(lines[1]).toMatch(/^steptrail: 10\/40 runs · /)
    }))

  it.effect("on a terminal redraws one line in place and clears it at the end", () =>
    Effect.gen(function*() {
      const { terminal, text } = sink(true)
      const summary = yield* Ref.make(Summary.empty("stdout"))
      const fiber = yield* Effect.fork(Progress.report(summary, { terminal, totalRuns: 10 }))
      yield* Ref.update(summary, (s) => ({ ...s, runs: 5 }))
      yield* TestClock.adjust("1 seconds")
      yield* Fiber.interrupt(fiber)
      expect(text()).toContain("5/10 runs")
      expect(text()).not.toContain("\n")
      expect(text().endsWith("\r\u001b[2K")).toBe(true) // the line was cleared, not left behind
    }))

  it.effect("on a terminal the line is cut to the width of the moment, and rows a narrowed terminal rewrapped it onto are erased", () =>
    Effect.gen(function*() {
      const { stream, terminal, text } = sink(true)
      stream.columns = 200
      const summary = yield* Ref.make(Summary.empty("stdout"))
      const fiber = yield* Effect.fork(Progress.report(summary, { terminal, totalRuns: 10 }))
      yield* Ref.update(summary, (s) => ({ ...s, runs: 5, steps: 40 }))
      yield* TestClock.adjust("1 seconds")
      const wide = text().split("\r\u001b[2K").at(-1)!
      expect(wide).toBe("5/10 runs · 40 steps · 5.0 runs/s · ETA 1s · elapsed 1s")
      // narrowed to 30 columns: the 55-column line now takes two rows; up one, erase below, redraw
      stream.columns = 30
      const before = text().length
      yield* TestClock.adjust("250 millis")
      const redraw = text().slice(before)
      expect(redraw.startsWith("\r\u001b[1A\u001b[J")).toBe(true)
      const narrow = redraw.slice("\r\u001b[1A\u001b[J".length)
      expect([...narrow].length).toBeLessThanOrEqual(29)
      expect(narrow).toBe("5/10 runs · ETA 1s")
      // the next redraws fit: plain erase of one line
      yield* TestClock.adjust("250 millis")
      expect(text().slice(before + redraw.length)).toMatch(/^\r\u001b\[2K5\/10 runs · ETA \d+s$/)
      yield* Fiber.interrupt(fiber)
      expect(text().endsWith("\r\u001b[2K")).toBe(true)
    }))
})
