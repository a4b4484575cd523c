/**
 * Sliding-window limiter keyed by provider and credential (wall-clock time, so
 * a client's real back-off is what frees it).
 *
 * @internal
 */

interface Window {
  /** Accept times, oldest first, as a ring buffer of `limit` slots. */
  readonly times: Float64Array
  head: number
  size: number
  blockedUntil: number
}

export class Limiter {
  private readonly windows = new Map<string, Window>()
  constructor(readonly limit: number, readonly windowMs: number) {}

  /**
   * Admits a request (0) or tells how many seconds to wait. With
   * `blockWindow`, exceeding the limit blocks the key for a whole window.
   */
  check(key: string, now: number, blockWindow: boolean): number {
    let w = this.windows.get(key)
    if (w === undefined) {
      w = { times: new Float64Array(this.limit), head: 0, size: 0, blockedUntil: 0 }
      this.windows.set(key, w)
    }
    if (w.blockedUntil > now) return Math.max(1, Math.ceil((w.blockedUntil - now) / 1000))
    while (w.size > 0 && w.times[w.head]! <= now - this.windowMs) {
      w.head = (w.head + 1) % this.limit
      w.size--
    }
    if (w.size < this.limit) {
      w.times[(w.head + w.size) % this.limit] = now
      w.size++
      return 0
    }
    if (blockWindow) {
      w.blockedUntil = now + this.windowMs
      return Math.max(1, Math.ceil(this.windowMs / 1000))
    }
    return Math.max(1, Math.ceil((w.times[w.head]! + this.windowMs - now) / 1000))
  }
}
