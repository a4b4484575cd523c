/**
 * The emulator's two clocks. The virtual clock dates the data: a fixed epoch
 * plus whatever `advance` added, plus `clockSpeed` virtual milliseconds per
 * real one when the clock runs by itself. Real (wall-clock) time never leaks
 * into data; it only paces the server (rate limit, storm, latency, slow
 * answers), through a `WallClock` that tests replace with a manual one.
 *
 * @internal
 */

/** `2026-01-01T00:00:00.000Z`: historic runs lie before it, live runs around it. */
export const EPOCH_MS = Date.UTC(2026, 0, 1)

/** Real time as the server sees it. */
export interface WallClock {
  /** Milliseconds on a monotone clock; only differences are used. */
  readonly now: () => number
  /** Calls `f` once, `ms` real milliseconds from now; the result cancels it. */
  readonly schedule: (f: () => void, ms: number) => () => void
}

/** The process's monotone clock and timers. */
export const system: WallClock = {
  now: () => performance.now(),
  schedule: (f, ms) => {
    const timer = setTimeout(f, ms)
    return () => clearTimeout(timer)
  }
}

export class VirtualClock {
  private advanced = 0
  private readonly startedAt: number
  constructor(private readonly wall: WallClock, private readonly speed: number) {
    this.startedAt = wall.now()
  }

  /** Moves the clock forward; zero and negative values are ignored. */
  advance(ms: number): void {
    if (ms > 0) this.advanced += ms
  }

  /** Milliseconds since the epoch: every `advance`, plus the running part. */
  offsetMs(): number {
    return this.speed === 0 ? this.advanced : this.advanced + Math.floor((this.wall.now() - this.startedAt) * this.speed)
  }

  /** The virtual now, epoch milliseconds. */
  now(): number {
    return EPOCH_MS + this.offsetMs()
  }
}
