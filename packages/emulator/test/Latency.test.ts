import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import { Emulator, Latency } from "@steptrail/emulator"
import { Rng, Tag } from "../src/internal/random.js"
import { answered, arrivals, cf, get, manualClock, op, or, request } from "./helpers.js"

/** The first `n` delays the emulator's generator draws for `seed`. */
const draws = (seed: number, n: number, min: number, max: number) => {
  const rng = Rng.at(seed, Tag.latency)
  return Array.from({ length: n }, () => rng.int(min, max))
}

describe("Latency.parse", () => {
  it("parses a range or a fixed delay, in milliseconds", () => {
    expect(Latency.parse("20-150")).toEqual(Either.right({ minMs: 20, maxMs: 150 }))
    expect(Latency.parse(" 20 - 150 ")).toEqual(Either.right({ minMs: 20, maxMs: 150 }))
    expect(Latency.parse("50")).toEqual(Either.right({ minMs: 50, maxMs: 50 }))
    expect(Latency.parse("0")).toEqual(Either.right({ minMs: 0, maxMs: 0 }))
    for (const bad of ["", "-5", "150-20", "20-", "a-b", "20ms", "1.5", "20-150-300"]) {
      expect(Either.isLeft(Latency.parse(bad)), bad).toBe(true)
    }
    expect(Latency.parse("150-20")).toEqual(Either.left("latency minimum 150 is above the maximum 20"))
  })

  it.effect("bad options are an InvalidOptions error", () =>
    Effect.gen(function*() {
      for (const latency of [{ minMs: -1, maxMs: 5 }, { minMs: 5, maxMs: 1 }, { minMs: 1.5, maxMs: 2 }, { minMs: 1, maxMs: 2, seed: 0.5 }]) {
        const e = yield* Effect.scoped(Effect.flip(Emulator.start({ latency })))
        expect(e.reason).toBe("InvalidOptions")
      }
    }))
})

/**
 * Sends `n` requests at once, then moves the manual clock one millisecond at
 * a time and notes when each answer is sent: the delays the emulator drew.
 */
const delays = (options: Emulator.Options, n: number, upTo: number) =>
  Effect.gen(function*() {
    const wall = manualClock()
    const em = yield* Emulator.start({ ...options, wallClock: wall.clock })
    const urls = [cf(em, "/instances?per_page=1"), or(em, "/runs?limit=1"), op(em, "/runs?limit=1")]
    const fibers = []
    for (let i = 0; i < n; i++) fibers.push(yield* Effect.fork(get(em, urls[i % 3]!)))
    yield* arrivals(em, n)
    expect(wall.pending()).toBe(n)
    const at: Array<number> = []
    for (let t = 1; t <= upTo; t++) {
      wall.tick(1)
      const done = answered(yield* em.stats)
      while (at.length < done) at.push(t)
    }
    const answers = yield* Effect.forEach(fibers, Fiber.join)
    expect(answers.map((a) => a.status)).toEqual(Array.from({ length: n }, () => 200))
    return { at, em }
  })

describe("latency", () => {
  it.scoped("concurrent requests each wait their own delay, drawn in [min, max]", () =>
    Effect.gen(function*() {
      const { at } = yield* delays({ latency: { minMs: 20, maxMs: 150 } }, 12, 150)
      // every request was answered by 150 ms, at its own drawn delay: none waited for another
      const expected = draws(Emulator.defaults.seed, 12, 20, 150).sort((a, b) => a - b)
      expect(at).toEqual(expected)
      expect(expected[0]).toBeGreaterThanOrEqual(20)
      expect(expected[11]).toBeLessThanOrEqual(150)
      expect(expected.reduce((a, b) => a + b, 0)).toBeGreaterThan(150)
    }))

  it.scoped("a fixed delay holds every answer exactly that long", () =>
    Effect.gen(function*() {
      const { at } = yield* delays({ latency: { minMs: 50, maxMs: 50 } }, 6, 60)
      expect(at).toEqual([50, 50, 50, 50, 50, 50])
    }))

  it.scoped("delays are seeded: the same seed draws the same delays, another seed others", () =>
    Effect.gen(function*() {
      // one request at a time, so the n-th delay is the n-th draw
      const sequence = (latency: Latency.Options) =>
        Effect.gen(function*() {
          const wall = manualClock()
          const em = yield* Emulator.start({ latency, wallClock: wall.clock })
          const out: Array<number> = []
          for (let i = 0; i < 8; i++) {
            const fiber = yield* Effect.fork(get(em, or(em, "/runs?limit=1")))
            yield* arrivals(em, i + 1)
            let t = 0
            while (answered(yield* em.stats) === i) {
              wall.tick(1)
              t++
            }
            out.push(t)
            yield* Fiber.join(fiber)
          }
          return out
        })
      expect(yield* sequence({ minMs: 1, maxMs: 500, seed: 3 })).toEqual(draws(3, 8, 1, 500))
      expect(yield* sequence({ minMs: 1, maxMs: 500, seed: 4 })).toEqual(draws(4, 8, 1, 500))
      expect(draws(3, 8, 1, 500)).not.toEqual(draws(4, 8, 1, 500))
    }))

  it.scoped("admin routes are answered at once; data does not depend on the delay", () =>
    Effect.gen(function*() {
      const wall = manualClock()
      const em = yield* Emulator.start({ latency: { minMs: 100, maxMs: 100 }, wallClock: wall.clock })
      const plain = yield* Emulator.start()
      expect((yield* request(`${em.info.adminUrl}/clock`)).status).toBe(200)
      expect(wall.pending()).toBe(0)
      const fiber = yield* Effect.fork(get(em, cf(em, `/instances/${em.fixtures.cloudflare.instances.showcase}`)))
      yield* arrivals(em, 1)
      wall.tick(99)
      expect(answered(yield* em.stats)).toBe(0)
      wall.tick(1)
      const delayed = yield* Fiber.join(fiber)
      const direct = yield* get(plain, cf(plain, `/instances/${plain.fixtures.cloudflare.instances.showcase}`))
      expect(delayed.bytes.equals(direct.bytes)).toBe(true)
    }))

  it.scoped("answers still waiting when the emulator closes are dropped, not sent", () =>
    Effect.gen(function*() {
      const wall = manualClock()
      const em = yield* Effect.scoped(
        Effect.gen(function*() {
          const em = yield* Emulator.start({ latency: { minMs: 1000, maxMs: 1000 }, wallClock: wall.clock })
          const fiber = yield* Effect.fork(Effect.either(get(em, op(em, "/runs"))))
          yield* arrivals(em, 1)
          expect(wall.pending()).toBe(1)
          return { em, fiber }
        })
      )
      expect(wall.pending()).toBe(0)
      expect((yield* Fiber.join(em.fiber))._tag).toBe("Left")
    }))
})
