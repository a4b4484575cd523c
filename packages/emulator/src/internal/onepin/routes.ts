/**
 * The Onepin routes, with its checks in order: required client version (426),
 * bearer token (401), `X-Workspace-Id` (403), path UUIDs (422), query values
 * (422), unknown workflow or run (404); then runs (filtered, sorted, by
 * offset), one run, its steps.
 *
 * @internal
 */
import type { ApiRequest, Provider, Reply } from "../http.js"
import * as Http from "../http.js"
import * as Bodies from "./bodies.js"
import type { Config, RunStatus, View } from "./plan.js"
import { buildPlan, DEFAULT_LIMIT, MAX_LIMIT, nodeIdOf, RUN_STATUSES, runSet, SORT_FIELDS, view, workflowIds } from "./plan.js"

/** Stats label of an Onepin path (segments after `/api/v1`). */
export const classify = (s: ReadonlyArray<string>): string =>
  s[0] !== "workflows" ? "unknown" : s.length === 3 ? "listRuns" : s.length === 4 ? "getRun" : s.length === 5 ? "listSteps" : "unknown"

const parseBool = (text: string): boolean | undefined =>
  ["true", "1", "yes", "on"].includes(text.toLowerCase()) ? true : ["false", "0", "no", "off"].includes(text.toLowerCase()) ? false : undefined

/** The sort keys of a run. */
interface Summary {
  readonly status: RunStatus
  readonly created: number
  readonly started: number | null
  readonly completed: number | null
}

