/**
 * Onepin, written from seed 004 and docs/providers.md only.
 *
 * A run is a timeline of node executions (loops repeat nodes with a growing
 * `iteration`) derived from (seed, ordinal); live runs are cut at virtual now.
 *
 * @internal
 */
import * as Clock from "./clock.js"
import type { ApiRequest, Provider, Reply } from "./http.js"
import * as Http from "./http.js"
import { hash, hashString, Rng, Tag } from "./random.js"

export interface Config {
  readonly seed: number
  readonly token: string
  readonly runs: number
  readonly live: number
  readonly workspaceId: string
  readonly requiredVersion: string | undefined
}

export const DEFAULT_WORKSPACE_ID = "7d0c5e2a-3b4f-4c61-9a8e-1f2d3c4b5a69"
export const DEFAULT_LIMIT = 20
export const MAX_LIMIT = 100
export const RUN_STATUSES = ["pending", "running", "completed", "failed", "cancelled", "paused"] as const
export const SORT_FIELDS = ["created_at", "started_at", "completed_at", "status"] as const

/** Historic ordinals with a fixed shape (ordinal 0 is the oldest run, run_number 1). */
export const Fixture = {
  iterations: 0,
  failed: 1,
  cancelled: 2
} as const
export const FIXTURE_COUNT = 3

type RunStatus = (typeof RUN_STATUSES)[number]

interface NodeDef {
  readonly key: string
  readonly type: string
  readonly display: string | null
}

interface Exec {
  readonly node: NodeDef
  readonly iteration: number
  readonly start: number
  readonly end: number
  readonly outcome: "completed" | "failed" | "cancelled"
  readonly ports: ReadonlyArray<string>
}

interface Plan {
  readonly ordinal: number
  readonly live: boolean
  readonly id: string
  readonly created: number
  readonly start: number
  readonly execs: ReadonlyArray<Exec>
  /** How many executions the run would have had if it ran to the end. */
  readonly planned: number
  readonly final: "completed" | "failed" | "cancelled"
}

const N = (key: string, type: string, display: string | null): NodeDef => ({ key, type, display })
const TRIGGER = N("trigger", "trigger", null)
const FETCH = N("fetch", "action", "Fetch records")
const LOOP = N("loop", "loop", "For each record")
const PROCESS = N("process", "action", "Process record")
const SAVE = N("save", "action", "Save record")
const CHECK = N("check", "condition", "Any failures?")
const SUMMARIZE = N("summarize", "ai", "Summarize batch")
const NOTIFY = N("notify", "action", "Notify team")
const TRANSFORM = N("transform", "code", "Transform payload")
const WAIT = N("wait", "delay", "Wait for approval")

export const workflowIds = (seed: number) => ({
  main: Rng.at(seed, Tag.opWorkflow, 1).uuid(),
  empty: Rng.at(seed, Tag.opWorkflow, 2).uuid()
})

export const runId = (config: Config, ordinal: number): string => Rng.at(config.seed, Tag.opRun, ordinal).uuid()

export const createdAt = (config: Config, ordinal: number): number => {
  if (ordinal >= config.runs) return Clock.EPOCH_MS - 10_000 + (ordinal - config.runs) * 45_000
  const jitter = hash(config.seed, Tag.opRun, ordinal, 1) % 200_000
  return Clock.EPOCH_MS - 3_600_000 - (config.runs - 1 - ordinal) * 420_000 + jitter
}

const nodeIdOf = (seed: number, node: NodeDef): string => `node-${String(10_000 + (hash(seed, Tag.opWorkflow, hashString(node.key)) % 90_000))}`

const buildPlan = (config: Config, ordinal: number): Plan => {
  const live = ordinal >= config.runs
  const rng = Rng.at(config.seed, Tag.opRun, ordinal, 2)
  const created = createdAt(config, ordinal)
  const start = created + (live ? 3_000 : rng.int(200, 3_000))
  // The node sequence as executed, loops unrolled.
  const seq: Array<[NodeDef, number]> = [[TRIGGER, 1], [FETCH, 1]]
  let final: Plan["final"] = "completed"
  let stopAt = -1
  const loop = (times: number) => {
    seq.push([LOOP, 1])
    for (let i = 1; i <= times; i++) seq.push([PROCESS, i], [SAVE, i])
  }
  if (live) {
    loop(2)
    seq.push([NOTIFY, 1])
  } else if (ordinal === Fixture.iterations) {
    loop(3)
    seq.push([CHECK, 1], [SUMMARIZE, 1], [NOTIFY, 1])
  } else if (ordinal === Fixture.failed) {
    seq.push([TRANSFORM, 1], [NOTIFY, 1])
    final = "failed"
    stopAt = 2
  } else if (ordinal === Fixture.cancelled) {
    seq.push([WAIT, 1], [NOTIFY, 1])
    final = "cancelled"
    stopAt = 2
  } else {
    if (rng.chance(0.3)) loop(rng.int(1, 4))
    const extra = rng.int(0, 3)
    for (let i = 0; i < extra; i++) seq.push([rng.pick([TRANSFORM, SUMMARIZE, CHECK]), 1])
    seq.push([NOTIFY, 1])
    const r = rng.next()
    if (r < 0.08) final = "failed"
    else if (r < 0.12) final = "cancelled"
    if (final !== "completed") stopAt = rng.int(1, seq.length - 1)
  }
  const execs: Array<Exec> = []
  let t = start
  for (let i = 0; i < seq.length; i++) {
    const [node, iteration] = seq[i]!
    const d = live ? rng.int(3, 6) * 1000 : rng.int(1, 20) * 1000
    const outcome = i === stopAt ? final : "completed"
    const ports = outcome !== "completed"
      ? []
      : node.type === "loop"
      ? ["each"]
      : node.type === "condition"
      ? [rng.chance(0.8) ? "false" : "true"]
      : ["output"]
    execs.push({ node, iteration, start: t, end: t + d, outcome, ports })
    t += d
    if (i === stopAt) break
  }
  return { ordinal, live, id: runId(config, ordinal), created, start, execs, planned: seq.length, final }
}

