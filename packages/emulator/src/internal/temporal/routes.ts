/**
 * The Temporal routes of the HTTP API (`/api/v1/namespaces/{namespace}/...`,
 * and the same without `/api/v1`): list, count and describe workflow
 * executions, and get a run's history by pages. Checks run in this order: the
 * route (grpc-gateway's 404), the API key (401), the namespace (403 for a
 * key, 404 without auth), the query values (400), the workflow (404).
 *
 * @internal
 */
import * as Either from "effect/Either"
import type { ApiRequest, Provider, Reply } from "../http.js"
import * as Http from "../http.js"
import { Rng, Tag } from "../random.js"
import * as Bodies from "./bodies.js"
import type { Config } from "./model.js"
import { DEFAULT_HISTORY_PAGE_SIZE, DEFAULT_PAGE_SIZE } from "./model.js"
import * as Paging from "./paging.js"
import * as Query from "./query.js"
import { compare, Store } from "./store.js"
import { describe, eventBody, view } from "./view.js"

/** The path after the prefix, without the optional `api/v1`. */
const path = (s: ReadonlyArray<string>): ReadonlyArray<string> => (s[0] === "api" && s[1] === "v1" ? s.slice(2) : s)

/** Stats label of a Temporal path. */
export const classify = (segments: ReadonlyArray<string>): string => {
  const s = path(segments)
  if (s[0] !== "namespaces" || s.length < 3) return "unknown"
  if (s.length === 3) return s[2] === "workflows" ? "listWorkflowExecutions" : s[2] === "workflow-count" ? "countWorkflowExecutions" : "unknown"
  if (s[2] !== "workflows") return "unknown"
  return s.length === 4 ? "describeWorkflowExecution" : s.length === 5 && s[4] === "history" ? "getWorkflowExecutionHistory" : "unknown"
}

/** An int32 query value as grpc-gateway parses it; undefined when absent. */
const int32 = (req: ApiRequest, name: string): number | string | undefined => {
  const text = Http.param(req.query, name)
  if (text === undefined || text === "") return undefined
  const n = Http.parseIntStrict(text)
  return n === undefined || Math.abs(n) > 2 ** 31
    ? `type mismatch, parameter: ${name}, error: strconv.ParseInt: parsing ${JSON.stringify(text)}: invalid syntax`
    : n
}

const pageSize = (value: number | undefined, max: number): number => (value === undefined || value <= 0 || value > max ? max : value)

