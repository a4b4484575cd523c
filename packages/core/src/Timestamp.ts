/**
 * Timestamps and durations as records carry them: ISO 8601 UTC strings, integer milliseconds.
 *
 * @since 0.1.0
 */

const utc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/
const iso =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/

/**
 * Normalizes a provider timestamp to ISO 8601 UTC. A UTC value keeps its precision (Orchestra
 * sends microseconds); an offset is converted, keeping digits beyond milliseconds; a value
 * without a zone is taken as UTC. Anything that is not an ISO 8601 date-time of a real instant
 * becomes null rather than a wrong time.
 *
 * @since 0.1.0
 * @category constructors
 */
export const normalize = (value: string | null | undefined): string | null => {
  if (value === null || value === undefined) return null
  // The common case, already what a record carries: kept as it is, as the general path would.
  if (isUtc(value)) return value
  const text = value.trim()
  const m = iso.exec(text)
  if (m === null) return null
  const year = Number(m[1])
  const month = Number(m[2])
  const day = Number(m[3])
  const hour = Number(m[4] ?? 0)
  const minute = Number(m[5] ?? 0)
  const second = Number(m[6] ?? 0)
  const digits = m[7] ?? ""
  const zone = m[8] ?? "Z"
  if (month < 1 || month > 12 || day < 1 || day > monthLength(year, month)) return null
  if (hour > 23 || minute > 59 || second > 59) return null
  let offsetMinutes = 0
  if (zone !== "Z" && zone !== "z") {
    const hm = zone.slice(1).replace(":", "")
    const oh = Number(hm.slice(0, 2))
    const om = hm.length > 2 ? Number(hm.slice(2)) : 0
    if (oh > 23 || om > 59) return null
    offsetMinutes = (zone[0] === "-" ? -1 : 1) * (oh * 60 + om)
  }
  if (utc.test(text)) return text
  const date = new Date(0)
  date.setUTCFullYear(year, month - 1, day)
  date.setUTCHours(hour, minute - offsetMinutes, second, Number(digits.slice(0, 3).padEnd(3, "0")))
  const out = date.getUTCFullYear()
  if (Number.isNaN(date.getTime()) || out < 0 || out > 9999) return null
  const converted = date.toISOString()
  // Beyond milliseconds a Date has no digits: the given ones are put back as they were.
  return digits.length > 3 ? `${converted.slice(0, 19)}.${digits}Z` : converted
}

const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
const monthLength = (year: number, month: number) =>
  month === 2 ? (isLeap(year) ? 29 : 28) : month === 4 || month === 6 || month === 9 || month === 11 ? 30 : 31

const isDigit = (code: number) => code >= 48 && code <= 57 // 0-9

/** Whether the characters from `from` up to `to` (excluded) are all digits. */
const isDigits = (text: string, from: number, to: number) => {
  for (let i = from; i < to; i++) if (!isDigit(text.charCodeAt(i))) return false
  return true
}

/** The number written by the two characters at `i`, or -1 when they are not both digits. */
const pair = (text: string, i: number): number => {
  const tens = text.charCodeAt(i) - 48
  const ones = text.charCodeAt(i + 1) - 48
  return tens >= 0 && tens <= 9 && ones >= 0 && ones <= 9 ? tens * 10 + ones : -1
}

/**
 * Whether `text` is exactly `YYYY-MM-DDTHH:MM:SS(.digits)?Z` (the `utc` pattern, nothing around
 * it) and a real instant, by the same range checks as `normalize`'s general path. Checked
 * character by character: no regex, no allocation.
 */
const isUtc = (text: string): boolean => {
  const n = text.length
  if (n < 20 || text.charCodeAt(n - 1) !== 90 /* Z */) return false
  if (
    text.charCodeAt(4) !== 45 /* - */ || text.charCodeAt(7) !== 45 || text.charCodeAt(10) !== 84 /* T */ ||
    text.charCodeAt(13) !== 58 /* : */ || text.charCodeAt(16) !== 58
  ) return false
  // A fraction is "." and at least one digit.
  if (n > 20 && (n === 21 || text.charCodeAt(19) !== 46 /* . */ || !isDigits(text, 20, n - 1))) return false
  const century = pair(text, 0)
  const yearOfCentury = pair(text, 2)
  const month = pair(text, 5)
  const day = pair(text, 8)
  const hour = pair(text, 11)
  const minute = pair(text, 14)
  const second = pair(text, 17)
  return century >= 0 && yearOfCentury >= 0 && month >= 1 && month <= 12 && day >= 1 &&
    day <= monthLength(century * 100 + yearOfCentury, month) && hour >= 0 && hour <= 23 && minute >= 0 &&
    minute <= 59 && second >= 0 && second <= 59
}

