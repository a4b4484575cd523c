import { describe, expect, it } from "@effect/vitest"
import { Effect, Fiber, Stream, TestClock } from "effect"
import { inOrder } from "../src/internal/pipeline.js"

/**
 * 40 items of 10 bytes, 4 at a time; the first is slow (1 s), the others take 1 ms, so
 * without a budget every later item is fetched and held while the first is in flight.
 */
const scenario = (budget: number) =>
  Effect.gen(function*() {
    let held = 0
    let peak = 0
    let inFlight = 0
    let peakInFlight = 0
    const order: Array<number> = []
    const fiber = yield* Effect.fork(inOrder({
      items: Stream.range(0, 39),
      work: (i) =>
        Effect.sync(() => {
          inFlight++
          peakInFlight = Math.max(peakInFlight, inFlight)
        }).pipe(
          Effect.zipRight(Effect.sleep(i === 0 ? 1000 : 1)),
          Effect.map(() => {
            inFlight--
            held += 10
            peak = Math.max(peak, held)
            return i
          })
        ),
      size: () => 10,
      each: (i, result) =>
        Effect.sync(() => {
          expect(result).toBe(i)
          held -= 10
          order.push(i)
        }),
      concurrency: 4,
      budget
    }))
    for (let t = 0; t < 100 && fiber.unsafePoll() === null; t++) yield* TestClock.adjust(50)
    yield* Fiber.join(fiber)
    return { peak, peakInFlight, order }
  })

describe("the ordered pipeline", () => {
  it.effect("hands results on in the stream's order, at most `concurrency` in flight", () =>
    Effect.gen(function*() {
      const { order, peakInFlight } = yield* scenario(Infinity)
      expect(order).toEqual(Array.from({ length: 40 }, (_, i) => i))
      expect(peakInFlight).toBe(4)
    }))

  it.effect("without a budget, everything behind a slow item is fetched and held", () =>
    Effect.gen(function*() {
      // items 1..39 done while item 0 is in flight
      expect((yield* scenario(Infinity)).peak).toBe(400)
    }))

  it.effect("with a byte budget, no work starts while what waits is over it: held is bounded by budget + concurrency items", () =>
    Effect.gen(function*() {
      // items 1, 2, 3 finish (30 bytes, over the budget of 20) while item 0 is in flight and no
      // more start; later, at most the budget waits when 4 more start: 20 + 4 x 10 (against 400)
      const { order, peak } = yield* scenario(20)
      expect(peak).toBe(60)
      expect(order).toEqual(Array.from({ length: 40 }, (_, i) => i))
    }))

  it.effect("a failing item fails the whole after the items before it are handed on; a failing stream likewise", () =>
    Effect.gen(function*() {
      const seen: Array<number> = []
      const fiber = yield* Effect.fork(Effect.either(inOrder({
        items: Stream.concat(Stream.range(0, 9), Stream.fail("listing broke" as const)),
        work: (i) => (i === 7 ? Effect.fail("item 7" as const) : Effect.succeed(i)),
        size: () => 1,
        each: (i: number) => Effect.sync(() => void seen.push(i)),
        concurrency: 3,
        budget: 100
      })))
      yield* TestClock.adjust(10)
      const result = yield* Fiber.join(fiber)
      expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6])
      expect(result._tag === "Left" && result.left).toBe("item 7")
      const listed: Array<number> = []
      const broken = yield* Effect.either(inOrder({
        items: Stream.concat(Stream.range(0, 4), Stream.fail("listing broke" as const)),
        work: (i) => Effect.succeed(i),
        size: () => 1,
        each: (i: number) => Effect.sync(() => void listed.push(i)),
        concurrency: 3,
        budget: 100
      }))
      expect(listed).toEqual([0, 1, 2, 3, 4])
      expect(broken._tag === "Left" && broken.left).toBe("listing broke")
    }))
})