export const make = (config: Config): Provider => {
  const namespaceId = Rng.at(config.seed, Tag.tmRun, 7777).uuid()
  const store = new Store(config, namespaceId)

  const filtered = (route: string, req: ApiRequest, now: number) => {
    const filter = Query.parse(Http.param(req.query, "query") ?? "")
    if (Either.isLeft(filter)) return Bodies.invalidArgument(route, `invalid query: ${filter.left}`)
    return store.list(now).filter((e) => filter.right(e.row))
  }

  const list = (req: ApiRequest, now: number): Reply => {
    const route = "listWorkflowExecutions"
    const size = int32(req, "pageSize")
    if (typeof size === "string") return Bodies.invalidArgument(route, size)
    const token = Http.param(req.query, "nextPageToken")
    let after: Query.Row | undefined
    if (token !== undefined && token !== "") {
      const p = Paging.open(token) as { c: number | null; s: number; r: string } | undefined
      if (p === undefined || typeof p.s !== "number" || typeof p.r !== "string" || !(p.c === null || typeof p.c === "number")) {
        return Bodies.invalidArgument(route, "invalid NextPageToken")
      }
      after = { workflowType: "", workflowId: "", status: "", runId: p.r, startMs: p.s, closeMs: p.c }
    }
    const entries = filtered(route, req, now)
    if (!Array.isArray(entries)) return entries
    const rest = after === undefined ? entries : entries.filter((e) => compare(e.row, after!) > 0)
    const limit = pageSize(size, DEFAULT_PAGE_SIZE)
    const page = rest.slice(0, limit)
    // like visibility, a full page always carries a token (the next one may be empty)
    const last = page.length === limit ? page[limit - 1]!.row : undefined
    return Bodies.ok(route, req, {
      executions: page.length === 0 ? undefined : page.map((e) => e.info),
      nextPageToken: last === undefined ? undefined : Paging.seal({ c: last.closeMs, s: last.startMs, r: last.runId })
    })
  }

  const count = (req: ApiRequest, now: number): Reply => {
    const route = "countWorkflowExecutions"
    const entries = filtered(route, req, now)
    if (!Array.isArray(entries)) return entries
    return Bodies.ok(route, req, { count: entries.length === 0 ? undefined : String(entries.length) })
  }

  const history = (req: ApiRequest, workflowId: string, now: number): Reply => {
    const route = "getWorkflowExecutionHistory"
    const size = int32(req, "maximumPageSize")
    if (typeof size === "string") return Bodies.invalidArgument(route, size)
    const filterType = Http.param(req.query, "historyEventFilterType") ?? "HISTORY_EVENT_FILTER_TYPE_UNSPECIFIED"
    if (!["HISTORY_EVENT_FILTER_TYPE_UNSPECIFIED", "HISTORY_EVENT_FILTER_TYPE_ALL_EVENT", "HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT"].includes(filterType)) {
      return Bodies.invalidArgument(route, `invalid value for enum field historyEventFilterType: ${JSON.stringify(filterType)}`)
    }
    let runId = Http.param(req.query, "execution.runId") || undefined
    let from = 1
    const token = Http.param(req.query, "nextPageToken")
    if (token !== undefined && token !== "") {
      const p = Paging.open(token) as { r: string; n: number } | undefined
      if (p === undefined || typeof p.r !== "string" || !Number.isInteger(p.n) || (runId !== undefined && p.r !== runId)) {
        return Bodies.invalidArgument(route, "invalid NextPageToken")
      }
      runId = p.r
      from = p.n
    }
    const execution = store.find(workflowId, runId, now)
    if (execution === undefined) return Bodies.workflowNotFound(route, workflowId, runId)
    const v = view(execution, now)
    if (filterType === "HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT") {
      const close = v.closeMs === null ? [] : [v.events[v.events.length - 1]!]
      return Bodies.ok(route, req, { history: { events: close.length === 0 ? undefined : close.map((e) => eventBody(config.seed, execution, e)) } })
    }
    const page = v.events.slice(from - 1, from - 1 + pageSize(size, DEFAULT_HISTORY_PAGE_SIZE))
    const next = from + page.length
    return Bodies.ok(route, req, {
      history: { events: page.length === 0 ? undefined : page.map((e) => eventBody(config.seed, execution, e)) },
      nextPageToken: next <= v.events.length ? Paging.seal({ r: execution.runId, n: next }) : undefined
    })
  }

  const describeRoute = (req: ApiRequest, workflowId: string, now: number): Reply => {
    const route = "describeWorkflowExecution"
    const runId = Http.param(req.query, "execution.runId") || undefined
    const execution = store.find(workflowId, runId, now)
    if (execution === undefined) return Bodies.workflowNotFound(route, workflowId, runId)
    return Bodies.ok(route, req, describe(config.seed, view(execution, now), namespaceId, now))
  }

  const handle = (req: ApiRequest, now: number): Reply => {
    const route = classify(req.segments)
    if (route === "unknown") return Bodies.noRoute()
    if (req.method !== "GET") return Bodies.methodNotAllowed(route)
    if (config.auth === "required" && !Http.bearerAccepted(req.headers, config.tokens)) return Bodies.unauthenticated(route)
    const s = path(req.segments)
    const namespace = s[1]!
    if (namespace !== config.namespace) {
      return config.auth === "required" ? Bodies.permissionDenied(route) : Bodies.namespaceNotFound(route, namespace)
    }
    switch (route) {
      case "listWorkflowExecutions":
        return list(req, now)
      case "countWorkflowExecutions":
        return count(req, now)
      case "describeWorkflowExecution":
        return describeRoute(req, s[3]!, now)
      default:
        return history(req, s[3]!, now)
    }
  }

  return {
    handle,
    classify,
    tooManyRequests: (route) => Bodies.tooManyRequests(route),
    serverError: (route, status) => Bodies.serverError(route, status)
  }
}
