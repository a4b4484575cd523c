/**
 * The one retry policy every provider uses.
 *
 * Capped, jittered exponential backoff on transient failures only (transport errors, 408,
 * 5xx, timeouts, cut bodies), bounded in count and in total time. A server's `Retry-After` is
 * a floor on the next delay, never a ceiling: `Retry-After: 0` still waits the backoff, so a
 * storm of them cannot burn every attempt at once.
 *
 * A 429 is not a failure of the request but the budget speaking: `rateLimited` re-sends it
 * once the credential's pause is over, without counting a retry, for as long as
 * `rateLimitPatience` allows.
 *
 * @since 0.1.0
 */
import { Duration, Effect, Option, Schedule } from "effect"
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
  /**
   * How long one request keeps being answered 429 before the export gives up (exit 5).
   * Cloudflare blocks a token for five minutes once its budget is exceeded: three of them.
   */
  readonly rateLimitPatience: Duration.DurationInput
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
  maxElapsed: "6 minutes",
  rateLimitPatience: "15 minutes"
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
 * Re-sends a request answered 429 with no delay of its own (the credential's budget holds it
 * back until the `Retry-After` passed), while the next pause still ends within
 * `rateLimitPatience` of the first 429.
 *
 * @since 0.1.0
 * @category schedules
 */
export const rateLimited = (options: Partial<Options> = {}): Schedule.Schedule<unknown, ProviderError> => {
  const patience = Duration.toMillis(options.rateLimitPatience ?? defaults.rateLimitPatience)
  return Schedule.identity<ProviderError>().pipe(
    Schedule.whileInput((e) => e._tag === "RateLimited"),
    Schedule.intersect(Schedule.elapsed),
    Schedule.whileOutput(([e, elapsed]) => Duration.toMillis(elapsed) + retryAfterMillis(e) <= patience)
  )
}

/**
 * The retry schedule; use with `Effect.retry`.
 *
 * @since 0.1.0
 * @category schedules
 */
export const schedule = (options: Partial<Options> = {}): Schedule.Schedule<unknown, ProviderError> => {
  const o = { ...defaults, ...options }
  const cap = Duration.decode(o.cap)
  const maxElapsed = Duration.toMillis(o.maxElapsed)
  // Jitter is applied to the capped delay and capped again: `cap` is a true maximum of the
  // backoff, and delays at the cap still spread (0.8..1 of it).
  const backoff = Schedule.exponential(o.base, 2).pipe(
    Schedule.modifyDelay((_, delay) => Duration.min(delay, cap)),
    Schedule.jittered,
    Schedule.modifyDelay((_, delay) => Duration.min(delay, cap))
  )
  const delays = Schedule.identity<ProviderError>().pipe(
    Schedule.whileInput(isRetryable),
    Schedule.intersect(backoff),
    Schedule.intersect(Schedule.recurs(o.times)),
    Schedule.modifyDelay(([[error]], delay) => Duration.max(delay, Duration.millis(retryAfterMillis(error))))
  )
  // The wait actually chosen (backoff or `Retry-After`, whichever is longer) must end within
  // the total bound, or no retry is started at all.
  return Schedule.delays(delays).pipe(
    Schedule.intersect(Schedule.elapsed),
    Schedule.whileOutput(([delay, elapsed]) => Duration.toMillis(elapsed) + Duration.toMillis(delay) <= maxElapsed)
  )
}

const day = "(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)"
const month = "(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)"
const time = "\\d{2}:\\d{2}:\\d{2}"
/** `Sun, 06 Nov 1994 08:49:37 GMT` */
const imfFixdate = new RegExp(`^${day}, \\d{2} ${month} \\d{4} ${time} GMT$`)
/** `Sunday, 06-Nov-94 08:49:37 GMT` */
const rfc850 = new RegExp(`^${day}[a-z]*, \\d{2}-${month}-\\d{2} ${time} GMT$`)
/** `Sun Nov  6 08:49:37 1994` */
const asctime = new RegExp(`^${day} ${month} [ \\d]\\d ${time} \\d{4}$`)

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
  if (/^\d+(\.\d+)?$/.test(text)) return Option.some(Math.round(Number(text) * 1000))
  if (/^-\d+(\.\d+)?$/.test(text)) return Option.some(0)
  // Only the three HTTP-date forms: `Date.parse` alone reads any junk with a digit in it as a
  // date ("soon 1" is 2001-01-01).
  const date = imfFixdate.test(text) || rfc850.test(text)
    ? Date.parse(text)
    : asctime.test(text)
    ? Date.parse(`${text} GMT`)
    : Number.NaN
  return Number.isNaN(date) ? Option.none() : Option.some(Math.max(0, date - now))
}

/**
 * `Effect.retry` that costs nothing until the first failure: the schedule's driver is made
 * only then, with that failure as its first input (every request of an export goes through
 * a retry, and almost none fails).
 *
 * @since 0.1.0
 * @category combinators
 */
export const retryOnFailure = <E, O, R2>(schedule: Schedule.Schedule<O, E, R2>, when: (error: E) => boolean) =>
<A, R>(self: Effect.Effect<A, E, R>): Effect.Effect<A, E, R | R2> =>
  Effect.catchIf(self, when, (first) => {
    let replayed = false
    const again = Effect.suspend(() => {
      if (replayed) return self
      replayed = true
      return Effect.fail(first)
    })
    return Effect.retry(again, { schedule, while: when })
  })
