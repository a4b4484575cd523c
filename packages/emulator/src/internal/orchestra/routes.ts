/**
 * The Orchestra routes: bearer authentication, then workflows, runs (a bare
 * array, newest first, by limit and offset), one run, its steps.
 *
 * @internal
 */
import type { ApiRequest, Provider, Reply } from "../http.js"
import * as Http from "../http.js"
import * as Bodies from "./bodies.js"
import { errorReply, serverError, tooManyRequests } from "./bodies.js"
import type { Config } from "./plan.js"
import { buildPlan, DEFAULT_LIMIT, MAX_LIMIT, runSet, view, workflowIds } from "./plan.js"

/** Stats label of an Orchestra path (segments after `/api/v1/workflow`). */
export const classify = (s: ReadonlyArray<string>): string =>
  s[0] !== "workflows"
    ? "unknown"
    : ["listWorkflows", "getWorkflow", "listRuns", "getRun", "listSteps"][s.length - 1] ?? "unknown"

export const make = (config: Config): Provider => {
  const ids = workflowIds(config.seed)
  const runs = runSet(config)
  const { runBody, stepBody, workflows } = Bodies.make(config)

  const listRuns = (req: ApiRequest, workflow: string, now: number): Reply => {
    const route = "listRuns"
    let limit = DEFAULT_LIMIT
    let offset = 0
    const limitText = Http.param(req.query, "limit")
    if (limitText !== undefined) {
      const n = Http.parseIntStrict(limitText)
      if (n === undefined || n < 1 || n > MAX_LIMIT) return errorReply(route, 400, `limit must be an integer between 1 and ${MAX_LIMIT}`)
      limit = n
    }
    const offsetText = Http.param(req.query, "offset")
    if (offsetText !== undefined) {
      const n = Http.parseIntStrict(offsetText)
      if (n === undefined || n < 0) return errorReply(route, 400, "offset must be a non-negative integer")
      offset = n
    }
    if (workflow !== ids.main) return Http.json(route, 200, [])
    const visible = runs.visibleCount(now)
    const out: Array<unknown> = []
    for (let i = offset; i < offset + limit && i < visible; i++) {
      out.push(runBody(view(buildPlan(config, visible - 1 - i), now)))
    }
    return Http.json(route, 200, out)
  }

  const handle = (req: ApiRequest, now: number): Reply => {
    if (!Http.bearerAccepted(req.headers, config.tokens)) return errorReply("auth", 401, "Invalid or missing API key")
    const s = req.segments
    if (req.method !== "GET" || s[0] !== "workflows" || s.length > 5) return errorReply("unknown", 404, "Not Found")
    if (s.length === 1) return Http.json("listWorkflows", 200, workflows())
    const workflow = s[1]!
    const known = workflow === ids.main || workflow === ids.empty
    if (s.length === 2) {
      if (!known) return errorReply("getWorkflow", 404, "Workflow not found")
      return Http.json("getWorkflow", 200, workflows().find((w) => w.workflow_id === workflow))
    }
    if (s[2] !== "runs" || (s.length === 5 && s[4] !== "steps")) return errorReply("unknown", 404, "Not Found")
    const route = s.length === 3 ? "listRuns" : s.length === 4 ? "getRun" : "listSteps"
    if (!known) return errorReply(route, 404, "Workflow not found")
    if (s.length === 3) return listRuns(req, workflow, now)
    const ordinal = workflow === ids.main ? runs.find(s[3]!, now) : undefined
    if (ordinal === undefined) return errorReply(route, 404, "Run not found")
    const v = view(buildPlan(config, ordinal), now)
    if (s.length === 4) return Http.json(route, 200, [runBody(v)])
    return Http.json(route, 200, v.nodes.map((n) => stepBody(v, n)))
  }

  return { handle, tooManyRequests, serverError, classify }
}
