/**
 * Per-credential accounting, so a test can prove what a client did with its
 * budget: for each provider and credential, the requests, the 429s served,
 * and the arrival times that give the peak number of requests in any sliding
 * window. Credentials are named by a short label, never the secret: the
 * index of the token in `info.tokens` (`"0"` is `token`), `"anonymous"`, or
 * `"other-"` and a hash prefix for a credential the emulator does not accept.
 *
 * @internal
 */
import { hashString } from "./random.js"

export type ProviderName = "cloudflare" | "orchestra" | "onepin" | "temporal"

export const PROVIDERS: ReadonlyArray<ProviderName> = ["cloudflare", "orchestra", "onepin", "temporal"]

export interface CredentialStats {
  /** Requests that arrived, whatever the answer. */
  readonly requests: number
  /** Every 429 sent: rate limit, storm, or injected. */
  readonly tooManyRequests: number
  /** 429s sent by the rate limit. */
  readonly rateLimited: number
  /** 429s sent by the storm. */
  readonly storm: number
  /** With a window (`GET /_emulator/stats?window=MS`): the most requests in any window of that length. */
  readonly peakInWindow?: {
    readonly windowMs: number
    /** Requests let through by the storm and the rate limit. */
    readonly accepted: number
    /** Every request that arrived. */
    readonly arrived: number
  }
}

/** Which requests `peak` counts: those let through by the storm and the rate limit, or every arrival. */
export type Counted = "accepted" | "arrived"

/** Arrival times in wall-clock milliseconds, in arrival order (never decreasing). */
class Times {
  private times = new Float64Array(64)
  length = 0

  push(t: number): void {
    if (this.length === this.times.length) {
      const grown = new Float64Array(this.times.length * 2)
      grown.set(this.times)
      this.times = grown
    }
    this.times[this.length++] = t
  }

  /** The most times within any `windowMs` (two times share a window when less than `windowMs` apart). */
  peak(windowMs: number): number {
    let best = 0
    let from = 0
    for (let i = 0; i < this.length; i++) {
      while (this.times[i]! - this.times[from]! >= windowMs) from++
      best = Math.max(best, i - from + 1)
    }
    return best
  }
}

export class Account {
  requests = 0
  tooManyRequests = 0
  rateLimited = 0
  storm = 0
  readonly arrived = new Times()
  readonly accepted = new Times()

  snapshot(windowMs: number | undefined): CredentialStats {
    const base = { requests: this.requests, tooManyRequests: this.tooManyRequests, rateLimited: this.rateLimited, storm: this.storm }
    if (windowMs === undefined) return base
    return { ...base, peakInWindow: { windowMs, accepted: this.accepted.peak(windowMs), arrived: this.arrived.peak(windowMs) } }
  }
}

export class Credentials {
  private readonly labels: ReadonlyMap<string, string>
  private accounts = new Map<string, { readonly provider: ProviderName; readonly label: string; readonly account: Account }>()

  constructor(tokens: ReadonlyArray<string>) {
    this.labels = new Map(tokens.map((token, i) => [token, String(i)]))
  }

  labelOf(credential: string | null): string {
    if (credential === null) return "anonymous"
    return this.labels.get(credential) ?? `other-${hashString(credential).toString(16).padStart(8, "0")}`
  }

  /** Counts a request arriving at `now` (wall clock) and returns its account. */
  arrive(provider: ProviderName, credential: string | null, now: number): Account {
    const key = credential === null ? `${provider}\u0001` : `${provider}\u0000${credential}`
    let entry = this.accounts.get(key)
    if (entry === undefined) {
      entry = { provider, label: this.labelOf(credential), account: new Account() }
      this.accounts.set(key, entry)
    }
    entry.account.requests++
    entry.account.arrived.push(now)
    return entry.account
  }

  /** `credential`: a label, a token the emulator accepts, or a token's index. */
  peak(provider: ProviderName, credential: string | number, windowMs: number, counted: Counted): number {
    const label = typeof credential === "number" ? String(credential) : this.labels.get(credential) ?? credential
    for (const entry of this.accounts.values()) {
      if (entry.provider === provider && entry.label === label) return entry.account[counted].peak(windowMs)
    }
    return 0
  }

  snapshot(windowMs?: number): Record<ProviderName, Record<string, CredentialStats>> {
    const out: Record<ProviderName, Record<string, CredentialStats>> = { cloudflare: {}, orchestra: {}, onepin: {}, temporal: {} }
    const sorted = [...this.accounts.values()].sort((a, b) => (a.label < b.label ? -1 : a.label > b.label ? 1 : 0))
    for (const { account, label, provider } of sorted) out[provider][label] = account.snapshot(windowMs)
    return out
  }

  reset(): void {
    this.accounts = new Map()
  }
}
