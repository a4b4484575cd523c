/**
 * Timestamps in each provider's own format, by arithmetic: `Date#toISOString`
 * showed up as the hottest function under the benchmark.
 *
 * @internal
 */

const pad2 = (n: number): string => (n < 10 ? "0" + n : "" + n)
const pad3 = (n: number): string => (n < 10 ? "00" + n : n < 100 ? "0" + n : "" + n)

/** `YYYY-MM-DDTHH:MM:SS.mmm` without the zone. Years 0..9999. */
const isoBase = (ms: number): string => {
  const days = Math.floor(ms / 86_400_000)
  let rem = ms - days * 86_400_000
  // Howard Hinnant's civil_from_days
  const z = days + 719_468
  const era = Math.floor(z / 146_097)
  const doe = z - era * 146_097
  const yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36_524) - Math.floor(doe / 146_096)) / 365)
  const doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100))
  const mp = Math.floor((5 * doy + 2) / 153)
  const day = doy - Math.floor((153 * mp + 2) / 5) + 1
  const month = mp < 10 ? mp + 3 : mp - 9
  const year = yoe + era * 400 + (month <= 2 ? 1 : 0)
  const h = Math.floor(rem / 3_600_000)
  rem -= h * 3_600_000
  const mi = Math.floor(rem / 60_000)
  rem -= mi * 60_000
  const sec = Math.floor(rem / 1000)
  return `${year}-${pad2(month)}-${pad2(day)}T${pad2(h)}:${pad2(mi)}:${pad2(sec)}.${pad3(Math.floor(rem - sec * 1000))}`
}

/** Cloudflare style: millisecond ISO, `2019-12-27T18:11:19.117Z`. */
export const isoMillis = (ms: number): string => isoBase(ms) + "Z"

/** Onepin style: whole seconds, `2024-01-15T09:30:00Z`. */
export const isoSeconds = (ms: number): string => isoBase(ms).slice(0, 19) + "Z"

/** Orchestra style: microseconds, `2025-03-13T02:41:15.144470Z` (the extra digits come from `micro`). */
export const isoMicros = (ms: number, micro: number): string => isoBase(ms) + pad3(micro % 1000) + "Z"