/** Beyond nine fraction digits V8's `Date.parse` reads a fraction its own way: left to it. */
const MAX_FAST_LENGTH = "YYYY-MM-DDTHH:MM:SS.123456789Z".length

/**
 * Epoch milliseconds of a value `isUtc` accepts with at most nine fraction digits, as
 * `Date.parse` reads it: the first three fraction digits are the milliseconds, the rest are cut.
 */
const utcMillis = (text: string): number => {
  const year = pair(text, 0) * 100 + pair(text, 2)
  const month = pair(text, 5)
  const day = pair(text, 8)
  const seconds = (pair(text, 11) * 60 + pair(text, 14)) * 60 + pair(text, 17)
  let millis = 0
  const fractionEnd = Math.min(text.length - 1, 23)
  for (let i = 20, unit = 100; i < fractionEnd; i++, unit /= 10) millis += (text.charCodeAt(i) - 48) * unit
  return daysFromCivil(year, month, day) * 86_400_000 + seconds * 1000 + millis
}

/** Days from 1970-01-01 to a proleptic Gregorian date (H. Hinnant's `days_from_civil`). */
const daysFromCivil = (year: number, month: number, day: number): number => {
  const y = month <= 2 ? year - 1 : year
  const era = Math.floor(y / 400)
  const yearOfEra = y - era * 400
  const dayOfYear = Math.floor((153 * (month > 2 ? month - 3 : month + 9) + 2) / 5) + day - 1
  const dayOfEra = yearOfEra * 365 + Math.floor(yearOfEra / 4) - Math.floor(yearOfEra / 100) + dayOfYear
  return era * 146_097 + dayOfEra - 719_468
}

/**
 * Milliseconds between two timestamps, with sub-millisecond digits taken into account before
 * rounding; null when either is missing or the end precedes the start.
 *
 * @since 0.1.0
 * @category constructors
 */
export const durationMillis = (start: string | null, end: string | null): number | null => {
  if (start === null || end === null) return null
  const ms = toMillis(end) - toMillis(start)
  return Number.isFinite(ms) && ms >= 0 ? Math.round(ms) : null
}

/**
 * Epoch milliseconds with fractional digits beyond milliseconds kept.
 *
 * @since 0.1.0
 * @category conversions
 */
export const toMillis = (iso: string): number => {
  const base = iso.length <= MAX_FAST_LENGTH && isUtc(iso) ? utcMillis(iso) : Date.parse(iso)
  // The fraction is the first "." followed by digits, and all the digits after it.
  for (let dot = iso.indexOf("."); dot !== -1; dot = iso.indexOf(".", dot + 1)) {
    let end = dot + 1
    while (end < iso.length && isDigit(iso.charCodeAt(end))) end++
    if (end === dot + 1) continue
    return end - dot - 1 <= 3 ? base : base + Number(`0.${iso.slice(dot + 4, end)}`)
  }
  return base
}

/**
 * Parses a time a user typed (a flag, a config file): an ISO 8601 date (`2026-01-31`, midnight
 * UTC) or date-time with an optional zone (`2026-01-31T12:00:00Z`, `2026-01-31 12:00+02:00`;
 * none means UTC). Anything else, or a date that does not exist, is undefined: never the
 * lenient guess of `Date.parse`.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseInstant = (text: string): Date | undefined => {
  const iso = normalize(text.trim())
  return iso === null ? undefined : new Date(toMillis(iso))
}

/**
 * A duration for people: `42s`, `4m12s`, `2h05m`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatDuration = (millis: number): string => {
  const s = Math.round(millis / 1000)
  return s < 60
    ? `${s}s`
    : s < 3600
    ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s`
    : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`
}
