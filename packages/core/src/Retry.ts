/**
 * The one retry policy every provider uses.
 *
 * Capped, jittered exponential backoff on transient failures only (transport errors, 408,
 * 429, 5xx, cut bodies), bounded in count and in total time. A server's `Retry-After` is a
 * floor on the next delay, never a ceiling: `Retry-After: 0` still waits the backoff, so a
 * storm of them cannot burn every attempt at once.
 *
 * @since 0.1.0
 */
import { Duration, Option, Schedule } from "effect"
import { isRetryable, type ProviderError } from "./ProviderError.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Retries after the first attempt. */
  readonly times: number
  /** First backoff delay; doubles each retry. */
  readonly base: Duration.DurationInput
  /** Largest backoff delay (a longer `Retry-After` is still honoured). */
  readonly cap: Duration.DurationInput
  /** No retry is started that would end after this much time since the first failure. */
  readonly maxElapsed: Duration.DurationInput
}

/**
 * Cloudflare blocks a token for five minutes once its budget is exceeded, so the total
 * bound leaves room to wait that out once.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults: Options = {
  times: 6,
  base: "250 millis",
  cap: "10 seconds",
  maxElapsed: "6 minutes"
}

/**
 * The server-requested wait carried by an error, in milliseconds.
 *
 * @since 0.1.0
 * @category accessors
 */
export const retryAfterMillis = (error: ProviderError): number =>
  (error._tag === "RateLimited" || error._tag === "Unavailable") && error.retryAfterMs !== undefined
    ? error.retryAfterMs
    : 0

/**
 * The retry schedule; use with `Effect.retry`.
 *
 * @since 0.1.0
 * @category schedules
 */
export const schedule = (options: Partial<Options> = {}): Schedule.Schedule<unknown, ProviderError> => {
  const o = { ...defaults, ...options }
  const maxElapsed = Duration.toMillis(o.maxElapsed)
  const backoff = Schedule.exponential(o.base, 2).pipe(
    Schedule.union(Schedule.spaced(o.cap)),
    Schedule.jittered
  )
  return Schedule.identity<ProviderError>().pipe(
    Schedule.whileInput(isRetryable),
    Schedule.intersect(backoff),
    Schedule.intersect(Schedule.recurs(o.times)),
    Schedule.intersect(Schedule.elapsed),
    Schedule.modifyDelay(([[[error]]], delay) =>
      Duration.max(delay, Duration.millis(retryAfterMillis(error)))
    ),
    Schedule.whileOutput(([[[error]], elapsed]) =>
      Duration.toMillis(elapsed) + retryAfterMillis(error) <= maxElapsed
    )
  )
}

/**
 * Parses `Retry-After`: delay-seconds or an HTTP date (relative to `now`, epoch millis).
 * Negative or past values mean "now".
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseRetryAfter = (value: string | undefined, now: number): Option.Option<number> => {
  if (value === undefined) return Option.none()
  const text = value.trim()
  if (text === "") return Option.none()
  if (/^\d+(\.\d+)?$/.test(text)) return Option.some(Math.round(Number(text) * 1000))
  const date = Date.parse(text)
  return Number.isNaN(date) ? Option.none() : Option.some(Math.max(0, date - now))
}
