/**
 * `GET .../instances`: filters, both pagination styles (an opaque cursor that
 * names the last instance returned, and the deprecated `page`), newest first
 * by default.
 *
 * @internal
 */
import type { ApiRequest, Reply } from "../http.js"
import * as Http from "../http.js"
import { badRequest, envelope, listItem } from "./bodies.js"
import { DEFAULT_PER_PAGE, FILTER_STATUSES, MAIN_WORKFLOW } from "./model.js"
import type { Store } from "./store.js"

const encodeCursor = (ordinal: number): string => Buffer.from(`o:${ordinal}`).toString("base64url")
const decodeCursor = (cursor: string): number | undefined => {
  const match = /^o:(\d{1,10})$/.exec(Buffer.from(cursor, "base64url").toString("latin1"))
  return match === null ? undefined : Number(match[1])
}

/** First `i` in [0, n) with `pred(i)` true (pred monotone), or n. */
const lowerBound = (n: number, pred: (i: number) => boolean): number => {
  let lo = 0
  let hi = n
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (pred(mid)) hi = mid
    else lo = mid + 1
  }
  return lo
}

export const listInstances = (store: Store, req: ApiRequest, workflow: string, now: number): Reply => {
  const route = "listInstances"
  const q = req.query
  let perPage = DEFAULT_PER_PAGE
  const perPageText = Http.param(q, "per_page")
  if (perPageText !== undefined) {
    const n = Http.parseIntStrict(perPageText)
    if (n === undefined || n < 1 || n > 100) return badRequest(route, "per_page must be an integer between 1 and 100")
    perPage = n
  }
  let page: number | undefined
  const pageText = Http.param(q, "page")
  if (pageText !== undefined) {
    const n = Http.parseIntStrict(pageText)
    if (n === undefined || n < 1) return badRequest(route, "page must be an integer >= 1")
    page = n
  }
  let after: number | undefined
  const cursorText = Http.param(q, "cursor")
  if (cursorText !== undefined && cursorText !== "") {
    after = decodeCursor(cursorText)
    if (after === undefined) return badRequest(route, "cursor is invalid")
  }
  const status = Http.param(q, "status")
  if (status !== undefined && !FILTER_STATUSES.includes(status)) {
    return badRequest(route, `status must be one of ${FILTER_STATUSES.join(", ")}`)
  }
  const direction = Http.param(q, "direction") ?? "desc"
  if (direction !== "asc" && direction !== "desc") return badRequest(route, "direction must be asc or desc")
  let from = -Infinity
  let to = Infinity
  const startText = Http.param(q, "date_start")
  if (startText !== undefined) {
    const ms = Http.parseIso(startText)
    if (ms === undefined) return badRequest(route, "date_start must be an ISO 8601 date-time")
    from = ms
  }
  const endText = Http.param(q, "date_end")
  if (endText !== undefined) {
    const ms = Http.parseIso(endText)
    if (ms === undefined) return badRequest(route, "date_end must be an ISO 8601 date-time")
    to = ms
  }
  if (workflow !== MAIN_WORKFLOW) {
    const info = page !== undefined
      ? { count: 0, per_page: perPage, total_count: 0, page, total_pages: 0 }
      : { count: 0, per_page: perPage, total_count: 0 }
    return Http.json(route, 200, envelope([], info))
  }

  // Ordinals are in creation order, so the date window is an ordinal range.
  const visible = store.runs.visibleCount(now)
  const lo = lowerBound(visible, (o) => store.runs.createdAt(o) >= from)
  const hi = lowerBound(visible, (o) => store.runs.createdAt(o) > to) - 1
  const matches = (o: number) => status === undefined || store.statusAt(o, now) === status
  let total = 0
  if (status === undefined) total = Math.max(0, hi - lo + 1)
  else for (let o = lo; o <= hi; o++) if (matches(o)) total++

  const picked: Array<number> = []
  let more = false
  const step = direction === "asc" ? 1 : -1
  let o = direction === "asc" ? lo : hi
  // A cursor wins over the deprecated page when both are sent.
  const byPage = page !== undefined && after === undefined
  if (after !== undefined) {
    if (direction === "asc") o = Math.max(lo, after + 1)
    else o = Math.min(hi, after - 1)
  }
  let skip = byPage ? (page! - 1) * perPage : 0
  if (skip > 0 && status === undefined) {
    o += step * skip
    skip = 0
  }
  for (; o >= lo && o <= hi; o += step) {
    if (!matches(o)) continue
    if (skip > 0) {
      skip--
      continue
    }
    if (picked.length === perPage) {
      more = true
      break
    }
    picked.push(o)
  }
  const result = picked.map((ord) => listItem(store.config, ord, store.summaryAt(ord, now), store.mainWorkflowId))
  if (byPage) {
    return Http.json(route, 200, envelope(result, {
      count: result.length,
      per_page: perPage,
      total_count: total,
      page,
      total_pages: Math.ceil(total / perPage)
    }))
  }
  const info: Record<string, unknown> = { count: result.length, per_page: perPage, total_count: total }
  if (more) info.cursor = encodeCursor(picked[picked.length - 1]!)
  return Http.json(route, 200, envelope(result, info))
}

