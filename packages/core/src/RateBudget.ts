/**
 * One request budget per provider connection, shared by every fiber that talks to it.
 *
 * A sliding-window log: a request may start only when fewer than `limit` requests started in
 * the last `window`. Unlike a token bucket or a fixed window, it can never exceed the budget
 * in any window however the server aligns its own, so a budget the server enforces the same
 * way is used fully with no 429. A 429 pauses every request until its `Retry-After` passed.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Metric, Option } from "effect"
import * as Metrics from "./Metrics.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Budget {
  readonly limit: number
  readonly window: Duration.Duration
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RateBudget {
  /**
   * Waits until a request may start, then counts it. Run the returned effect when the answer
   * arrives: the request is then counted from that later instant.
   */
  readonly take: Effect.Effect<Effect.Effect<void>>
  /** Holds every request back for `millis` (a 429's `Retry-After`). */
  readonly pause: (millis: number) => Effect.Effect<void>
}

/**
 * A request counts from when its answer arrived, by which time the server has counted it;
 * this small slack per window only covers clock granularity.
 *
 * @since 0.1.0
 * @category constants
 */
export const SLACK = Duration.millis(10)

/**
 * Cloudflare's documented budget: 1,200 requests per 5 minutes per token.
 *
 * @since 0.1.0
 * @category constants
 */
export const cloudflare: Budget = { limit: 1200, window: Duration.minutes(5) }

/**
 * The shared budget of one provider connection; without a `Budget` it never waits (the 429
 * pause still applies).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (budget: Budget | undefined): Effect.Effect<RateBudget> =>
  Effect.gen(function*() {
    const lock = yield* Effect.makeSemaphore(1)
    const limit = budget?.limit ?? 0
    const windowMs = budget ? Duration.toMillis(budget.window) + Duration.toMillis(SLACK) : 0
    // ring of the times of the last `limit` requests: when each started, then when it was answered
    const starts: Array<number> = []
    let head = 0
    let pausedUntil = 0

    // the ring slot the request took, or -1 without a limit
    const waitTurn: Effect.Effect<number> = Effect.gen(function*() {
      for (;;) {
        const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
        let until = pausedUntil
        if (limit > 0 && starts.length === limit) until = Math.max(until, starts[head]! + windowMs)
        if (until <= now) {
          if (limit === 0) return -1
          if (starts.length < limit) return starts.push(now) - 1
          const slot = head
          starts[slot] = now
          head = (head + 1) % limit
          return slot
        }
        yield* Effect.sleep(Duration.millis(until - now))
      }
    })

    return {
      // counted while queued, so a progress display can show how many requests the budget holds back
      take: Effect.zipRight(
        Metric.incrementBy(Metrics.waiting, 1),
        lock.withPermits(1)(waitTurn).pipe(
          Effect.ensuring(Metric.incrementBy(Metrics.waiting, -1)),
          Effect.map((slot) =>
            slot < 0 ? Effect.void : Effect.clockWith((c) =>
              c.currentTimeMillis.pipe(Effect.map((now) => {
                starts[slot] = Math.max(starts[slot]!, now)
              }))
            )
          )
        )
      ),
      pause: (millis) =>
        Effect.clockWith((c) => c.currentTimeMillis).pipe(
          Effect.map((now) => {
            pausedUntil = Math.max(pausedUntil, now + Math.max(0, millis))
          })
        )
    } satisfies RateBudget
  })

const units: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 }

/**
 * Parses `N/DURATION`, e.g. `1200/5m`, `100/5s`, `10/s`.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (text: string): Option.Option<Budget> => {
  const m = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)?\s*(ms|s|sec|m|min|h)\s*$/.exec(text)
  if (m === null) return Option.none()
  const limit = Number(m[1])
  const amount = m[2] === undefined ? 1 : Number(m[2])
  const ms = amount * units[m[3]!]!
  if (!Number.isSafeInteger(limit) || limit < 1 || !(ms > 0)) return Option.none()
  return Option.some({ limit, window: Duration.millis(ms) })
}
