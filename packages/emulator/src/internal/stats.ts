/**
 * Request counters. Mutable and cheap on the hot path; snapshots are plain
 * immutable objects.
 *
 * @internal
 */
import type * as Faults from "../Faults.js"
import type { CredentialStats, ProviderName } from "./credentials.js"

export interface RouteStats {
  readonly requests: number
  readonly byStatus: Readonly<Record<string, number>>
}

export interface ProviderStats extends RouteStats {
  readonly routes: Readonly<Record<string, RouteStats>>
}

export interface Stats {
  /** API requests (all providers, admin routes excluded), counted when they arrive. */
  readonly requests: number
  /** Answers per provider and route, by status, counted when sent. */
  readonly providers: {
    readonly cloudflare: ProviderStats
    readonly orchestra: ProviderStats
    readonly onepin: ProviderStats
    readonly temporal: ProviderStats
  }
  /** Every 429 sent: rate limit, storm, or injected. */
  readonly tooManyRequests: number
  /** 429s sent by the rate limiter. */
  readonly rateLimited: number
  /** 429s sent by the storm. */
  readonly storm: number
  readonly faults: Readonly<Record<Faults.Kind, number>>
  readonly adminRequests: number
  /** Per provider and credential label (see `Emulator.peakInWindow`). */
  readonly credentials: { readonly [P in ProviderName]: Readonly<Record<string, CredentialStats>> }
}

interface MutableRoute {
  requests: number
  byStatus: Record<string, number>
}

const route = (): MutableRoute => ({ requests: 0, byStatus: {} })

export class Counters {
  private providers = new Map<ProviderName, { total: MutableRoute; routes: Map<string, MutableRoute> }>()
  private faults: Record<string, number> = {}
  requests = 0
  tooManyRequests = 0
  rateLimited = 0
  storm = 0
  adminRequests = 0

  /** An answer (or a reset connection) sent. */
  record(provider: ProviderName, routeName: string, status: number | "reset"): void {
    if (status === 429) this.tooManyRequests++
    let p = this.providers.get(provider)
    if (p === undefined) {
      p = { total: route(), routes: new Map() }
      this.providers.set(provider, p)
    }
    let r = p.routes.get(routeName)
    if (r === undefined) {
      r = route()
      p.routes.set(routeName, r)
    }
    const key = String(status)
    p.total.requests++
    p.total.byStatus[key] = (p.total.byStatus[key] ?? 0) + 1
    r.requests++
    r.byStatus[key] = (r.byStatus[key] ?? 0) + 1
  }

  fault(kind: Faults.Kind): void {
    this.faults[kind] = (this.faults[kind] ?? 0) + 1
  }

  reset(): void {
    this.providers = new Map()
    this.faults = {}
    this.requests = 0
    this.tooManyRequests = 0
    this.rateLimited = 0
    this.storm = 0
    this.adminRequests = 0
  }

  snapshot(kinds: ReadonlyArray<Faults.Kind>, credentials: Stats["credentials"]): Stats {
    const provider = (name: ProviderName): ProviderStats => {
      const p = this.providers.get(name)
      if (p === undefined) return { requests: 0, byStatus: {}, routes: {} }
      const routes: Record<string, RouteStats> = {}
      for (const [k, r] of p.routes) routes[k] = { requests: r.requests, byStatus: { ...r.byStatus } }
      return { requests: p.total.requests, byStatus: { ...p.total.byStatus }, routes }
    }
    const faults = {} as Record<Faults.Kind, number>
    for (const k of kinds) faults[k] = this.faults[k] ?? 0
    return {
      requests: this.requests,
      providers: { cloudflare: provider("cloudflare"), orchestra: provider("orchestra"), onepin: provider("onepin"), temporal: provider("temporal") },
      tooManyRequests: this.tooManyRequests,
      rateLimited: this.rateLimited,
      storm: this.storm,
      faults,
      adminRequests: this.adminRequests,
      credentials
    }
  }
}
