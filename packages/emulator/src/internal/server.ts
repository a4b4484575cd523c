/**
 * The request pipeline behind `node:http`: route by path prefix, count,
 * rate-limit, inject faults, answer. Plain callbacks rather than an Effect per
 * request, because the benchmark pushes tens of thousands of requests through.
 *
 * @internal
 */
import type { IncomingMessage, ServerResponse } from "node:http"
import * as Faults from "../Faults.js"
import type * as RateLimit from "../RateLimit.js"
import * as Clock from "./clock.js"
import * as Cloudflare from "./cloudflare.js"
import type { ApiRequest, Provider, Reply } from "./http.js"
import * as Http from "./http.js"
import * as Onepin from "./onepin.js"
import * as Orchestra from "./orchestra.js"
import { Rng, Tag } from "./random.js"
import { Limiter } from "./rateLimit.js"
import { Counters, type ProviderName } from "./stats.js"

export interface Resolved {
  readonly port: number
  readonly seed: number
  readonly token: string
  readonly cloudflare: Cloudflare.Config
  readonly orchestra: Orchestra.Config
  readonly onepin: Onepin.Config
  readonly faults: Faults.Options
  readonly rateLimit: RateLimit.Options | undefined
}

/** Path prefixes (as raw segments) in front of each provider's documented paths. */
export const PREFIX: Record<ProviderName, ReadonlyArray<string>> = {
  cloudflare: ["cloudflare", "client", "v4"],
  orchestra: ["orchestra", "api", "v1", "workflow"],
  onepin: ["onepin", "api", "v1"]
}
export const ADMIN_PREFIX = "_emulator"

const HTML_PAGE = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Just a moment...</title></head>" +
  "<body><h1>Checking your browser before accessing the API</h1><p>This page is served by the steptrail emulator's " +
  "content-type fault.</p></body></html>\n"

export interface Server {
  readonly clock: Clock.Clock
  readonly counters: Counters
  readonly listener: (req: IncomingMessage, res: ServerResponse) => void
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

export const make = (
  resolved: Resolved,
  admin: { readonly info: () => unknown; readonly fixtures: () => unknown }
): Server => {
  const clock = Clock.make()
  const counters = new Counters()
  const providers: Record<ProviderName, Provider> = {
    cloudflare: Cloudflare.make(resolved.cloudflare),
    orchestra: Orchestra.make(resolved.orchestra),
    onepin: Onepin.make(resolved.onepin)
  }
  const faults = resolved.faults
  const faultRng = Rng.at(faults.seed ?? resolved.seed, Tag.faults)
  const anyFault = Faults.kinds.some((k) => (faults[k] ?? 0) > 0)
  const limiter = resolved.rateLimit === undefined ? undefined : new Limiter(resolved.rateLimit.limit, resolved.rateLimit.windowMs)
  const retryAfter = faults.retryAfter ?? 1
  const slowMs = faults.slowMs ?? 3000

  const credential = (req: IncomingMessage): string =>
    Http.bearer(req.headers) ?? Http.header(req.headers, "x-auth-key") ?? "anonymous"

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
    const now = Clock.now(clock)
    const answer = (reply: Reply): void => {
      counters.record(provider, route, reply.status)
      send(res, reply)
    }

    if (limiter !== undefined) {
      const wait = limiter.check(`${provider}\u0000${credential(req)}`, Date.now(), provider === "cloudflare")
      if (wait > 0) {
        counters.rateLimited++
        return answer(impl.tooManyRequests(route, wait, now))
      }
    }
    if (!anyFault) return answer(impl.handle(request, now))

    // One draw per kind, always, so the fault sequence depends only on the request count.
    let hit: Faults.Kind | null = null
    for (const kind of Faults.kinds) {
      const u = faultRng.next()
      if (kind !== "slow" && hit === null && u < (faults[kind] ?? 0)) hit = kind
    }
    const slow = faultRng.next() < (faults.slow ?? 0)
    const status5xx = [500, 502, 503][faultRng.u32() % 3]!
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
          return answer({ status: 200, route, headers: { "content-type": "text/html; charset=utf-8" }, body: HTML_PAGE })
        case "truncated": {
          const reply = impl.handle(request, now)
          const body = typeof reply.body === "string" ? Buffer.from(reply.body) : reply.body
          counters.record(provider, route, reply.status)
          res.writeHead(reply.status, { ...reply.headers, "content-length": String(body.length) })
          res.write(body.subarray(0, Math.floor(body.length / 2)), () => req.socket.destroy())
          return
        }
        case "malformed": {
          const reply = impl.handle(request, now)
          const body = typeof reply.body === "string" ? Buffer.from(reply.body) : reply.body
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
    if (slow) {
      counters.fault("slow")
      setTimeout(respond, slowMs)
    } else respond()
  }

  const adminRoute = (req: IncomingMessage, res: ServerResponse, raw: ReadonlyArray<string>): void => {
    counters.adminRequests++
    const url = req.url ?? "/"
    const q = url.indexOf("?")
    const query = new URLSearchParams(q < 0 ? "" : url.slice(q + 1))
    const what = `${req.method} ${raw.slice(2).join("/")}`
    const clockBody = () => ({ now: Clock.isoMillis(Clock.now(clock)), offset_ms: clock.offsetMs })
    switch (what) {
      case "POST advance": {
        const ms = Http.parseIntStrict(query.get("ms") ?? "")
        if (ms === undefined || ms < 0) return send(res, Http.json("admin", 400, { error: "ms must be a non-negative integer" }))
        clock.offsetMs += ms
        return send(res, Http.json("admin", 200, clockBody()))
      }
      case "GET clock":
        return send(res, Http.json("admin", 200, clockBody()))
      case "GET stats":
        return send(res, Http.json("admin", 200, counters.snapshot(Faults.kinds)))
      case "POST reset-stats":
        counters.reset()
        return send(res, Http.json("admin", 200, { ok: true }))
      case "GET info":
        return send(res, Http.json("admin", 200, admin.info()))
      case "GET fixtures":
        return send(res, Http.json("admin", 200, admin.fixtures()))
      default:
        return send(res, Http.json("admin", 404, { error: `no admin route ${what}` }))
    }
  }

  const listener = (req: IncomingMessage, res: ServerResponse): void => {
    req.resume() // GET requests carry no body; drain anything so keep-alive stays usable
    const url = req.url ?? "/"
    const q = url.indexOf("?")
    const raw = (q < 0 ? url : url.slice(0, q)).split("/")
    if (startsWith(raw, PREFIX.cloudflare)) return api("cloudflare", req, res, raw)
    if (startsWith(raw, PREFIX.orchestra)) return api("orchestra", req, res, raw)
    if (startsWith(raw, PREFIX.onepin)) return api("onepin", req, res, raw)
    if (raw[1] === ADMIN_PREFIX) return adminRoute(req, res, raw)
    send(res, Http.json("unknown", 404, {
      error: "not found",
      hint: "provider APIs live under /cloudflare/client/v4, /orchestra/api/v1/workflow, /onepin/api/v1; admin under /_emulator"
    }))
  }

  return { clock, counters, listener }
}
