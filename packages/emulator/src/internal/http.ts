/**
 * The small request/reply model shared by the provider handlers. Handlers are
 * plain synchronous functions (no Effect per request): the benchmark pushes
 * tens of thousands of requests through and every allocation shows.
 *
 * @internal
 */
import type { IncomingHttpHeaders } from "node:http"

export interface ApiRequest {
  readonly method: string
  /** Path segments after the provider prefix, each percent-decoded after splitting. */
  readonly segments: ReadonlyArray<string>
  readonly query: URLSearchParams
  readonly headers: IncomingHttpHeaders
}

export interface Reply {
  readonly status: number
  readonly headers: Record<string, string>
  readonly body: string | Buffer
  /** Route label for stats, e.g. `getInstance`. */
  readonly route: string
}

export const json = (route: string, status: number, body: unknown, headers?: Record<string, string>): Reply => ({
  status,
  route,
  headers: { "content-type": "application/json; charset=utf-8", ...headers },
  body: JSON.stringify(body)
})

export const bytes = (route: string, body: Buffer): Reply => ({
  status: 200,
  route,
  headers: { "content-type": "application/octet-stream" },
  body
})

/** The bearer token a request presents, else null. */
export const bearer = (headers: IncomingHttpHeaders): string | null => {
  const auth = headers.authorization
  if (auth === undefined) return null
  const match = /^Bearer\s+(.+)$/i.exec(auth)
  return match === null ? null : match[1]!.trim()
}

/** Whether the request's bearer token is one the emulator accepts. */
export const bearerAccepted = (headers: IncomingHttpHeaders, tokens: ReadonlySet<string>): boolean => {
  const token = bearer(headers)
  return token !== null && tokens.has(token)
}

export const header = (headers: IncomingHttpHeaders, name: string): string | undefined => {
  const value = headers[name]
  return Array.isArray(value) ? value[0] : value
}

/** First value of a query parameter, or undefined when absent. */
export const param = (query: URLSearchParams, name: string): string | undefined => {
  const value = query.get(name)
  return value === null ? undefined : value
}

/** Strict integer parsing for query values: digits only, optional leading minus. */
export const parseIntStrict = (text: string): number | undefined =>
  /^-?\d{1,15}$/.test(text) ? Number(text) : undefined

/**
 * A strict ISO 8601 date-time (date, `T`, time, optional fraction, `Z` or an
 * offset), or a plain date. Returns epoch milliseconds.
 */
export const parseIso = (text: string): number | undefined => {
  if (!/^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2}))?$/.test(text)) return undefined
  const ms = Date.parse(text)
  return Number.isNaN(ms) ? undefined : ms
}

export const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/

/** What the server needs from each provider emulation. */
export interface Provider {
  readonly handle: (req: ApiRequest, now: number) => Reply
  /** The provider's own 429 body, with `Retry-After` in seconds. */
  readonly tooManyRequests: (route: string, retryAfter: number, now: number) => Reply
  /** The provider's own 5xx body. */
  readonly serverError: (route: string, status: number, now: number) => Reply
  /** Route label for stats, from the path segments alone (no work done). */
  readonly classify: (segments: ReadonlyArray<string>) => string
}
