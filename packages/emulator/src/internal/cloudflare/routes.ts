/**
 * The Cloudflare Workflows routes: authentication (a bearer token, or
 * `X-Auth-Email` plus `X-Auth-Key`), the account check, then workflows,
 * instances, one instance, one step.
 *
 * @internal
 */
import type { ApiRequest, Provider, Reply } from "../http.js"
import * as Http from "../http.js"
import {
  accountIdOf,
  badRequest,
  Codes,
  envelope,
  errorReply,
  instanceBody,
  serverError,
  tooManyRequests,
  workflowBody
} from "./bodies.js"
import { listInstances } from "./listing.js"
import type { Config } from "./model.js"
import { EMPTY_WORKFLOW, MAIN_WORKFLOW } from "./model.js"
import { getStep } from "./step.js"
import { Store } from "./store.js"

/** Stats label of a Cloudflare path (segments after `/client/v4`). */
export const classify = (s: ReadonlyArray<string>): string =>
  s[0] !== "accounts" || s[2] !== "workflows"
    ? "unknown"
    : ["listWorkflows", "getWorkflow", "listInstances", "getInstance", "getStep"][s.length - 3] ?? "unknown"

const authorized = (config: Config, req: ApiRequest): boolean => {
  const token = Http.bearer(req.headers)
  if (token !== null) return config.tokens.has(token)
  const email = Http.header(req.headers, "x-auth-email")
  const key = Http.header(req.headers, "x-auth-key")
  return email !== undefined && email.length > 0 && key !== undefined && config.tokens.has(key)
}

const getInstance = (store: Store, req: ApiRequest, ordinal: number, now: number): Reply => {
  const route = "getInstance"
  const order = Http.param(req.query, "order") ?? "asc"
  if (order !== "asc" && order !== "desc") return badRequest(route, "order must be asc or desc")
  const simple = Http.param(req.query, "simple") ?? "false"
  if (simple !== "true" && simple !== "false") return badRequest(route, "simple must be true or false")
  return Http.json(route, 200, envelope(instanceBody(store.config, store.viewAt(ordinal, now), order, simple === "true")))
}

export const make = (config: Config): Provider => {
  const accountId = accountIdOf(config.seed)
  const store = new Store(config)

  const handle = (req: ApiRequest, now: number): Reply => {
    if (!authorized(config, req)) return errorReply("auth", 401, Codes.authentication, "Authentication error")
    const s = req.segments
    if (req.method !== "GET" || s[0] !== "accounts" || s.length < 3 || s[2] !== "workflows") {
      return errorReply("unknown", 404, Codes.noRoute, "No route for that URI")
    }
    if (s[1] !== accountId) return errorReply("forbidden", 403, Codes.forbidden, "Unauthorized to access requested resource")
    if (s.length === 3) {
      const result = [workflowBody(config.seed, MAIN_WORKFLOW), workflowBody(config.seed, EMPTY_WORKFLOW)]
      return Http.json("listWorkflows", 200, envelope(result, { count: 2, per_page: 10, total_count: 2, page: 1, total_pages: 1 }))
    }
    const workflow = s[3]!
    if (workflow.length < 1 || workflow.length > 64) return badRequest("workflow", "workflow_name must be 1..64 characters")
    const known = workflow === MAIN_WORKFLOW || workflow === EMPTY_WORKFLOW
    if (s.length === 4) {
      if (!known) return errorReply("getWorkflow", 404, Codes.workflowNotFound, "Workflow not found")
      return Http.json("getWorkflow", 200, envelope(workflowBody(config.seed, workflow)))
    }
    if (s[4] !== "instances" || s.length > 7 || (s.length === 7 && s[6] !== "step")) {
      return errorReply("unknown", 404, Codes.noRoute, "No route for that URI")
    }
    const route = s.length === 5 ? "listInstances" : s.length === 6 ? "getInstance" : "getStep"
    if (!known) return errorReply(route, 404, Codes.workflowNotFound, "Workflow not found")
    if (s.length === 5) return listInstances(store, req, workflow, now)
    const id = s[5]!
    if (id.length < 1 || id.length > 100) return badRequest(route, "instance_id must be 1..100 characters")
    const ordinal = workflow === MAIN_WORKFLOW ? store.runs.find(id, now) : undefined
    if (ordinal === undefined) return errorReply(route, 404, Codes.instanceNotFound, "Instance not found")
    return s.length === 6 ? getInstance(store, req, ordinal, now) : getStep(store, req, ordinal, now)
  }

  return { handle, tooManyRequests, serverError, classify }
}
