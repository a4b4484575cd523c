/**
 * Timestamps and durations as records carry them: ISO 8601 UTC strings, integer milliseconds.
 *
 * @since 0.1.0
 */

const utc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/
const zoneless = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/

/**
 * Normalizes a provider timestamp to ISO 8601 UTC. A UTC value keeps its precision (Orchestra
 * sends microseconds); an offset is converted; a value without a zone is taken as UTC.
 * Anything unparseable becomes null rather than a wrong time.
 *
 * @since 0.1.0
 * @category constructors
 */
export const normalize = (value: string | null | undefined): string | null => {
  if (value === null || value === undefined || value === "") return null
  if (utc.test(value)) return value
  const text = zoneless.test(value) ? `${value.replace(" ", "T")}Z` : value
  const millis = Date.parse(text)
  if (Number.isNaN(millis)) return null
  return new Date(millis).toISOString()
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
  const base = Date.parse(iso)
  const frac = /\.(\d+)/.exec(iso)
  if (frac === null || frac[1]!.length <= 3) return base
  return base + Number(`0.${frac[1]!.slice(3)}`)
}
