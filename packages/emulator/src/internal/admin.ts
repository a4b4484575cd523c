/**
 * The admin routes under `/_emulator`: no auth, no faults, no rate limit,
 * no latency.
 *
 * @internal
 */
import type { IncomingMessage } from "node:http"
import type { VirtualClock } from "./clock.js"
import type { Reply } from "./http.js"
import * as Http from "./http.js"
import * as Iso from "./iso.js"

export interface Admin {
  readonly clock: VirtualClock
  /** The stats, with the peaks of a window of that many milliseconds when given. */
  readonly stats: (windowMs: number | undefined) => unknown
  readonly resetStats: () => void
  readonly info: () => unknown
  readonly fixtures: () => unknown
}

const ok = (body: unknown): Reply => Http.json("admin", 200, body)
const bad = (message: string): Reply => Http.json("admin", 400, { error: message })

export const handle = (admin: Admin, req: IncomingMessage, raw: ReadonlyArray<string>): Reply => {
  const url = req.url ?? "/"
  const q = url.indexOf("?")
  const query = new URLSearchParams(q < 0 ? "" : url.slice(q + 1))
  const what = `${req.method} ${raw.slice(2).join("/")}`
  const clockBody = () => ({ now: Iso.isoMillis(admin.clock.now()), offset_ms: admin.clock.offsetMs() })
  switch (what) {
    case "POST advance": {
      const ms = Http.parseIntStrict(query.get("ms") ?? "")
      if (ms === undefined || ms < 0) return bad("ms must be a non-negative integer")
      admin.clock.advance(ms)
      return ok(clockBody())
    }
    case "GET clock":
      return ok(clockBody())
    case "GET stats": {
      const text = query.get("window")
      if (text === null) return ok(admin.stats(undefined))
      const windowMs = Http.parseIntStrict(text)
      if (windowMs === undefined || windowMs < 1) return bad("window must be a positive integer (milliseconds)")
      return ok(admin.stats(windowMs))
    }
    case "POST reset-stats":
      admin.resetStats()
      return ok({ ok: true })
    case "GET info":
      return ok(admin.info())
    case "GET fixtures":
      return ok(admin.fixtures())
    default:
      return Http.json("admin", 404, { error: `no admin route ${what}` })
  }
}
