/**
 * A per-attempt timeout that costs one fiber instead of a race.
 *
 * `Effect.timeoutFail` races the effect against a sleeping fiber: two forks, a clock sleep and
 * a merge of fiber refs per call. Measured on an export, that was a fifth of its CPU (one
 * timeout per request). With the live clock the same deadline is one forked fiber and a
 * plain timer that interrupts it; under any other clock (a `TestClock`) this is exactly
 * `Effect.timeoutFail`, so tests still drive timeouts with virtual time.
 *
 * @internal
 */
import { Cause, Duration, Effect, Exit, Fiber, FiberId } from "effect"

/** The clock a program runs with unless something (a test) provides another. */
const liveClock = Effect.runSync(Effect.clock)

/** @internal */
export const timeoutFail = <A, E, R, E2>(
  effect: Effect.Effect<A, E, R>,
  duration: Duration.Duration,
  onTimeout: () => E2
): Effect.Effect<A, E | E2, R> =>
  Effect.clockWith((clock) => {
    if (clock !== liveClock) return Effect.timeoutFail(effect, { duration, onTimeout })
    const millis = Duration.toMillis(duration)
    return Effect.uninterruptibleMask((restore) =>
      Effect.flatMap(Effect.fork(restore(effect)), (fiber) => {
        let expired = false
        const timer = setTimeout(() => {
          expired = true
          fiber.unsafeInterruptAsFork(FiberId.none)
        }, millis)
        return restore(Fiber.await(fiber)).pipe(
          Effect.onInterrupt(() => {
            clearTimeout(timer)
            return Fiber.interrupt(fiber)
          }),
          Effect.flatMap((exit): Effect.Effect<A, E | E2> => {
            clearTimeout(timer)
            return expired && Exit.isFailure(exit) && Cause.isInterruptedOnly(exit.cause) ? Effect.fail(onTimeout()) : exit
          })
        )
      })
    )
  })
