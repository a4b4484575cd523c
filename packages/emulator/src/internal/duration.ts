/**
 * Durations in flag text: a number with a unit `ms`, `s`, `m` or `h`.
 *
 * @internal
 */

export const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 }

/** Milliseconds of `"20s"`, `"500ms"`, `"5m"`, `"1h"`; undefined for anything else. */
export const parse = (text: string): number | undefined => {
  const match = /^\s*(\d+)\s*(ms|s|m|h)\s*$/.exec(text)
  return match === null ? undefined : Number(match[1]) * UNITS[match[2]!]!
}
