/**
 * Cloudflare response bodies: the v4 envelope, instance details in seed 002's
 * shape, list items, workflows and the error bodies with their codes.
 *
 * @internal
 */
import * as Clock from "../clock.js"
import type { Reply } from "../http.js"
import * as Http from "../http.js"
import * as Iso from "../iso.js"
import { hash, Rng, Tag } from "../random.js"
import type { Attempt, Config, ErrorBody, InstanceStatus, Plan } from "./model.js"
import { MAIN_WORKFLOW } from "./model.js"
import { previewOf, truncate } from "./previews.js"
import type { View, ViewEntry } from "./view.js"

export const iso = Iso.isoMillis
export const isoOrNull = (ms: number | null): string | null => ms === null ? null : iso(ms)

const attemptBody = (a: Attempt) => ({ end: isoOrNull(a.end), error: a.error, start: iso(a.start), success: a.success })

const entryBody = (config: Config, plan: Plan, v: ViewEntry): unknown => {
  const e = v.entry
  switch (e.kind) {
    case "termination":
      return { trigger: { source: plan.termination ?? "api" }, type: "termination" }
    case "sleep":
      return { end: v.inflight ? null : iso(e.end), error: null, finished: !v.inflight, name: e.name, start: iso(e.start), type: "sleep" }
    case "waitForEvent": {
      const body: Record<string, unknown> = {
        end: v.inflight ? null : iso(e.end),
        error: v.inflight ? null : e.error,
        finished: !v.inflight,
        name: e.name,
        start: iso(e.start),
        type: "waitForEvent",
        event_type: e.eventType
      }
      if (!v.inflight && e.error === null) body.output = previewOf(config, plan, e)
      return body
    }
    default: {
      const complete = !v.inflight && e.success
      return {
        attempts: v.attempts.map(attemptBody),
        config: e.config,
        end: v.inflight ? null : iso(e.end),
        name: e.name,
        output: complete ? previewOf(config, plan, e) : null,
        start: iso(e.start),
        success: v.inflight ? null : e.success,
        type: e.kind
      }
    }
  }
}

const paramsOf = (config: Config, ordinal: number) => {
  const rng = Rng.at(config.seed, Tag.cfInstance, ordinal, 4)
  return { order_id: `ord_${rng.hex(10)}`, customer_id: `cus_${rng.hex(8)}`, amount_cents: rng.int(500, 250_000), express: rng.chance(0.3) }
}

const versionIds = new Map<number, ReadonlyArray<string>>()
export const versionIdOf = (config: Config, ordinal: number): string => {
  let ids = versionIds.get(config.seed)
  if (ids === undefined) {
    ids = [0, 1, 2].map((v) => Rng.at(config.seed, Tag.cfWorkflow, 10 + v).uuid())
    versionIds.set(config.seed, ids)
  }
  return ids[hash(config.seed, Tag.cfInstance, ordinal, 5) % 3]!
}

export const workflowId = (seed: number, name: string): string =>
  Rng.at(seed, Tag.cfWorkflow, name === MAIN_WORKFLOW ? 1 : 2).uuid()

export const accountIdOf = (seed: number): string => Rng.at(seed, Tag.account).hex(32)

/** A workflow as both `GET .../workflows` and `GET .../workflows/{name}` show it. */
export const workflowBody = (seed: number, name: string) => ({
  id: workflowId(seed, name),
  name,
  class_name: name === MAIN_WORKFLOW ? "OrderPipeline" : "EmptyPipeline",
  script_name: "steptrail-demo-worker",
  created_on: iso(Clock.EPOCH_MS - 40 * 86_400_000),
  modified_on: iso(Clock.EPOCH_MS - 20 * 86_400_000)
})

const TRIGGERS = ["api", "api", "binding", "event", "cron", "unknown"]

const instanceOutput = (config: Config, v: View): string | number | null => {
  if (v.status !== "complete") return null
  const rng = Rng.at(config.seed, Tag.cfInstance, v.plan.ordinal, 6)
  if (v.plan.ordinal % 2 === 0) return rng.int(1, 10_000)
  return truncate(JSON.stringify({ status: "shipped", tracking: `TRK${rng.digits(12)}`, steps: v.plan.entries.length }))
}

const instanceError = (v: View): ErrorBody | null => {
  if (v.status !== "errored") return null
  for (let i = v.entries.length - 1; i >= 0; i--) {
    const e = v.entries[i]!.entry
    if (e.kind === "waitForEvent" && e.error !== null) return e.error
    if (e.kind === "step" && !e.success) return e.attempts[e.attempts.length - 1]!.error
  }
  return null
}

const instanceSuccess = (v: View): boolean | null =>
  v.status === "complete" ? true : v.status === "errored" || v.status === "terminated" ? false : null

export const instanceBody = (config: Config, v: View, order: "asc" | "desc", simple: boolean) => {
  const ordered = order === "asc" ? v.entries : [...v.entries].reverse()
  const result: Record<string, unknown> = {
    end: isoOrNull(v.end),
    error: instanceError(v),
    output: instanceOutput(config, v),
    params: paramsOf(config, v.plan.ordinal),
    queued: iso(v.plan.created),
    start: isoOrNull(v.start),
    status: v.status,
    step_count: v.entries.length
  }
  if (!simple) result.steps = ordered.map((e) => entryBody(config, v.plan, e))
  result.success = instanceSuccess(v)
  result.trigger = { source: TRIGGERS[hash(config.seed, Tag.cfInstance, v.plan.ordinal, 7) % TRIGGERS.length] }
  result.versionId = versionIdOf(config, v.plan.ordinal)
  return result
}

export interface Summary {
  readonly id: string
  readonly status: InstanceStatus
  readonly created: number
  readonly modified: number
  readonly ended: number | null
}

export const summaryOf = (v: View): Summary => ({
  id: v.plan.id,
  status: v.status,
  created: v.plan.created,
  modified: v.modified,
  ended: v.terminal ? v.end : null
})

export const listItem = (config: Config, ordinal: number, s: Summary, workflowUuid: string) => ({
  id: s.id,
  status: s.status,
  created_on: iso(s.created),
  modified_on: iso(s.modified),
  ended_on: isoOrNull(s.ended),
  workflow_id: workflowUuid,
  version_id: versionIdOf(config, ordinal)
})

export const envelope = (result: unknown, resultInfo?: unknown) =>
  resultInfo === undefined
    ? { errors: [], messages: [], result, success: true }
    : { errors: [], messages: [], result, success: true, result_info: resultInfo }

export const errorReply = (route: string, status: number, code: number, message: string, headers?: Record<string, string>): Reply =>
  Http.json(route, status, { success: false, errors: [{ code, message }], messages: [], result: null }, headers)

/** Error codes this emulator uses (documented in docs/emulator.md). */
export const Codes = {
  authentication: 10000,
  internal: 10001,
  forbidden: 9109,
  noRoute: 7000,
  badRequest: 10400,
  workflowNotFound: 10200,
  instanceNotFound: 10201,
  stepNotFound: 10202,
  rateLimited: 971
} as const

export const tooManyRequests = (route: string, retryAfter: number): Reply =>
  errorReply(route, 429, Codes.rateLimited, "Please wait and consider throttling your request speed", {
    "retry-after": String(retryAfter)
  })

export const serverError = (route: string, status: number): Reply =>
  errorReply(route, status, Codes.internal, "Internal server error")

export const badRequest = (route: string, message: string) => errorReply(route, 400, Codes.badRequest, message)
