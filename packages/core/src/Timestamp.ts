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
  const text = value.trim()
  const m = iso.exec(text)
  if (m === null) return null
  const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [
    number,
    number,
    number,
    number,
    number,
    number
  ]
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
  month === 2 ? (isLeap(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31

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
  const base = Date.parse(iso)
  const frac = /\.(\d+)/.exec(iso)
  if (frac === null || frac[1]!.length <= 3) return base
  return base + Number(`0.${frac[1]!.slice(3)}`)
}