interface View {
  readonly plan: Plan
  readonly status: RunStatus
  readonly execs: ReadonlyArray<{ readonly exec: Exec; readonly running: boolean }>
  readonly startedAt: number | null
  readonly completedAt: number | null
}

const view = (plan: Plan, now: number): View => {
  const cut = plan.live ? now : Infinity
  if (cut < plan.start) return { plan, status: "pending", execs: [], startedAt: null, completedAt: null }
  const execs: Array<{ exec: Exec; running: boolean }> = []
  for (const exec of plan.execs) {
    if (exec.start > cut) break
    execs.push({ exec, running: exec.end > cut })
  }
  const done = execs.length === plan.execs.length && !execs.some((e) => e.running)
  return {
    plan,
    status: done ? plan.final : "running",
    execs,
    startedAt: plan.start,
    completedAt: done ? plan.execs[plan.execs.length - 1]!.end : null
  }
}

const ts = Clock.isoSeconds

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

export const make = (config: Config): Provider => {
  const ids = workflowIds(config.seed)
  const total = config.runs + config.live
  let requests = 0
  const meta = (now: number) => ({
    request_id: `req_${Rng.at(config.seed, Tag.requestId, ++requests).uuid()}`,
    timestamp: ts(now)
  })
  const error = (route: string, status: number, code: string, message: string, now: number, headers?: Record<string, string>, details?: ReadonlyArray<{ field: string; message: string }>): Reply =>
    Http.json(route, status, { error: details === undefined ? { code, message } : { code, message, details }, meta: meta(now) }, headers)

  let index: Map<string, number> | null = null
  const visibleCount = (now: number): number => {
    let n = config.runs
    while (n < total && createdAt(config, n) <= now) n++
    return n
  }
  const findRun = (id: string, now: number): number | undefined => {
    if (index === null) {
      index = new Map()
      for (let i = 0; i < total; i++) index.set(runId(config, i), i)
    }
    const o = index.get(id.toLowerCase())
    return o === undefined || o >= visibleCount(now) ? undefined : o
  }

  interface Summary {
    readonly status: RunStatus
    readonly created: number
    readonly started: number | null
    readonly completed: number | null
  }
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

  const stepBody = (v: View, e: { readonly exec: Exec; readonly running: boolean }, includeResult: boolean) => {
    const exec = e.exec
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

  const parseBool = (text: string): boolean | undefined =>
    ["true", "1", "yes", "on"].includes(text.toLowerCase()) ? true : ["false", "0", "no", "off"].includes(text.toLowerCase()) ? false : undefined

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

    const visible = workflow === ids.main ? visibleCount(now) : 0
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
      .filter((e) => nodeType === undefined || e.exec.node.type === nodeType)
      .filter((e) => nodeId === undefined || nodeIdOf(config.seed, e.exec.node) === nodeId)
      .map((e) => stepBody(v, e, includeResult))
    return Http.json(route, 200, { data, meta: meta(now) })
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

  const handle = (req: ApiRequest, now: number): Reply => {
    if (config.requiredVersion !== undefined) {
      return error("upgradeRequired", 426, "upgrade_required", `This API requires client version ${config.requiredVersion} or newer`, now, {
        "x-onepin-required-version": config.requiredVersion
      })
    }
    if (Http.bearer(req.headers) !== config.token) return error("auth", 401, "unauthorized", "Invalid or missing API key", now)
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
    const ordinal = wf === ids.main ? findRun(s[3]!, now) : undefined
    if (ordinal === undefined) return error(route, 404, "not_found", "Run not found", now)
    const v = view(buildPlan(config, ordinal), now)
    if (s.length === 4) return Http.json(route, 200, { data: runBody(v), meta: meta(now) })
    return listSteps(req, v, now)
  }

  const tooManyRequests = (route: string, retryAfter: number, now: number): Reply =>
    error(route, 429, "rate_limited", "Too many requests", now, { "retry-after": String(retryAfter) })
  const serverError = (route: string, status: number, now: number): Reply =>
    error(route, status, "internal_error", status === 503 ? "Service temporarily unavailable" : "Internal server error", now)

  return { handle, tooManyRequests, serverError, classify }
}

/** Stats label of an Onepin path (segments after `/api/v1`). */
export const classify = (s: ReadonlyArray<string>): string =>
  s[0] !== "workflows" ? "unknown" : s.length === 3 ? "listRuns" : s.length === 4 ? "getRun" : s.length === 5 ? "listSteps" : "unknown"


/** Facts about one run's plan, for `Emulator.fixtures`. */
export const planFacts = (config: Config, ordinal: number) => {
  const plan = buildPlan(config, ordinal)
  return {
    id: plan.id,
    runNumber: ordinal + 1,
    createdAt: plan.created,
    settledAt: plan.execs[plan.execs.length - 1]!.end,
    executions: plan.execs.length,
    maxIteration: Math.max(...plan.execs.map((e) => e.iteration)),
    final: plan.final
  }
}

/** The node id Onepin shows for a node key (`trigger`, `fetch`, `loop`, `process`, ...). */
export const nodeIdFor = (seed: number, key: string): string | undefined => {
  const node = [TRIGGER, FETCH, LOOP, PROCESS, SAVE, CHECK, SUMMARIZE, NOTIFY, TRANSFORM, WAIT].find((n) => n.key === key)
  return node === undefined ? undefined : nodeIdOf(seed, node)
}
