import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Fiber, Logger, LogLevel, Option, Ref, TestClock } from "effect"
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
      yield* settle()
      const next = yield* Effect.fork(Effect.zipRight(budget.take, Clock.currentTimeMillis))
      yield* TestClock.adjust(Duration.millis(10_000 + SLACK - 1))
      expect(next.unsafePoll()).toBeNull() // not at start + window
      yield* TestClock.adjust(Duration.millis(3_000))
      expect(yield* Fiber.join(next)).toBe(3_000 + 10_000 + SLACK)
    }))

  it.effect("a request abandoned in flight counts from ABANDONED after the abort: the server may count it yet", () =>
    Effect.gen(function*() {
      const budget = yield* RateBudget.make({ limit: 1, window: Duration.seconds(10) })
      const settle = yield* budget.take
      yield* TestClock.adjust("2 seconds") // interrupted 2 s in
      yield* settle(true)
      const abandoned = 2_000 + Duration.toMillis(RateBudget.ABANDONED)
      expect((yield* budget.snapshot).starts).toEqual([abandoned])
      const next = yield* Effect.fork(Effect.zipRight(budget.take, Clock.currentTimeMillis))
      yield* TestClock.adjust("20 seconds")
      expect(yield* Fiber.join(next)).toBe(abandoned + 10_000 + SLACK)
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

  it.effect("a snapshot restored into another budget counts its requests there: the window holds across the hand-over", () =>
    Effect.gen(function*() {
      const first = yield* RateBudget.make({ limit: 3, window: Duration.seconds(10) })
      yield* first.take // t = 0
      yield* TestClock.adjust("2 seconds")
      yield* first.take // t = 2000
      yield* first.pause(6_000) // a 429 until t = 8000
      const snapshot = yield* first.snapshot
      expect(snapshot).toEqual({ starts: [0, 2000], pausedUntil: 8000 })
      // the next holder of the credential: one request of its own, then the hand-over
      const second = yield* RateBudget.make({ limit: 3, window: Duration.seconds(10) })
      yield* TestClock.adjust("1 second")
      yield* second.take // t = 3000, before the restore
      yield* second.restore(snapshot)
      expect((yield* second.snapshot).starts).toEqual([0, 2000, 3000])
      const { all, starts } = yield* race(second, 2)
      // the pause holds until 8000, then the log is full until the oldest (0) leaves the window
      yield* TestClock.adjust("20 seconds")
      yield* all
      expect(yield* starts).toEqual([10_000 + SLACK, 12_000 + SLACK])
    }))

  it.effect("restore keeps the newest `limit` of both logs, in order", () =>
    Effect.gen(function*() {
      const budget = yield* RateBudget.make({ limit: 2, window: Duration.seconds(10) })
      yield* budget.restore({ starts: [5, 1, 3], pausedUntil: 0 })
      expect(yield* budget.snapshot).toEqual({ starts: [3, 5], pausedUntil: 0 })
      // its own snapshot given back changes nothing; a time both logs hold counts as often as the one holding it more
      const own = yield* RateBudget.make({ limit: 5, window: Duration.seconds(10) })
      yield* own.restore({ starts: [1, 1, 2], pausedUntil: 0 })
      yield* own.restore(yield* own.snapshot)
      expect((yield* own.snapshot).starts).toEqual([1, 1, 2])
      yield* own.restore({ starts: [1, 2, 2, 3], pausedUntil: 0 })
      expect((yield* own.snapshot).starts).toEqual([1, 1, 2, 2, 3])
      // an unlimited budget keeps only the pause
      const unlimited = yield* RateBudget.make(undefined)
      yield* unlimited.restore({ starts: [1, 2], pausedUntil: 7 })
      expect(yield* unlimited.snapshot).toEqual({ starts: [], pausedUntil: 7 })
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

/** A key no other test uses: the default registry lives as long as the process. */
let keys = 0
const freshKey = (credential = "c"): RateBudget.Key => ({
  provider: `test-${++keys}-${Math.random().toString(36).slice(2)}`,
  host: "api.example.com",
  credential: RateBudget.hashCredential(credential)
})

/** Runs `effect` with a logger that keeps every warning. */
const warnings = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.gen(function*() {
    const lines: Array<string> = []
    const logger = Logger.make(({ logLevel, message }) => {
      if (logLevel === LogLevel.Warning) lines.push(Array.isArray(message) ? message.join(" ") : String(message))
    })
    const result = yield* effect.pipe(Effect.provide(Logger.replace(Logger.defaultLogger, logger)))
    return { result, lines }
  })

const TEN = { limit: 2, window: Duration.seconds(10) }

describe("RateBudget registry", () => {
  it.scoped("the default Budgets share one budget per key across gets", () =>
    Effect.gen(function*() {
      const key = freshKey()
      const a = yield* RateBudget.get(key, TEN)
      const b = yield* RateBudget.get({ ...key }, TEN)
      expect(b).toBe(a)
      yield* a.take
      expect((yield* b.status).started).toBe(1)
      // another credential, host or provider is another budget
      expect(yield* RateBudget.get({ ...key, credential: RateBudget.hashCredential("other") }, TEN)).not.toBe(a)
      expect(yield* RateBudget.get({ ...key, host: "api.example.com:8443" }, TEN)).not.toBe(a)
      expect(yield* RateBudget.get({ ...key, provider: `${key.provider}-x` }, TEN)).not.toBe(a)
    }))

  it.scoped("the default Budgets are one registry for the whole process", () =>
    Effect.gen(function*() {
      const key = freshKey()
      const first = yield* RateBudget.get(key, TEN)
      // a separate program (its own scope, its own fiber) still gets the same budget
      const again = yield* Effect.scoped(RateBudget.get(key, TEN)).pipe(Effect.fork, Effect.flatMap(Fiber.join))
      expect(again).toBe(first)
      const registry = yield* RateBudget.Budgets
      const listed = (yield* registry.entries).filter((e) => e.key.provider === key.provider)
      expect(listed).toHaveLength(1)
      expect(listed[0]!.budget).toBe(first)
    }))

  it.scoped("RateBudget.layer() gives a program budgets of its own", () =>
    Effect.gen(function*() {
      const key = freshKey()
      const global = yield* RateBudget.get(key, TEN)
      const isolated = yield* RateBudget.get(key, TEN).pipe(Effect.provide(RateBudget.layer()))
      const other = yield* RateBudget.get(key, TEN).pipe(Effect.provide(RateBudget.layer()))
      expect(isolated).not.toBe(global)
      expect(other).not.toBe(isolated)
      // within one layer, one budget per key
      const [x, y] = yield* Effect.all([RateBudget.get(key, TEN), RateBudget.get(key, TEN)]).pipe(
        Effect.provide(RateBudget.layer())
      )
      expect(y).toBe(x)
    }))

  it.scoped("a layer lists the budgets in use, with their keys", () =>
    Effect.gen(function*() {
      const a = freshKey("a")
      const b = freshKey("b")
      const entries = yield* Effect.gen(function*() {
        yield* RateBudget.get(a, TEN)
        yield* RateBudget.get(b, undefined)
        yield* RateBudget.get(a, TEN)
        return yield* Effect.flatMap(RateBudget.Budgets, (r) => r.entries)
      }).pipe(Effect.provide(RateBudget.layer()))
      expect(entries.map((e) => e.key.provider).sort()).toEqual([a.provider, b.provider].sort())
      expect(entries.find((e) => e.key.provider === b.provider)!.budget.budget).toBeUndefined()
    }))

  it.effect.each([["the default registry", false], ["RateBudget.layer()", true]] as const)(
    "a budget that does not match keeps the first and logs a warning (%s)",
    ([, isolated]) =>
      Effect.gen(function*() {
        const key = freshKey()
        const asks = Effect.gen(function*() {
          const first = yield* RateBudget.get(key, TEN)
          const same = yield* RateBudget.get(key, { limit: 2, window: Duration.millis(10_000) })
          const other = yield* RateBudget.get(key, { limit: 5, window: Duration.minutes(1) })
          const unlimited = yield* RateBudget.get(key, undefined)
          return { first, rest: [same, other, unlimited] }
        })
        const { lines, result } = yield* warnings(
          Effect.scoped(isolated ? Effect.provide(asks, RateBudget.layer()) : asks)
        )
        for (const budget of result.rest) expect(budget).toBe(result.first)
        expect(result.first.budget).toEqual(TEN)
        expect(lines).toEqual([
          `${key.provider}: a budget of 5/1m was asked for a credential that already has 2/10s; keeping 2/10s`,
          `${key.provider}: a budget of unlimited was asked for a credential that already has 2/10s; keeping 2/10s`
        ])
      })
  )

  it.effect("an unlimited budget asked first stays unlimited", () =>
    Effect.gen(function*() {
      const key = freshKey()
      const { lines, result } = yield* warnings(
        Effect.all([RateBudget.get(key, undefined), RateBudget.get(key, TEN)]).pipe(
          Effect.provide(RateBudget.layer()),
          Effect.scoped
        )
      )
      expect(result[1]).toBe(result[0])
      expect(result[0].budget).toBeUndefined()
      expect(lines).toEqual([
        `${key.provider}: a budget of 2/10s was asked for a credential that already has unlimited; keeping unlimited`
      ])
    }))

  it("hashCredential is stable, short and never the secret", () => {
    const secret = "sk-live-7f3a9c0d2e1b"
    const hash = RateBudget.hashCredential(secret)
    expect(hash).toMatch(/^[0-9a-f]{16}$/)
    expect(RateBudget.hashCredential(secret)).toBe(hash)
    expect(hash).not.toContain(secret)
    expect(RateBudget.hashCredential(`${secret}x`)).not.toBe(hash)
    expect(RateBudget.hashCredential("")).not.toBe(hash)
  })
})

describe("RateBudget.status", () => {
  it.effect("counts queued requests, when the next may start, and the time held back", () =>
    Effect.gen(function*() {
      const budget = yield* RateBudget.make({ limit: 1, window: Duration.seconds(10) })
      const window = 10_000 + SLACK
      expect(yield* budget.status).toEqual({
        budget: { limit: 1, window: Duration.seconds(10) },
        queued: 0,
        nextAt: null,
        waitedMillis: 0,
        pausedMillis: 0,
        started: 0,
        pausedUntil: 0
      })
      yield* budget.take
      const { all } = yield* race(budget, 2)
      yield* TestClock.adjust("0 millis")
      expect(yield* budget.status).toMatchObject({ queued: 2, nextAt: window, waitedMillis: 0, started: 1 })
      yield* TestClock.adjust(Duration.millis(window))
      expect(yield* budget.status).toMatchObject({ queued: 1, nextAt: 2 * window, waitedMillis: window, started: 2 })
      yield* TestClock.adjust("4 seconds")
      expect(yield* budget.status).toMatchObject({ queued: 1, waitedMillis: window + 4000, pausedMillis: 0 })
      yield* TestClock.adjust(Duration.millis(window - 4000))
      yield* all
      expect(yield* budget.status).toMatchObject({
        queued: 0,
        nextAt: null,
        waitedMillis: 2 * window,
        pausedMillis: 0,
        started: 3
      })
    }))

  it.effect("a pause counts in waitedMillis and pausedMillis", () =>
    Effect.gen(function*() {
      const budget = yield* RateBudget.make(undefined)
      yield* budget.pause(3000)
      const { all } = yield* race(budget, 3)
      yield* TestClock.adjust("1 seconds")
      // the wait under way counts while it lasts (a progress ETA reads it)
      expect(yield* budget.status).toMatchObject({ queued: 3, nextAt: 3000, started: 0, waitedMillis: 1000, pausedMillis: 1000 })
      yield* TestClock.adjust("2 seconds")
      yield* all
      // one fiber waits at a time: the time held back is counted once
      expect(yield* budget.status).toMatchObject({
        budget: undefined,
        queued: 0,
        nextAt: null,
        waitedMillis: 3000,
        pausedMillis: 3000,
        started: 3
      })
    }))

  it.effect("of a wait, only the part a pause explains is pausedMillis", () =>
    Effect.gen(function*() {
      const budget = yield* RateBudget.make({ limit: 1, window: Duration.seconds(10) })
      yield* budget.take // the window holds the next one until 10_000 + SLACK
      yield* budget.pause(4000)
      const { all } = yield* race(budget, 1)
      yield* TestClock.adjust("1 minutes")
      yield* all
      const status = yield* budget.status
      expect(status.waitedMillis).toBe(10_000 + SLACK)
      expect(status.pausedMillis).toBe(4000)
    }))

  it.effect("an interrupted waiter leaves the queue", () =>
    Effect.gen(function*() {
      const budget = yield* RateBudget.make({ limit: 1, window: Duration.seconds(10) })
      yield* budget.take
      const waiting = yield* Effect.fork(budget.take)
      yield* TestClock.adjust("1 seconds")
      expect((yield* budget.status).queued).toBe(1)
      yield* Fiber.interrupt(waiting)
      expect(yield* budget.status).toMatchObject({ queued: 0, nextAt: null, started: 1 })
    }))
})

describe("RateBudget.format", () => {
  it.each([
    [1200, 300_000, "1200/5m"],
    [10, 1000, "10/1s"],
    [100, 90_000, "100/90s"],
    [250, 500, "250/500ms"],
    [10, 1500, "10/1500ms"],
    [5000, 3_600_000, "5000/1h"],
    [60, 7_200_000, "60/2h"],
    [40, 60_000, "40/1m"]
  ])("%i per %i ms is %s, and parses back", (limit, ms, text) => {
    const budget = { limit, window: Duration.millis(ms) }
    expect(RateBudget.format(budget)).toBe(text)
    const parsed = Option.getOrThrow(RateBudget.parse(text))
    expect(parsed.limit).toBe(limit)
    expect(Duration.toMillis(parsed.window)).toBe(ms)
  })

  it("no budget is unlimited", () => {
    expect(RateBudget.format(undefined)).toBe("unlimited")
  })

  it("Cloudflare's budget reads as flags write it", () => {
    expect(RateBudget.format(RateBudget.cloudflare)).toBe("1200/5m")
  })
})
