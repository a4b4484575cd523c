/**
 * The latency model: every provider API request is answered after a delay
 * drawn from a seeded generator, uniform in [minMs, maxMs] real milliseconds,
 * so clients meet round trips like a real API's rather than loopback's.
 * Requests wait side by side: a delay never holds up another request.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly minMs: number
  readonly maxMs: number
  /** Seed of the delay generator, default the emulator's seed. */
  readonly seed?: number
}

/**
 * Parses `--latency` text: `MIN-MAX` or a fixed `MS`, in milliseconds
 * (`"20-150"`, `"50"`).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (text: string): Either.Either<Options, string> => {
  const match = /^\s*(\d{1,9})\s*(?:-\s*(\d{1,9})\s*)?$/.exec(text)
  if (match === null) return Either.left(`latency "${text}" must look like 20-150 or 50 (milliseconds)`)
  const minMs = Number(match[1])
  const maxMs = match[2] === undefined ? minMs : Number(match[2])
  return validate({ minMs, maxMs })
}

/**
 * Checks options given in code the same way `parse` checks flag text.
 *
 * @since 0.1.0
 * @category parsing
 */
export const validate = (options: Options): Either.Either<Options, string> => {
  const { maxMs, minMs, seed } = options
  if (!(Number.isInteger(minMs) && minMs >= 0 && Number.isInteger(maxMs) && maxMs >= 0)) {
    return Either.left("latency bounds must be non-negative integers (milliseconds)")
  }
  if (minMs > maxMs) return Either.left(`latency minimum ${minMs} is above the maximum ${maxMs}`)
  if (seed !== undefined && !Number.isInteger(seed)) return Either.left("latency seed must be an integer")
  return Either.right(options)
}
