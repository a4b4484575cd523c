/**
 * proto3 JSON's well-known types as Temporal's gateway writes them: a
 * Timestamp in RFC 3339 UTC with 0, 3, 6 or 9 fractional digits (the fewest
 * that hold its nanoseconds), a Duration as seconds with the same digits and
 * an `s`, and a 64-bit integer as a decimal string.
 *
 * @internal
 */
import * as Iso from "../iso.js"

const fraction = (nanos: number): string => {
  if (nanos === 0) return ""
  const nine = String(nanos).padStart(9, "0")
  return "." + (nanos % 1_000_000 === 0 ? nine.slice(0, 3) : nanos % 1000 === 0 ? nine.slice(0, 6) : nine)
}

/** `ms` epoch milliseconds plus `subNanos` (0..999999) more. */
export const timestamp = (ms: number, subNanos = 0): string => {
  const whole = Math.floor(ms / 1000) * 1000
  return Iso.isoSeconds(whole).slice(0, 19) + fraction((ms - whole) * 1_000_000 + subNanos) + "Z"
}

/** `"10s"`, `"1.500s"`. */
export const duration = (ms: number): string => {
  const seconds = Math.floor(ms / 1000)
  return `${seconds}${fraction((ms - seconds * 1000) * 1_000_000)}s`
}

/** The RFC 3339 text of a visibility query or a `StartTime`, back to epoch milliseconds (sub-millisecond digits dropped). */
export const parseTimestamp = (text: string): number | undefined => {
  const m = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(?:\.(\d{1,9}))?(Z|[+-]\d{2}:\d{2})$/.exec(text)
  if (m === null) return undefined
  const ms = Date.parse(`${m[1]}.${(m[2] ?? "").padEnd(3, "0").slice(0, 3)}${m[3]}`)
  return Number.isNaN(ms) ? undefined : ms
}
