/**
 * The request pipeline behind `node:http`: route by path prefix, count, then
 * storm, rate limit, faults, latency, answer. Plain callbacks rather than an
 * Effect per request, because the benchmark pushes tens of thousands of
 * requests through.
 *
 * @internal
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import * as Faults from "../Faults.js"
import * as Admin from "./admin.js"
import { VirtualClock } from "./clock.js"
import * as Cloudflare from "./cloudflare/routes.js"
import type { Account, Counted, ProviderName } from "./credentials.js"
import { Credentials } from "./credentials.js"
import * as FaultGenerator from "./faults.js"
import type { ApiRequest, Provider, Reply } from "./http.js"
import * as Http from "./http.js"
import * as Onepin from "./onepin/routes.js"
import type { Resolved } from "./options.js"
import * as Orchestra from "./orchestra/routes.js"
import { Rng, Tag } from "./random.js"
import { Limiter } from "./rateLimit.js"
import { Counters, type Stats } from "./stats.js"
import { Storm } from "./storm.js"
import * as Temporal from "./temporal/routes.js"

/** Path prefixes (as raw segments) in front of each provider's documented paths. */
export const PREFIX: Record<ProviderName, ReadonlyArray<string>> = {
  cloudflare: ["cloudflare", "client", "v4"],
  orchestra: ["orchestra", "api", "v1", "workflow"],
  onepin: ["onepin", "api", "v1"],
  temporal: ["temporal"]
}
export const ADMIN_PREFIX = "_emulator"

export interface Server {
  readonly clock: VirtualClock
  readonly stats: (windowMs?: number) => Stats
  readonly resetStats: () => void
  readonly peak: (provider: ProviderName, credential: string | number, windowMs: number, counted: Counted) => number
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void
  /** Cancels the answers still waiting (latency, slow faults). */
  readonly close: () => void
}

const startsWith = (raw: ReadonlyArray<string>, prefix: ReadonlyArray<string>): boolean => {
  for (let i = 0; i < prefix.length; i++) if (raw[i + 1] !== prefix[i]) return false
  return true
}

const send = (res: ServerResponse, reply: Reply): void => {
  const body = reply.body
  const length = typeof body === "string" ? Buffer.byteLength(body) : body.length
  res.writeHead(reply.status, { ...reply.headers, "content-length": String(length) })
  res.end(body)
}

const toBuffer = (body: string | Buffer): Buffer => (typeof body === "string" ? Buffer.from(body) : body)

/** The credential a request presents: a bearer token, else `X-Auth-Key`, else none. */
const credentialOf = (req: IncomingMessage): string | null => Http.bearer(req.headers) ?? Http.header(req.headers, "x-auth-key") ?? null

