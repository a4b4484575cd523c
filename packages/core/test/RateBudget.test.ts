import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Fiber, Option, Ref, TestClock } from "effect"
import * as RateBudget from "../src/RateBudget.js"

const SLACK = Duration.toMillis(RateBudget.SLACK)

/** Forks `count` fibers that each take the budget once, recording the clock at each start. */
const race = (budget: RateBudget.RateBudget, count: number) =>
  Effect.gen(function*() {
    const starts = yield* Ref.make<ReadonlyArray<number>>([])
    const fibers = yield* Effect.forEach(
      Array.from({ length: count }),
      () =>
        Effect.fork(
          budget.take.pipe(
            Effect.zipRight(Clock.currentTimeMillis),
            Effect.flatMap((now) => Ref.update(starts, (all) => [...all, now]))
          )
        ),
      { concurrency: "unbounded" }
    )
    return { starts: Ref.get(starts), all: Fiber.joinAll(fibers) }
  })

describe("RateBudget", () => {
  it.effect("lets `limit` requests through at once and the next only after the window", () =>
    Effect.gen(function*() {
      const budget = yield* RateBudget.make({ limit: 3, window: Duration.seconds(10) })
      const { all, starts } = yield* race(budget, 4)
      yield* TestClock.adjust("0 millis")
      expect(yield* starts).toEqual([0, 0, 0])
      yield* TestClock.adjust(Duration.millis(10_000 + SLACK - 1))
      expect(yield* starts).toHaveLength(3)
      yield* TestClock.adjust("1 millis")
      expect(yield* starts).toEqual([0, 0, 0, 10_000 + SLACK])
      yield* all
    }))

  it.effect("counts a request from its answer once settled, so a slow answer delays the next window", () =>
    Effect.gen(function*() {
      const budget = yield* RateBudget.make({ limit: 1, window: Duration.seconds(10) })
      const settle = yield* budget.take
      yield* TestClock.adjust("3 seconds") // the answer takes 3 s
      yield* settle
      const next = yield* Effect.fork(Effect.zipRight(budget.take, Clock.currentTimeMillis))
      yield* TestClock.adjust(Duration.millis(10_000 + SLACK - 1))
      expect(next.unsafePoll()).toBeNull() // not at start + window
      yield* TestClock.adjust(Duration.millis(3_000))
      expect(yield* Fiber.join(next)).toBe(3_000 + 10_000 + SLACK)
    }))

  it.effect("never lets more than `limit` start in any window", () =>
    Effect.gen(function*() {
      const limit = 5
      const window = 1000 + SLACK
      const budget = yield* RateBudget.make({ limit, window: Duration.seconds(1) })
      const { all, starts } = yield* race(budget, 40)
      // a second wave joins while the first is still queued
      yield* TestClock.adjust("2500 millis")
      const second = yield* race(budget, 20)
      yield* TestClock.adjust("1 minutes")
      yield* all
      yield* second.all
      const times = [...(yield* starts), ...(yield* second.starts)].sort((a, b) => a - b)
      expect(times).toHaveLength(60)
      for (const t of times) {
        const inWindow = times.filter((s) => s >= t && s < t + window)
        expect(inWindow.length).toBeLessThanOrEqual(limit)
      }
      // and the budget is used fully: every window boundary lets a full batch through
      expect(times.slice(0, 10)).toEqual([0, 0, 0, 0, 0, window, window, window, window, window])
    }))

  it.effect("requests spread over time only wait for the oldest one in the window", () =>
    Effect.gen(function*() {
      const budget = yield* RateBudget.make({ limit: 2, window: Duration.seconds(10) })
      yield* budget.take // t = 0
      yield* TestClock.adjust("4 seconds")
      yield* budget.take // t = 4000
      const { all, starts } = yield* race(budget, 2)
      yield* TestClock.adjust(Duration.millis(6000 + SLACK))
      expect(yield* starts).toEqual([10_000 + SLACK])
      yield* TestClock.adjust("4 seconds")
      expect(yield* starts).toEqual([10_000 + SLACK, 14_000 + SLACK])
      yield* all
    }))

  it.effect("pause holds back every fiber until it has passed", () =>
    Effect.gen(function*() {
      const budget = yield* RateBudget.make({ limit: 100, window: Duration.seconds(1) })
      yield* budget.pause(5000)
      const { all, starts } = yield* race(budget, 10)
      yield* TestClock.adjust("4999 millis")
      expect(yield* starts).toEqual([])
      yield* TestClock.adjust("1 millis")
      expect(yield* starts).toEqual(Array.from({ length: 10 }, () => 5000))
      yield* all
    }))

  it.effect("a pause issued while fibers wait for the window holds them too", () =>
    Effect.gen(function*() {
      const budget = yield* RateBudget.make({ limit: 1, window: Duration.seconds(1) })
      yield* budget.take
      const { all, starts } = yield* race(budget, 2)
      yield* TestClock.adjust("500 millis")
      yield* budget.pause(3000) // until 3500
      yield* TestClock.adjust("2999 millis")
      expect(yield* starts).toEqual([])
      yield* TestClock.adjust("1 millis")
      expect(yield* starts).toEqual([3500])
      yield* TestClock.adjust(Duration.millis(1000 + SLACK))
      expect(yield* starts).toEqual([3500, 4500 + SLACK])
      yield* all
    }))

  it.effect("a shorter pause does not shorten a longer one", () =>
    Effect.gen(function*() {
      const budget = yield* RateBudget.make(undefined)
      yield* budget.pause(5000)
      yield* budget.pause(1000)
      yield* budget.pause(-10)
      const { all, starts } = yield* race(budget, 1)
      yield* TestClock.adjust("4999 millis")
      expect(yield* starts).toEqual([])
      yield* TestClock.adjust("1 millis")
      expect(yield* starts).toEqual([5000])
      yield* all
    }))

  it.effect("without a budget, requests never wait", () =>
    Effect.gen(function*() {
      const budget = yield* RateBudget.make(undefined)
      const { all, starts } = yield* race(budget, 200)
      yield* TestClock.adjust("0 millis")
      yield* all
      expect((yield* starts).every((t) => t === 0)).toBe(true)
      expect(yield* starts).toHaveLength(200)
    }))

  it.effect("an interrupted waiter gives up its turn", () =>
    Effect.gen(function*() {
      const budget = yield* RateBudget.make({ limit: 1, window: Duration.seconds(1) })
      yield* budget.take
      const waiting = yield* Effect.fork(budget.take)
      yield* TestClock.adjust("10 millis")
      yield* Fiber.interrupt(waiting)
      const { all, starts } = yield* race(budget, 1)
      yield* TestClock.adjust(Duration.millis(1000 + SLACK))
      expect(yield* starts).toEqual([1000 + SLACK])
      yield* all
    }))

  it("cloudflare's budget is 1200 per 5 minutes", () => {
    expect(RateBudget.cloudflare.limit).toBe(1200)
    expect(Duration.toMillis(RateBudget.cloudflare.window)).toBe(300_000)
  })
})

describe("RateBudget.parse", () => {
  it.each([
    ["1200/5m", 1200, 300_000],
    ["100/5s", 100, 5000],
    ["10/s", 10, 1000],
    ["250/500ms", 250, 500],
    ["60/1min", 60, 60_000],
    ["5000/h", 5000, 3_600_000],
    [" 3 / 2 sec ", 3, 2000],
    ["10/1.5s", 10, 1500]
  ])("reads %j", (text, limit, window) => {
    const budget = RateBudget.parse(text)
    expect(Option.isSome(budget)).toBe(true)
    const { limit: l, window: w } = Option.getOrThrow(budget)
    expect(l).toBe(limit)
    expect(Duration.toMillis(w)).toBe(window)
  })

  it.each(["", "junk", "10", "10/", "/5s", "10/5", "10/5x", "0/5s", "10/0s", "10/0ms", "-1/5s", "1.5/s", "10/5s extra", "10 per second", "99999999999999999999/s"])(
    "refuses %j",
    (text) => {
      expect(RateBudget.parse(text)).toEqual(Option.none())
    }
  )
})
