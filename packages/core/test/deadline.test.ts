import { describe, expect, it } from "@effect/vitest"
import { Duration, Effect, Either, Exit, Fiber, TestClock } from "effect"
import * as Deadline from "../src/internal/deadline.js"

const timedOut = () => "timed out" as const

describe("Deadline.timeoutFail", () => {
  describe("with the live clock (a real timer)", () => {
    it.live("fails with onTimeout when the effect does not finish in time, and interrupts it", () =>
      Effect.gen(function*() {
        let interrupted = false
        const never = Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => { interrupted = true })))
        const result = yield* Effect.either(Deadline.timeoutFail(never, Duration.millis(30), timedOut))
        expect(result).toEqual(Either.left("timed out"))
        expect(interrupted).toBe(true)
      }))

    it.live("passes a value or a failure through when the effect is in time", () =>
      Effect.gen(function*() {
        expect(yield* Deadline.timeoutFail(Effect.succeed(42).pipe(Effect.delay("5 millis")), Duration.seconds(5), timedOut))
          .toBe(42)
        const failed = yield* Effect.either(Deadline.timeoutFail(Effect.fail("boom"), Duration.seconds(5), timedOut))
        expect(failed).toEqual(Either.left("boom"))
      }))

    it.live("an interruption from outside interrupts the effect and is not a timeout", () =>
      Effect.gen(function*() {
        let interrupted = false
        const never = Effect.never.pipe(Effect.onInterrupt(() => Effect.sync(() => { interrupted = true })))
        const fiber = yield* Effect.fork(Deadline.timeoutFail(never, Duration.seconds(5), timedOut))
        yield* Effect.sleep("10 millis")
        const exit = yield* Fiber.interrupt(fiber)
        expect(Exit.isInterrupted(exit)).toBe(true)
        expect(interrupted).toBe(true)
      }))

    it.live("an effect's own interruption (not the timer's) stays an interruption", () =>
      Effect.gen(function*() {
        const exit = yield* Effect.exit(Deadline.timeoutFail(Effect.interrupt, Duration.seconds(5), timedOut))
        expect(Exit.isInterrupted(exit)).toBe(true)
      }))
  })

  it.effect("with a test clock, virtual time decides", () =>
    Effect.gen(function*() {
      const fiber = yield* Effect.fork(Effect.either(Deadline.timeoutFail(Effect.never, Duration.hours(1), timedOut)))
      yield* TestClock.adjust("59 minutes")
      expect(fiber.unsafePoll()).toBeNull()
      yield* TestClock.adjust("1 minute")
      expect(yield* Fiber.join(fiber)).toEqual(Either.left("timed out"))
    }))
})