export const make = (
  resolved: Resolved,
  admin: { readonly info: () => unknown; readonly fixtures: () => unknown }
): Server => {
  const wall = resolved.wallClock
  const clock = new VirtualClock(wall, resolved.clockSpeed)
  const counters = new Counters()
  const credentials = new Credentials(resolved.tokens)
  const providers: Record<ProviderName, Provider> = {
    cloudflare: Cloudflare.make(resolved.cloudflare),
    orchestra: Orchestra.make(resolved.orchestra),
    onepin: Onepin.make(resolved.onepin),
    temporal: Temporal.make(resolved.temporal)
  }
  const faults = new FaultGenerator.Generator(resolved.faults, resolved.seed)
  const retryAfter = resolved.faults.retryAfter ?? 1
  const slowMs = resolved.faults.slowMs ?? 3000
  const limiter = resolved.rateLimit === undefined ? undefined : new Limiter(resolved.rateLimit.limit, resolved.rateLimit.windowMs)
  const storm = resolved.storm === undefined ? undefined : new Storm(resolved.storm)
  const latency = resolved.latency
  const latencyRng = latency === undefined ? undefined : Rng.at(latency.seed ?? resolved.seed, Tag.latency)

  const waiting = new Set<() => void>()
  /** Runs `f` after `ms` real milliseconds, at once when 0 (the path without latency stays synchronous). */
  const after = (ms: number, f: () => void): void => {
    if (ms <= 0) return f()
    const cancel = wall.schedule(() => {
      waiting.delete(cancel)
      f()
    }, ms)
    waiting.add(cancel)
  }

  const api = (provider: ProviderName, req: IncomingMessage, res: ServerResponse, raw: ReadonlyArray<string>): void => {
    const impl = providers[provider]
    let segments: Array<string>
    try {
      segments = raw.slice(PREFIX[provider].length + 1).map(decodeURIComponent)
    } catch {
      segments = ["%"] // undecodable: no route matches
    }
    const url = req.url ?? "/"
    const q = url.indexOf("?")
    const request: ApiRequest = {
      method: req.method ?? "GET",
      segments,
      query: new URLSearchParams(q < 0 ? "" : url.slice(q + 1)),
      headers: req.headers
    }
    const route = impl.classify(segments)
    const now = clock.now()
    const arrived = wall.now()
    const credential = credentialOf(req)
    counters.requests++
    const account: Account = credentials.arrive(provider, credential, arrived)
    const delay = latency === undefined ? 0 : latencyRng!.int(latency.minMs, latency.maxMs)
    const answer = (reply: Reply): void => {
      counters.record(provider, route, reply.status)
      if (reply.status === 429) account.tooManyRequests++
      send(res, reply)
    }

    if (storm !== undefined && storm.raging(arrived)) {
      counters.storm++
      account.storm++
      return after(delay, () => answer(impl.tooManyRequests(route, storm.retryAfterSeconds, now)))
    }
    if (limiter !== undefined) {
      const wait = limiter.check(`${provider}\u0000${credential ?? "anonymous"}`, arrived, provider === "cloudflare")
      if (wait > 0) {
        counters.rateLimited++
        account.rateLimited++
        return after(delay, () => answer(impl.tooManyRequests(route, wait, now)))
      }
    }
    account.accepted.push(arrived)
    if (!faults.any) return after(delay, () => answer(impl.handle(request, now)))

    const { hit, slow, status5xx } = faults.draw()
    const respond = (): void => {
      if (hit !== null) counters.fault(hit)
      switch (hit) {
        case "reset":
          counters.record(provider, route, "reset")
          req.socket.destroy()
          return
        case "serverError":
          return answer(impl.serverError(route, status5xx, now))
        case "tooManyRequests":
          return answer(impl.tooManyRequests(route, retryAfter, now))
        case "contentType":
          return answer({ status: 200, route, headers: { "content-type": "text/html; charset=utf-8" }, body: FaultGenerator.HTML_PAGE })
        case "truncated": {
          const reply = impl.handle(request, now)
          const body = toBuffer(reply.body)
          counters.record(provider, route, reply.status)
          res.writeHead(reply.status, { ...reply.headers, "content-length": String(body.length) })
          res.write(body.subarray(0, Math.floor(body.length / 2)), () => req.socket.destroy())
          return
        }
        case "malformed": {
          const reply = impl.handle(request, now)
          const body = toBuffer(reply.body)
          return answer({
            status: reply.status,
            route,
            headers: { "content-type": "application/json; charset=utf-8" },
            body: body.subarray(0, Math.max(1, Math.floor(body.length / 2)))
          })
        }
        default:
          return answer(impl.handle(request, now))
      }
    }
    if (slow) counters.fault("slow")
    after(delay + (slow ? slowMs : 0), respond)
  }

  const stats = (windowMs?: number): Stats => counters.snapshot(Faults.kinds, credentials.snapshot(windowMs))
  const resetStats = (): void => {
    counters.reset()
    credentials.reset()
  }
  const adminState: Admin.Admin = { clock, stats, resetStats, info: admin.info, fixtures: admin.fixtures }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    req.resume() // GET requests carry no body; drain anything so keep-alive stays usable
    const url = req.url ?? "/"
    const q = url.indexOf("?")
    const raw = (q < 0 ? url : url.slice(0, q)).split("/")
    if (startsWith(raw, PREFIX.cloudflare)) return api("cloudflare", req, res, raw)
    if (startsWith(raw, PREFIX.orchestra)) return api("orchestra", req, res, raw)
    if (startsWith(raw, PREFIX.onepin)) return api("onepin", req, res, raw)
    if (startsWith(raw, PREFIX.temporal)) return api("temporal", req, res, raw)
    if (raw[1] === ADMIN_PREFIX) {
      counters.adminRequests++
      return send(res, Admin.handle(adminState, req, raw))
    }
    send(res, Http.json("unknown", 404, {
      error: "not found",
      hint: "provider APIs live under /cloudflare/client/v4, /orchestra/api/v1/workflow, /onepin/api/v1, /temporal; admin under /_emulator"
    }))
  }

  const close = (): void => {
    for (const cancel of waiting) cancel()
    waiting.clear()
  }

  return { clock, stats, resetStats, peak: (p, c, w, counted) => credentials.peak(p, c, w, counted), listener, close }
}
