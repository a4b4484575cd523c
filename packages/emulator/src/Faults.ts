/**
 * Fault injection for the provider API routes: each request draws from a
 * seeded generator whether it is answered with a 5xx, a 429, a reset
 * connection, a truncated or malformed body, an HTML page, or late. Clients
 * prove their retry and decoding paths against these.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"

/**
 * Fault kinds, in the order they are drawn (the first hit wins; `slow` is drawn
 * separately and combines with any answer).
 *
 * @since 0.1.0
 * @category models
 */
export type Kind = "reset" | "truncated" | "malformed" | "contentType" | "serverError" | "tooManyRequests" | "slow"

/** @since 0.1.0 */
export const kinds: ReadonlyArray<Kind> = ["reset", "truncated", "malformed", "contentType", "serverError", "tooManyRequests", "slow"]

/**
 * Per-request probabilities (0..1) of each fault, plus its parameters.
 *
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** `5xx`: answer 500, 502 or 503 with the provider's error body. */
  readonly serverError?: number
  /** `429`: answer 429 with `Retry-After: retryAfter`. */
  readonly tooManyRequests?: number
  /** `reset`: destroy the socket without answering. */
  readonly reset?: number
  /** `truncated`: announce the full Content-Length, send half the body, destroy the socket. */
  readonly truncated?: number
  /** `malformed`: a well-framed body that is the real JSON cut in the middle. */
  readonly malformed?: number
  /** `content-type`: a 200 `text/html` page instead of the API answer. */
  readonly contentType?: number
  /** `slow`: wait `slowMs` before answering. */
  readonly slow?: number
  /** `slow-ms`, default 3000. */
  readonly slowMs?: number
  /** `retry-after` seconds on injected 429s, default 1. */
  readonly retryAfter?: number
  /** `seed` of the fault generator, default the emulator's seed. */
  readonly seed?: number
}

const RATE_KEYS: Record<string, keyof Options> = {
  "5xx": "serverError",
  "429": "tooManyRequests",
  reset: "reset",
  truncated: "truncated",
  malformed: "malformed",
  "content-type": "contentType",
  slow: "slow"
}
const NUMBER_KEYS: Record<string, keyof Options> = {
  "slow-ms": "slowMs",
  "retry-after": "retryAfter",
  seed: "seed"
}

/**
 * Parses the `--faults` flag text, e.g.
 * `"5xx=0.1,429=0.05,reset=0.02,truncated=0.01,malformed=0.01,content-type=0.01,slow=0.01,slow-ms=3000,retry-after=1,seed=7"`.
 * An empty string means no faults. Unknown keys, rates outside 0..1 and
 * non-integer parameters are reported as a message.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (spec: string): Either.Either<Options, string> => {
  const out: Record<string, number> = {}
  const text = spec.trim()
  if (text === "") return Either.right({})
  for (const part of text.split(",")) {
    const eq = part.indexOf("=")
    if (eq < 0) return Either.left(`fault "${part.trim()}" needs a value (key=value)`)
    const key = part.slice(0, eq).trim()
    const raw = part.slice(eq + 1).trim()
    const value = raw === "" ? NaN : Number(raw)
    const rateKey = RATE_KEYS[key]
    if (rateKey !== undefined) {
      if (!Number.isFinite(value) || value < 0 || value > 1) return Either.left(`fault rate ${key}=${raw} must be a number between 0 and 1`)
      out[rateKey] = value
      continue
    }
    const numberKey = NUMBER_KEYS[key]
    if (numberKey !== undefined) {
      if (!Number.isInteger(value) || value < 0) return Either.left(`fault parameter ${key}=${raw} must be a non-negative integer`)
      out[numberKey] = value
      continue
    }
    return Either.left(`unknown fault "${key}" (known: ${[...Object.keys(RATE_KEYS), ...Object.keys(NUMBER_KEYS)].join(", ")})`)
  }
  return Either.right(out as Options)
}

/**
 * Checks options given in code the same way `parse` checks flag text.
 *
 * @since 0.1.0
 * @category parsing
 */
export const validate = (options: Options): Either.Either<Options, string> => {
  for (const key of Object.values(RATE_KEYS)) {
    const v = options[key]
    if (v !== undefined && !(v >= 0 && v <= 1)) return Either.left(`fault rate ${key} must be between 0 and 1`)
  }
  for (const key of Object.values(NUMBER_KEYS)) {
    const v = options[key]
    if (v !== undefined && !(Number.isInteger(v) && v >= 0)) return Either.left(`fault parameter ${key} must be a non-negative integer`)
  }
  return Either.right(options)
}