export const make = (config: Config): Provider => {
  const ids = workflowIds(config.seed)
  const runs = runSet(config)
  const { error, meta, runBody, stepBody, uuidError, tooManyRequests, serverError } = Bodies.make(config)

  // Historic runs never change, so their sort keys are computed once.
  const historic: Array<Summary | undefined> = []
  const summary = (ordinal: number, now: number): Summary => {
    const cached = historic[ordinal]
    if (cached !== undefined) return cached
    const v = view(buildPlan(config, ordinal), now)
    const s = { status: v.status, created: v.plan.created, started: v.startedAt, completed: v.completedAt }
    if (ordinal < config.runs) historic[ordinal] = s
    return s
  }

  const listRuns = (req: ApiRequest, workflow: string, now: number): Reply => {
    const route = "listRuns"
    const details: Array<{ field: string; message: string }> = []
    let limit = DEFAULT_LIMIT
    let offset = 0
    const limitText = Http.param(req.query, "limit")
    if (limitText !== undefined) {
      const n = Http.parseIntStrict(limitText)
      if (n === undefined || n < 1 || n > MAX_LIMIT) details.push({ field: "limit", message: `must be an integer between 1 and ${MAX_LIMIT}` })
      else limit = n
    }
    const offsetText = Http.param(req.query, "offset")
    if (offsetText !== undefined) {
      const n = Http.parseIntStrict(offsetText)
      if (n === undefined || n < 0) details.push({ field: "offset", message: "must be a non-negative integer" })
      else offset = n
    }
    let statuses: ReadonlyArray<string> | undefined
    const statusText = Http.param(req.query, "status")
    if (statusText !== undefined && statusText !== "") {
      statuses = statusText.split(",").map((x) => x.trim())
      const bad = statuses.filter((x) => !(RUN_STATUSES as ReadonlyArray<string>).includes(x))
      if (bad.length > 0) details.push({ field: "status", message: `unknown status ${bad.join(", ")}; expected one of ${RUN_STATUSES.join(", ")}` })
    }
    const sort = Http.param(req.query, "sort") ?? "created_at"
    if (!(SORT_FIELDS as ReadonlyArray<string>).includes(sort)) details.push({ field: "sort", message: `must be one of ${SORT_FIELDS.join(", ")}` })
    const order = Http.param(req.query, "order") ?? "desc"
    if (order !== "asc" && order !== "desc") details.push({ field: "order", message: "must be asc or desc" })
    if (details.length > 0) return error(route, 422, "validation_error", "Invalid query parameters", now, undefined, details)

    const visible = workflow === ids.main ? runs.visibleCount(now) : 0
    let ordinals: Array<number> = []
    for (let o = 0; o < visible; o++) {
      if (statuses === undefined || statuses.includes(summary(o, now).status)) ordinals.push(o)
    }
    if (sort !== "created_at") {
      const key = (o: number): number | string | null => {
        const s = summary(o, now)
        return sort === "status" ? s.status : sort === "started_at" ? s.started : s.completed
      }
      // Nulls sort last in both orders; ties keep creation order.
      ordinals = ordinals.sort((a, b) => {
        const ka = key(a)
        const kb = key(b)
        if (ka === kb) return a - b
        if (ka === null) return order === "asc" ? 1 : -1
        if (kb === null) return order === "asc" ? -1 : 1
        return ka < kb ? -1 : 1
      })
    }
    if (order === "desc") ordinals.reverse()
    const page = ordinals.slice(offset, offset + limit)
    const count = ordinals.length
    return Http.json(route, 200, {
      data: page.map((o) => runBody(view(buildPlan(config, o), now))),
      meta: meta(now),
      pagination: {
        next: offset + limit < count ? offset + limit : null,
        prev: offset > 0 ? Math.max(0, offset - limit) : null,
        limit,
        total: count
      }
    })
  }

  const listSteps = (req: ApiRequest, v: View, now: number): Reply => {
    const route = "listSteps"
    let includeResult = false
    const includeText = Http.param(req.query, "include_result")
    if (includeText !== undefined) {
      const b = parseBool(includeText)
      if (b === undefined) {
        return error(route, 422, "validation_error", "Invalid query parameters", now, undefined, [
          { field: "include_result", message: "must be a boolean" }
        ])
      }
      includeResult = b
    }
    const nodeType = Http.param(req.query, "node_type")
    const nodeId = Http.param(req.query, "node_id")
    const data = v.execs
      .filter((e) => nodeType === undefined || e.item.node.type === nodeType)
      .filter((e) => nodeId === undefined || nodeIdOf(config.seed, e.item.node) === nodeId)
      .map((e) => stepBody(v, e, includeResult))
    return Http.json(route, 200, { data, meta: meta(now) })
  }

  const handle = (req: ApiRequest, now: number): Reply => {
    if (config.requiredVersion !== undefined) {
      return error("upgradeRequired", 426, "upgrade_required", `This API requires client version ${config.requiredVersion} or newer`, now, {
        "x-onepin-required-version": config.requiredVersion
      })
    }
    if (!Http.bearerAccepted(req.headers, config.tokens)) return error("auth", 401, "unauthorized", "Invalid or missing API key", now)
    const workspace = Http.header(req.headers, "x-workspace-id")
    if (workspace !== undefined && workspace !== "" && workspace !== config.workspaceId) {
      return error("forbidden", 403, "forbidden", "The API key does not belong to the workspace named by X-Workspace-Id", now)
    }
    const s = req.segments
    if (req.method !== "GET" || s[0] !== "workflows" || s.length < 3 || s[2] !== "runs" || s.length > 5 || (s.length === 5 && s[4] !== "steps")) {
      return error("unknown", 404, "not_found", "Not found", now)
    }
    const route = s.length === 3 ? "listRuns" : s.length === 4 ? "getRun" : "listSteps"
    const workflow = s[1]!
    if (!Http.UUID_RE.test(workflow)) return uuidError(route, "workflow_id", workflow)
    if (s.length > 3 && !Http.UUID_RE.test(s[3]!)) return uuidError(route, "run_id", s[3]!)
    const wf = workflow.toLowerCase()
    if (wf !== ids.main && wf !== ids.empty) return error(route, 404, "not_found", "Workflow not found", now)
    if (s.length === 3) return listRuns(req, wf, now)
    const ordinal = wf === ids.main ? runs.find(s[3]!, now) : undefined
    if (ordinal === undefined) return error(route, 404, "not_found", "Run not found", now)
    const v = view(buildPlan(config, ordinal), now)
    if (s.length === 4) return Http.json(route, 200, { data: runBody(v), meta: meta(now) })
    return listSteps(req, v, now)
  }

  return { handle, tooManyRequests, serverError, classify }
}
