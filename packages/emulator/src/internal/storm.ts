/**
 * The storm's timing: it starts `afterMs` after the first provider request
 * (wall clock) and lasts `durationMs`.
 *
 * @internal
 */
import type * as StormOptions from "../Storm.js"

export class Storm {
  private firstAt: number | undefined
  readonly retryAfterSeconds: number
  private readonly afterMs: number
  private readonly durationMs: number

  constructor(options: StormOptions.Options) {
    this.afterMs = options.afterMs ?? 0
    this.durationMs = options.durationMs
    this.retryAfterSeconds = options.retryAfterSeconds ?? 1
  }

  /** Whether a provider request arriving at `now` (wall clock) meets the storm. */
  raging(now: number): boolean {
    if (this.firstAt === undefined) this.firstAt = now
    const from = this.firstAt + this.afterMs
    return now >= from && now < from + this.durationMs
  }
}
