import { describe, expect, it } from "@effect/vitest"
import { Clock, Effect, Either, Fiber, Option, Random, Ref, TestClock } from "effect"
import * as ProviderError from "../src/ProviderError.js"
import * as Retry from "../src/Retry.js"

const provider = "test"
const unavailable = () => new ProviderError.Unavailable({ provider, status: 503, detail: "down" })
const rateLimited = (retryAfterMs?: number) => new ProviderError.RateLimited({ provider, detail: "slow down", retryAfterMs })

type Outcome = ProviderError.ProviderError | "ok"

/**
 * Forks an effect that answers `outcomes` in turn (the last one repeats), retried with the
 * schedule; records the clock time of every attempt.
 */
const start = (outcomes: ReadonlyArray<Outcome>, options: Partial<Retry.Options>) =>
  Effect.gen(function*() {
    const attempts = yield* Ref.make<ReadonlyArray<number>>([])
    const origin = yield* Clock.currentTimeMillis
    const attempt = Effect.gen(function*() {
      const now = (yield* Clock.currentTimeMillis) - origin
      const done = yield* Ref.modify(attempts, (all) => [all.length, [...all, now]])
      const outcome = outcomes[Math.min(done, outcomes.length - 1)]!
      if (outcome === "ok") return "ok" as const
      return yield* Effect.fail(outcome)
    })
    const fiber = yield* Effect.fork(Effect.either(Effect.retry(attempt, Retry.schedule(options))))
    return { fiber, attempts: Ref.get(attempts) }
  })

/** Runs to the end with the clock moved far enough, returning the attempt times. */
const runAll = (outcomes: ReadonlyArray<Outcome>, options: Partial<Retry.Options>) =>
  Effect.gen(function*() {
    const { attempts, fiber } = yield* start(outcomes, options)
    yield* TestClock.adjust("1 days")
    const result = yield* Fiber.join(fiber)
    return { result, times: yield* attempts }
  })

const gaps = (times: ReadonlyArray<number>) => times.slice(1).map((t, i) => t - times[i]!)

/** Jitter factor 0.8 + 0.4 * r; r = 0.5 is no jitter. */
const noJitter = Effect.withRandom(Random.fixed([0.5]))

