/**
 * Onepin response bodies: `{data, meta}` with a request id drawn from a
 * per-emulator counter, runs, node executions (results only on request), and
 * both error shapes (Onepin's `{error, meta}`, FastAPI's 422 for path UUIDs).
 *
 * @internal
 */
import type { Reply } from "../http.js"
import * as Http from "../http.js"
import * as Iso from "../iso.js"
import { Rng, Tag } from "../random.js"
import type { Cut } from "../runs.js"
import type { Config, Exec, Plan, View } from "./plan.js"
import { nodeIdOf, PROCESS, workflowIds } from "./plan.js"

const ts = Iso.isoSeconds

const resultOf = (config: Config, plan: Plan, exec: Exec, index: number): unknown => {
  const rng = Rng.at(config.seed, Tag.opStep, plan.ordinal, index)
  switch (exec.node.type) {
    case "trigger":
      return { payload: { source: rng.pick(["schedule", "webhook", "manual"]), received_at: ts(exec.start) } }
    case "loop":
      return { items: plan.execs.filter((e) => e.node === PROCESS).length }
    case "condition":
      return { value: exec.ports[0] === "true" }
    case "ai":
      return { text: "Batch processed without anomalies.", usage: { input_tokens: rng.int(100, 900), output_tokens: rng.int(20, 200) } }
    case "code":
      return { transformed: rng.int(1, 500), checksum: rng.hex(12) }
    default:
      return { output: "Step executed successfully", recordsProcessed: rng.int(1, 500) }
  }
}

const FAILURE = "Transform failed: unexpected token '<' in JSON at position 0"

/** The bodies of one emulator's Onepin answers; `meta.request_id` counts its answers. */
export const make = (config: Config) => {
  const ids = workflowIds(config.seed)
  let requests = 0
  const meta = (now: number) => ({
    request_id: `req_${Rng.at(config.seed, Tag.requestId, ++requests).uuid()}`,
    timestamp: ts(now)
  })
  const error = (
    route: string,
    status: number,
    code: string,
    message: string,
    now: number,
    headers?: Record<string, string>,
    details?: ReadonlyArray<{ field: string; message: string }>
  ): Reply =>
    Http.json(route, status, { error: details === undefined ? { code, message } : { code, message, details }, meta: meta(now) }, headers)

  const runBody = (v: View) => ({
    id: v.plan.id,
    workflow_id: ids.main,
    status: v.status,
    run_number: v.plan.ordinal + 1,
    total_steps: v.plan.planned,
    finished_steps: v.execs.filter((e) => !e.running).length,
    started_at: v.startedAt === null ? null : ts(v.startedAt),
    completed_at: v.completedAt === null ? null : ts(v.completedAt),
    created_at: ts(v.plan.created)
  })

  const stepBody = (v: View, e: Cut<Exec>, includeResult: boolean) => {
    const exec = e.item
    const i = v.plan.execs.indexOf(exec)
    const status = e.running ? "running" : exec.outcome
    const hasResult = status === "completed"
    const body: Record<string, unknown> = {
      id: Rng.at(config.seed, Tag.opStep, v.plan.ordinal, i, 7).uuid(),
      node_id: nodeIdOf(config.seed, exec.node),
      node_type: exec.node.type,
      status
    }
    if (exec.node.display !== null) body.node_display_name = exec.node.display
    body.iteration = exec.iteration
    body.started_at = ts(exec.start)
    body.completed_at = e.running || status === "cancelled" ? null : ts(exec.end)
    body.result = hasResult && includeResult ? resultOf(config, v.plan, exec, i) : null
    body.has_result = hasResult
    body.active_ports = e.running ? [] : exec.ports
    body.error = status === "failed" ? FAILURE : status === "cancelled" ? "Run cancelled by user" : null
    return body
  }

  const uuidError = (route: string, field: string, input: string): Reply =>
    Http.json(route, 422, {
      detail: [{
        loc: ["path", field],
        msg: `Input should be a valid UUID, invalid character: expected an optional prefix of \`urn:uuid:\` followed by [0-9a-fA-F-], found \`${[...input].find((c) => !/[0-9a-fA-F-]/.test(c)) ?? input[0] ?? ""}\``,
        type: "uuid_parsing",
        input
      }]
    })

  const tooManyRequests = (route: string, retryAfter: number, now: number): Reply =>
    error(route, 429, "rate_limited", "Too many requests", now, { "retry-after": String(retryAfter) })
  const serverError = (route: string, status: number, now: number): Reply =>
    error(route, status, "internal_error", status === 503 ? "Service temporarily unavailable" : "Internal server error", now)

  return { meta, error, runBody, stepBody, uuidError, tooManyRequests, serverError }
}
