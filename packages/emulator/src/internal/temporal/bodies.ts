/**
 * Temporal's HTTP answers: successes written with or without payload
 * shorthand (and indented with `?pretty`), and errors the way Temporal's
 * gateway writes a gRPC status: `{code, message, details}` with the HTTP
 * status of the code, Temporal's error details as `Any` messages, and like
 * every body in proto3 JSON without the fields left at their default (no
 * `details` when there are none).
 *
 * @internal
 */
import type { ApiRequest, Reply } from "../http.js"
import { render } from "./payloads.js"

const JSON_TYPE = { "content-type": "application/json" }

/** A success body, in the form the request asked for (`noPayloadShorthand`, `pretty`). */
export const ok = (route: string, req: ApiRequest, body: unknown): Reply => ({
  status: 200,
  route,
  headers: JSON_TYPE,
  body: JSON.stringify(render(body, !req.query.has("noPayloadShorthand")), null, req.query.has("pretty") ? 2 : undefined)
})

const detail = (type: string, fields: Record<string, unknown>) => ({ "@type": `type.googleapis.com/temporal.api.errordetails.v1.${type}`, ...fields })

/** A gRPC status as the gateway writes it. */
export const status = (route: string, http: number, code: number, message: string, details: ReadonlyArray<unknown> = []): Reply => ({
  status: http,
  route,
  headers: JSON_TYPE,
  body: JSON.stringify(details.length === 0 ? { code, message } : { code, message, details })
})

export const invalidArgument = (route: string, message: string): Reply => status(route, 400, 3, message)

export const unauthenticated = (route: string): Reply => status(route, 401, 16, "Request unauthorized.")

/** The authorizer's refusal: its reason is empty, so the detail has only its type. */
export const permissionDenied = (route: string): Reply => status(route, 403, 7, "Request unauthorized.", [detail("PermissionDeniedFailure", {})])

export const namespaceNotFound = (route: string, namespace: string): Reply =>
  status(route, 404, 5, `Namespace ${namespace} is not found.`, [detail("NamespaceNotFoundFailure", { namespace })])

/** The server's words: the current run of a workflow id, or a run by its id, not found. */
export const workflowNotFound = (route: string, workflowId: string, runId: string | undefined): Reply =>
  status(
    route,
    404,
    5,
    runId === undefined
      ? `workflow not found for ID: ${workflowId}`
      : `workflow execution not found for workflow ID ${JSON.stringify(workflowId)} and run ID ${JSON.stringify(runId)}`,
    [detail("NotFoundFailure", {})]
  )

/** No route: grpc-gateway's own answer. */
export const noRoute = (): Reply => status("unknown", 404, 5, "Not Found")

export const methodNotAllowed = (route: string): Reply => status(route, 501, 12, "Method Not Allowed")

/** RESOURCE_EXHAUSTED. The gateway sends no `Retry-After`: a client has only the code to go by. */
export const tooManyRequests = (route: string): Reply =>
  status(route, 429, 8, "namespace rate limit exceeded", [
    detail("ResourceExhaustedFailure", { cause: "RESOURCE_EXHAUSTED_CAUSE_RPS_LIMIT", scope: "RESOURCE_EXHAUSTED_SCOPE_NAMESPACE" })
  ])

/** INTERNAL for a 500, UNAVAILABLE otherwise. */
export const serverError = (route: string, http: number): Reply =>
  http === 500 ? status(route, 500, 13, "internal error") : status(route, http, 14, "service unavailable")