describe("Retry.schedule", () => {
  it.effect("stops after `times` retries", () =>
    Effect.gen(function*() {
      const { result, times } = yield* runAll([unavailable()], { times: 3, base: "100 millis" })
      expect(Either.isLeft(result)).toBe(true)
      expect(times).toHaveLength(4)
      const none = yield* runAll([unavailable()], { times: 0 })
      expect(none.times).toHaveLength(1)
    }))

  it.effect("succeeds as soon as an attempt does", () =>
    Effect.gen(function*() {
      const { result, times } = yield* runAll([unavailable(), rateLimited(), "ok"], { times: 5 })
      expect(result).toEqual(Either.right("ok"))
      expect(times).toHaveLength(3)
    }))

  it.effect("grows exponentially up to the cap", () =>
    Effect.gen(function*() {
      const { times } = yield* runAll([unavailable()], { times: 7, base: "100 millis", cap: "1 seconds" })
      expect(times[0]).toBe(0)
      expect(gaps(times)).toEqual([100, 200, 400, 800, 1000, 1000, 1000])
    }).pipe(noJitter))

  it.effect("jitters within 0.8..1.2 of the backoff and never past the cap", () =>
    Effect.gen(function*() {
      const options = { times: 6, base: "100 millis", cap: "1 seconds" } as const
      const low = yield* runAll([unavailable()], options).pipe(Effect.withRandom(Random.fixed([0])))
      expect(gaps(low.times)).toEqual([80, 160, 320, 640, 800, 800])
      const high = yield* runAll([unavailable()], options).pipe(Effect.withRandom(Random.fixed([1])))
      expect(gaps(high.times)).toEqual([120, 240, 480, 960, 1000, 1000])
      for (const seed of [1, 2, 3, 4, 5, 6, 7, 8]) {
        const { times } = yield* runAll([unavailable()], options).pipe(Effect.withRandom(Random.make(seed)))
        gaps(times).forEach((gap, i) => {
          const backoff = Math.min(100 * 2 ** i, 1000)
          expect(gap).toBeGreaterThanOrEqual(Math.floor(backoff * 0.8))
          expect(gap).toBeLessThanOrEqual(Math.min(Math.ceil(backoff * 1.2), 1000))
        })
      }
    }))

  it.effect("spreads the delays of concurrent retriers", () =>
    Effect.gen(function*() {
      const runs = yield* Effect.forEach([1, 2, 3, 4, 5, 6], () => runAll([unavailable()], { times: 1, base: "1 seconds" }))
      const firstGaps = new Set(runs.map(({ times }) => times[1]))
      expect(firstGaps.size).toBeGreaterThan(1)
    }))

  it.effect.each(
    [
      new ProviderError.InvalidRequest({ provider, status: 400, detail: "bad" }),
      new ProviderError.NotFound({ provider, detail: "gone" }),
      new ProviderError.Unauthorized({ provider, status: 401, detail: "no" }),
      new ProviderError.UnexpectedResponse({ provider, status: 426, detail: "upgrade" })
    ]
  )("does not retry $_tag", (error) =>
    Effect.gen(function*() {
      const { result, times } = yield* runAll([error], { times: 5 })
      expect(result).toEqual(Either.left(error))
      expect(times).toHaveLength(1)
    }))

  it.effect("stops at the first non-retryable error after transient ones", () =>
    Effect.gen(function*() {
      const notFound = new ProviderError.NotFound({ provider, detail: "gone" })
      const { result, times } = yield* runAll([unavailable(), notFound, unavailable()], { times: 5 })
      expect(result).toEqual(Either.left(notFound))
      expect(times).toHaveLength(2)
    }))

  it.effect("retries a transient bad body (not JSON, cut) like a cut connection", () =>
    Effect.gen(function*() {
      const bad = new ProviderError.DecodeFailure({ provider, path: "$", detail: "not JSON", transient: true })
      const { result, times } = yield* runAll([bad, "ok"], { times: 2 })
      expect(result).toEqual(Either.right("ok"))
      expect(times).toHaveLength(2)
    }))

  it.effect("never retries JSON of the wrong shape", () =>
    Effect.gen(function*() {
      const bad = new ProviderError.DecodeFailure({ provider, path: "$.id", detail: "Expected string" })
      const { result, times } = yield* runAll([bad, "ok"], { times: 2 })
      expect(Either.isLeft(result)).toBe(true)
      expect(times).toHaveLength(1)
    }))

  it.effect("honours Retry-After as a floor on the next delay", () =>
    Effect.gen(function*() {
      const { attempts, fiber } = yield* start([rateLimited(5000), "ok"], { base: "100 millis" })
      yield* TestClock.adjust("4900 millis")
      expect(yield* attempts).toHaveLength(1)
      yield* TestClock.adjust("200 millis")
      const times = yield* attempts
      expect(times).toHaveLength(2)
      expect(times[1]).toBeGreaterThanOrEqual(5000)
      expect(times[1]).toBeLessThan(5100)
      expect(yield* Fiber.join(fiber)).toEqual(Either.right("ok"))
    }))

  it.effect("honours a Retry-After longer than the cap", () =>
    Effect.gen(function*() {
      const { times } = yield* runAll([rateLimited(30_000), "ok"], { base: "100 millis", cap: "1 seconds" })
      expect(times).toEqual([0, 30_000])
    }))

  it.effect("honours the Retry-After of a 503", () =>
    Effect.gen(function*() {
      const error = new ProviderError.Unavailable({ provider, status: 503, detail: "down", retryAfterMs: 7000 })
      const { times } = yield* runAll([error, "ok"], { base: "100 millis" })
      expect(times).toEqual([0, 7000])
    }))

  it.effect("waits the backoff when Retry-After is shorter", () =>
    Effect.gen(function*() {
      const { times } = yield* runAll([rateLimited(100), "ok"], { base: "1 seconds" })
      expect(times).toEqual([0, 1000])
    }).pipe(noJitter))

  it.effect("Retry-After: 0 does not retry at once", () =>
    Effect.gen(function*() {
      const { attempts, fiber } = yield* start([rateLimited(0)], { times: 3, base: "1 seconds" })
      yield* TestClock.adjust("0 millis")
      expect(yield* attempts).toHaveLength(1)
      yield* TestClock.adjust("999 millis")
      expect(yield* attempts).toHaveLength(1)
      yield* TestClock.adjust("1 millis")
      expect(yield* attempts).toHaveLength(2)
      yield* TestClock.adjust("1 hours")
      expect(gaps(yield* attempts)).toEqual([1000, 2000, 4000])
      yield* Fiber.join(fiber)
    }).pipe(noJitter))

  describe("maxElapsed", () => {
    it.effect("no attempt starts after the total-time bound", () =>
      Effect.gen(function*() {
        for (const r of [0, 0.5, 1]) {
          const { result, times } = yield* runAll([unavailable()], {
            times: 100,
            base: "1 seconds",
            cap: "2 seconds",
            maxElapsed: "5 seconds"
          }).pipe(Effect.withRandom(Random.fixed([r])))
          expect(Either.isLeft(result)).toBe(true)
          expect(times.length).toBeGreaterThanOrEqual(3)
          expect(Math.max(...times)).toBeLessThanOrEqual(5000)
        }
      }))

    it.effect("stops long before `times` runs out", () =>
      Effect.gen(function*() {
        const { times } = yield* runAll([unavailable()], {
          times: 1000,
          base: "1 seconds",
          cap: "1 seconds",
          maxElapsed: "5 seconds"
        })
        expect(times).toEqual([0, 1000, 2000, 3000, 4000, 5000])
      }).pipe(noJitter))

    it.effect("does not start a wait whose Retry-After passes the bound", () =>
      Effect.gen(function*() {
        const { attempts, fiber } = yield* start([rateLimited(10_000)], { maxElapsed: "5 seconds" })
        yield* TestClock.adjust("1 millis")
        const exit = yield* Fiber.poll(fiber)
        expect(Option.isSome(exit)).toBe(true)
        expect(yield* attempts).toHaveLength(1)
        expect(yield* Fiber.join(fiber)).toEqual(Either.left(rateLimited(10_000)))
      }))

    it.effect("waits a Retry-After that ends within the bound, then gives up on one that does not", () =>
      Effect.gen(function*() {
        const { times } = yield* runAll([rateLimited(4000), rateLimited(4000), "ok"], {
          base: "100 millis",
          maxElapsed: "5 seconds"
        })
        expect(times).toEqual([0, 4000])
      }))
  })
})

