/**
 * A 429 storm: for a while every provider API request is answered 429 with
 * `Retry-After`, then everything is normal again. The storm starts `afterMs`
 * real milliseconds after the first provider request.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import * as Duration from "./internal/duration.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** How long the storm lasts, real milliseconds. */
  readonly durationMs: number
  /** When it starts, measured from the first provider request; default 0 (that request is the first refused). */
  readonly afterMs?: number
  /** `Retry-After` of the storm's answers, in seconds; default 1. */
  readonly retryAfterSeconds?: number
}

/**
 * Parses `--storm` text: `DURATION[,after=DURATION][,retry-after=SECONDS]`,
 * durations with a unit `ms`, `s`, `m` or `h` (`"20s,retry-after=5"`,
 * `"1m,after=30s"`).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (text: string): Either.Either<Options, string> => {
  const [first, ...rest] = text.split(",")
  const durationMs = Duration.parse(first ?? "")
  if (durationMs === undefined) return Either.left(`storm "${text}" must start with a duration such as 20s (units ms, s, m, h)`)
  let afterMs: number | undefined
  let retryAfterSeconds: number | undefined
  for (const part of rest) {
    const eq = part.indexOf("=")
    const key = (eq < 0 ? part : part.slice(0, eq)).trim()
    const value = eq < 0 ? "" : part.slice(eq + 1).trim()
    if (key === "after") {
      afterMs = Duration.parse(value)
      if (afterMs === undefined) return Either.left(`storm after=${value} must be a duration such as 10s`)
    } else if (key === "retry-after") {
      retryAfterSeconds = /^\d{1,9}$/.test(value) ? Number(value) : undefined
      if (retryAfterSeconds === undefined) return Either.left(`storm retry-after=${value} must be a whole number of seconds`)
    } else return Either.left(`unknown storm parameter "${key}" (known: after, retry-after)`)
  }
  return validate({
    durationMs,
    ...(afterMs === undefined ? {} : { afterMs }),
    ...(retryAfterSeconds === undefined ? {} : { retryAfterSeconds })
  })
}

/**
 * Checks options given in code the same way `parse` checks flag text.
 *
 * @since 0.1.0
 * @category parsing
 */
export const validate = (options: Options): Either.Either<Options, string> => {
  const { afterMs, durationMs, retryAfterSeconds } = options
  if (!(Number.isInteger(durationMs) && durationMs > 0)) return Either.left("storm duration must be a positive whole number of milliseconds")
  if (afterMs !== undefined && !(Number.isInteger(afterMs) && afterMs >= 0)) return Either.left("storm afterMs must be a non-negative integer")
  if (retryAfterSeconds !== undefined && !(Number.isInteger(retryAfterSeconds) && retryAfterSeconds >= 0)) {
    return Either.left("storm retryAfterSeconds must be a non-negative integer")
  }
  return Either.right(options)
}
