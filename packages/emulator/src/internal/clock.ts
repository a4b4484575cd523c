/**
 * The emulator's virtual clock: a fixed epoch plus whatever `advance` added.
 * Wall-clock time never leaks into data, so answers are a pure function of
 * (seed, options, virtual clock).
 *
 * @internal
 */

/** `2026-01-01T00:00:00.000Z`: historic runs lie before it, live runs around it. */
export const EPOCH_MS = Date.UTC(2026, 0, 1)

export interface Clock {
  offsetMs: number
}

export const make = (): Clock => ({ offsetMs: 0 })

export const now = (clock: Clock): number => EPOCH_MS + clock.offsetMs

/** Cloudflare style: millisecond ISO, `2019-12-27T18:11:19.117Z`. */
export const isoMillis = (ms: number): string => new Date(ms).toISOString()

/** Onepin style: whole seconds, `2024-01-15T09:30:00Z`. */
export const isoSeconds = (ms: number): string => new Date(ms).toISOString().slice(0, 19) + "Z"

/** Orchestra style: microseconds, `2025-03-13T02:41:15.144470Z` (the extra digits come from `micro`). */
export const isoMicros = (ms: number, micro: number): string =>
  new Date(ms).toISOString().slice(0, 23) + String(micro % 1000).padStart(3, "0") + "Z"