describe("Retry.retryAfterMillis", () => {
  it("reads the wait of 429s and 5xx", () => {
    expect(Retry.retryAfterMillis(rateLimited(1200))).toBe(1200)
    expect(Retry.retryAfterMillis(rateLimited())).toBe(0)
    expect(
      Retry.retryAfterMillis(new ProviderError.Unavailable({ provider, detail: "x", retryAfterMs: 300 }))
    ).toBe(300)
    expect(Retry.retryAfterMillis(new ProviderError.NotFound({ provider, detail: "x" }))).toBe(0)
  })
})

describe("Retry.parseRetryAfter", () => {
  const now = Date.parse("2024-05-01T10:00:00Z")

  it("reads delay-seconds", () => {
    expect(Retry.parseRetryAfter("120", now)).toEqual(Option.some(120_000))
    expect(Retry.parseRetryAfter("0", now)).toEqual(Option.some(0))
    expect(Retry.parseRetryAfter(" 7 ", now)).toEqual(Option.some(7000))
  })

  it("reads decimal seconds", () => {
    expect(Retry.parseRetryAfter("1.5", now)).toEqual(Option.some(1500))
    expect(Retry.parseRetryAfter("0.25", now)).toEqual(Option.some(250))
  })

  it("reads an HTTP date relative to now", () => {
    expect(Retry.parseRetryAfter("Wed, 01 May 2024 10:00:30 GMT", now)).toEqual(Option.some(30_000))
    expect(Retry.parseRetryAfter("Wednesday, 01-May-24 10:02:00 GMT", now)).toEqual(Option.some(120_000))
    expect(Retry.parseRetryAfter("Wed May  1 10:00:05 2024", now)).toEqual(Option.some(5000))
  })

  it("takes a past date as now", () => {
    expect(Retry.parseRetryAfter("Wed, 01 May 2024 09:59:00 GMT", now)).toEqual(Option.some(0))
    expect(Retry.parseRetryAfter("Thu, 01 Jan 1970 00:00:00 GMT", now)).toEqual(Option.some(0))
  })

  it.each([undefined, "", "   ", "soon", "5s", "1e3", "1,5", "NaN", "Wed, 99 Foo 2024 10:00:00 GMT"])(
    "ignores %j",
    (value) => {
      expect(Retry.parseRetryAfter(value, now)).toEqual(Option.none())
    }
  )

  it("does not mistake junk for a date", () => {
    for (const junk of ["foo 1", "Tuesday 5", "later 2020", "-"]) {
      expect(Retry.parseRetryAfter(junk, now)).toEqual(Option.none())
    }
  })
})
