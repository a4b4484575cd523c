/**
 * The emulated rate limit: a sliding window of `limit` requests per
 * `windowMs`, per provider and credential. Cloudflare then blocks the token
 * for a whole window, as its API does; Orchestra and Onepin only refuse until
 * the window slides.
 *
 * @since 0.1.0
 */
import * as Either from "effect/Either"
import { UNITS } from "./internal/duration.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly limit: number
  readonly windowMs: number
}

/**
 * Parses `--rate-limit` text: `LIMIT/WINDOW` where WINDOW is a number with a
 * unit `ms`, `s`, `m` or `h` (`"100/5s"`, `"1200/5m"`, `"10/500ms"`); a bare
 * unit means one of it (`"50/s"`).
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (text: string): Either.Either<Options, string> => {
  const match = /^\s*(\d+)\s*\/\s*(\d*)\s*(ms|s|m|h)\s*$/.exec(text)
  if (match === null) return Either.left(`rate limit "${text}" must look like 100/5s or 1200/5m`)
  const limit = Number(match[1])
  const windowMs = (match[2] === "" ? 1 : Number(match[2])) * UNITS[match[3]!]!
  if (limit < 1) return Either.left("rate limit must allow at least 1 request")
  if (windowMs < 1) return Either.left("rate limit window must be positive")
  return Either.right({ limit, windowMs })
}
