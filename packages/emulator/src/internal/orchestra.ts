/**
 * Arcee Orchestra, written from seed 003 and docs/providers.md only.
 *
 * A run is a timeline of executed nodes derived from (seed, ordinal); live runs
 * are that timeline cut at virtual now.
 *
 * @internal
 */
import * as Clock from "./clock.js"
import type { ApiRequest, Provider, Reply } from "./http.js"
import * as Http from "./http.js"
import { hash, Rng, Tag } from "./random.js"

export interface Config {
  readonly seed: number
  readonly token: string
  readonly runs: number
  readonly live: number
}

export const DEFAULT_LIMIT = 100
export const MAX_LIMIT = 1000

/** Historic ordinals with a fixed shape (ordinal 0 is the oldest run). */
export const Fixture = {
  seedLike: 0,
  failed: 1,
  multiModel: 2
} as const
export const FIXTURE_COUNT = 3

type NodeKind = "model" | "slack" | "code" | "http" | "email" | "router"

interface NodeSpec {
  readonly nodeId: string
  readonly kind: NodeKind
  readonly start: number
  readonly end: number
  readonly failed: boolean
}

interface Plan {
  readonly ordinal: number
  readonly live: boolean
  readonly id: string
  readonly created: number
  readonly nodes: ReadonlyArray<NodeSpec>
  readonly prompt: string
  readonly failed: boolean
}

const PROMPTS = [
  "Tell me a joke about the weather",
  "Summarize the latest support ticket",
  "Draft a reply to the customer about their refund",
  "Classify this email as urgent or not",
  "Translate the release notes into French"
]
const ANSWERS = [
  "Why was the weather forecast sad?\n\nBecause it had a lot of problems and was feeling a little \"forecast-ticular.\" \n\n(Note: \"Forecast-ticular\" is a play on words, combining \"forecast\" and \"particular.\")",
  "The customer reports that exports stall after 10,000 rows; they need a fix before Friday.",
  "Hi! Your refund was approved and should arrive within 5 business days.",
  "urgent",
  "Notes de version : corrections de bogues et améliorations des performances."
]
const MODELS = ["virtuoso-medium", "virtuoso-large", "caller", "coder"]
const FAILURES = [
  "HTTPError: 502 Server Error: Bad Gateway for url: https://api.example.com/v1/orders",
  "Tool execution failed: SLACK_CHANNEL_NOT_FOUND",
  "Model request timed out after 120 seconds",
  "KeyError: 'customer_email'"
]

const mask = (id: string): string => `${id[0]}${"*".repeat(id.length - 2)}${id[id.length - 1]}`

export const workflowIds = (seed: number) => ({
  main: Rng.at(seed, Tag.orWorkflow, 1).uuid(),
  empty: Rng.at(seed, Tag.orWorkflow, 2).uuid()
})

export const runId = (config: Config, ordinal: number): string => Rng.at(config.seed, Tag.orRun, ordinal).uuid()

export const createdAt = (config: Config, ordinal: number): number => {
  if (ordinal >= config.runs) return Clock.EPOCH_MS - 15_000 + (ordinal - config.runs) * 40_000
  const jitter = hash(config.seed, Tag.orRun, ordinal, 1) % 300_000
  return Clock.EPOCH_MS - 3_600_000 - (config.runs - 1 - ordinal) * 600_000 + jitter
}

const TEMPLATES: ReadonlyArray<ReadonlyArray<[string, NodeKind]>> = [
  [["model", "model"], ["slack_integration", "slack"]],
  [["input_parser", "code"], ["model", "model"], ["email_integration", "email"]],
  [["fetch_ticket", "http"], ["model", "model"], ["router", "router"], ["slack_integration", "slack"]],
  [["model", "model"], ["model_2", "model"], ["code", "code"]],
  [["fetch_ticket", "http"], ["input_parser", "code"], ["model", "model"], ["model_2", "model"], ["email_integration", "email"]]
]

const buildPlan = (config: Config, ordinal: number): Plan => {
  const live = ordinal >= config.runs
  const rng = Rng.at(config.seed, Tag.orRun, ordinal, 2)
  const created = createdAt(config, ordinal)
  let template: ReadonlyArray<[string, NodeKind]>
  let failAt = -1
  if (live) template = [["model", "model"], ["input_parser", "code"], ["fetch_ticket", "http"], ["slack_integration", "slack"]]
  else if (ordinal === Fixture.seedLike) template = TEMPLATES[0]!
  else if (ordinal === Fixture.failed) {
    template = [["input_parser", "code"], ["model", "model"], ["fetch_ticket", "http"], ["slack_integration", "slack"]]
    failAt = 2
  } else if (ordinal === Fixture.multiModel) template = [["model", "model"], ["model_2", "model"], ["model_3", "model"], ["email_integration", "email"]]
  else {
    template = rng.pick(TEMPLATES)
    if (rng.chance(0.12)) failAt = rng.int(0, template.length - 1)
  }
  const nodes: Array<NodeSpec> = []
  let t = created + (live ? 1_000 : rng.int(20, 400))
  for (let i = 0; i < template.length; i++) {
    const [nodeId, kind] = template[i]!
    const d = live ? rng.int(4_000, 8_000) : rng.int(300, 8_000)
    nodes.push({ nodeId, kind, start: t, end: t + d, failed: i === failAt })
    t += d + (live ? 100 : rng.int(5, 40))
    if (i === failAt) break
  }
  return {
    ordinal,
    live,
    id: runId(config, ordinal),
    created,
    nodes,
    prompt: ordinal === Fixture.seedLike && !live ? PROMPTS[0]! : rng.pick(PROMPTS),
    failed: failAt >= 0
  }
}

interface View {
  readonly plan: Plan
  readonly nodes: ReadonlyArray<{ readonly node: NodeSpec; readonly running: boolean }>
  readonly status: "completed" | "failed" | "running"
  readonly end: number | null
}

const view = (plan: Plan, now: number): View => {
  const cut = plan.live ? now : Infinity
  const nodes: Array<{ node: NodeSpec; running: boolean }> = []
  for (const node of plan.nodes) {
    if (node.start > cut) break
    nodes.push({ node, running: node.end > cut })
  }
  const done = nodes.length === plan.nodes.length && !nodes.some((n) => n.running)
  const last = plan.nodes[plan.nodes.length - 1]!
  return {
    plan,
    nodes,
    status: !done ? "running" : plan.failed ? "failed" : "completed",
    end: done ? last.end : null
  }
}

const micro = (ms: number): number => hash(ms) % 1000
const ts = (ms: number): string => Clock.isoMicros(ms, micro(ms))
const elapsed = (start: number, end: number): number => Math.floor((end - start) / 1000)

const answerOf = (plan: Plan, nodeId: string): string => {
  const i = plan.prompt === PROMPTS[0] ? 0 : (PROMPTS.indexOf(plan.prompt) + nodeId.length) % ANSWERS.length
  return ANSWERS[i]!
}

const outputsOf = (config: Config, plan: Plan, node: NodeSpec): unknown => {
  const rng = Rng.at(config.seed, Tag.orStep, plan.ordinal, plan.nodes.indexOf(node))
  switch (node.kind) {
    case "model": {
      const prompt = rng.int(20, 400)
      const completion = rng.int(10, 600)
      return {
        id: `chatcmpl-${rng.hex(32)}`,
        object: "chat.completion",
        created: Math.floor(node.end / 1000),
        model: rng.pick(MODELS),
        choices: [{
          index: 0,
          message: { role: "assistant", reasoning_content: null, content: answerOf(plan, node.nodeId), tool_calls: [] },
          logprobs: null,
          finish_reason: "stop",
          stop_reason: null
        }],
        usage: { prompt_tokens: prompt, total_tokens: prompt + completion, completion_tokens: completion, prompt_tokens_details: null },
        prompt_logprobs: null,
        confidence_info: {
          error: "No logprobs available - model/provider may not support confidence calculation",
          confidence_score: null,
          mean_entropy: null,
          total_entropy: null
        }
      }
    }
    case "slack":
      return {
        result: {
          data: {
            ok: true,
            channel: `C0${rng.hex(9).toUpperCase()}`,
            ts: `${Math.floor(node.end / 1000)}.${rng.digits(6)}`,
            warning: "missing_charset",
            response_metadata: { warnings: ["missing_charset"] }
          },
          error: null,
          successfull: true,
          successful: true
        }
      }
    case "email":
      return { result: { data: { id: `msg_${rng.hex(16)}`, status: "sent" }, error: null, successfull: true, successful: true } }
    case "http":
      return { status_code: 200, headers: { "content-type": "application/json" }, body: { ticket_id: rng.int(1000, 99999), priority: rng.pick(["low", "high"]) } }
    case "code":
      return { result: { parsed: true, fields: rng.int(1, 12), hash: rng.hex(16) }, stdout: "", stderr: "" }
    case "router":
      return { route: rng.pick(["urgent", "normal"]), matched: true }
  }
}

const inputsOf = (config: Config, plan: Plan, node: NodeSpec): unknown => {
  const inputData = { prompt: plan.prompt }
  switch (node.kind) {
    case "model":
      return {
        model: "virtuoso-medium",
        stream: false,
        max_tokens: 8192,
        temperature: 0.7,
        top_p: 1,
        top_k: 50,
        repetition_penalty: 0,
        messages: [{ role: "user", content: plan.prompt }],
        run_id: plan.id,
        input_data: inputData
      }
    case "slack":
    case "email": {
      const rng = Rng.at(config.seed, Tag.orStep, plan.ordinal, 99)
      const text = answerOf(plan, "model")
      return {
        app_name: node.kind === "slack" ? "slack" : "gmail",
        action: node.kind === "slack" ? "SLACK_SHARE_A_ME_MESSAGE_IN_A_CHANNEL" : "GMAIL_SEND_EMAIL",
        entity_id: mask(`a${rng.hex(10)}m`),
        workspace_type: "local",
        input_mapping: node.kind === "slack" ? { channel: "orchestra-demo", text } : { to: "ops@example.com", body: text },
        tool_config: { tool_type: node.kind === "slack" ? "slack" : "gmail" },
        run_id: plan.id,
        input_data: { ...inputData, model: text }
      }
    }
    default:
      return { run_id: plan.id, input_data: inputData }
  }
}

export const errorReply = (route: string, status: number, detail: string, headers?: Record<string, string>): Reply =>
  Http.json(route, status, { detail }, headers)

const tooManyRequests = (route: string, retryAfter: number): Reply =>
  errorReply(route, 429, "Too Many Requests", { "retry-after": String(retryAfter) })

const serverError = (route: string, status: number): Reply =>
  errorReply(route, status, status === 500 ? "Internal Server Error" : status === 502 ? "Bad Gateway" : "Service Unavailable")

export const make = (config: Config): Provider => {
  const ids = workflowIds(config.seed)
  const userRng = Rng.at(config.seed, Tag.orWorkflow, 3)
  const userId = mask(`2${userRng.digits(17)}1`)
  const orgId = mask(`2${userRng.digits(17)}7`)
  const total = config.runs + config.live
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
    const o = index.get(id)
    return o === undefined || o >= visibleCount(now) ? undefined : o
  }

  const runBody = (v: View) => {
    const last = v.nodes[v.nodes.length - 1]
    const failedNode = v.nodes.find((n) => n.node.failed && !n.running)
    return {
      id: v.plan.id,
      status: v.status,
      start_time: ts(v.nodes[0]?.node.start ?? v.plan.created),
      end_time: v.end === null ? null : ts(v.end),
      elapsed_time: v.end === null ? null : elapsed(v.plan.nodes[0]!.start, v.end),
      error: failedNode === undefined ? null : `Node ${failedNode.node.nodeId} failed: ${FAILURES[v.plan.ordinal % FAILURES.length]}`,
      outputs: v.status === "completed" && last !== undefined
        ? { [last.node.nodeId]: last.node.kind === "model" ? answerOf(v.plan, last.node.nodeId) : "ok" }
        : null,
      inputs: { prompt: v.plan.prompt }
    }
  }

  const stepBody = (v: View, n: { readonly node: NodeSpec; readonly running: boolean }) => {
    const node = n.node
    const status = n.running ? "running" : node.failed ? "failed" : "completed"
    return {
      id: Rng.at(config.seed, Tag.orStep, v.plan.ordinal, v.plan.nodes.indexOf(node), 7).uuid(),
      user_id: userId,
      organization_id: orgId,
      node_id: node.nodeId,
      status,
      start_time: ts(node.start),
      end_time: n.running ? null : ts(node.end),
      elapsed_time: n.running ? null : elapsed(node.start, node.end),
      error: status === "failed" ? FAILURES[v.plan.ordinal % FAILURES.length]! : null,
      outputs: status === "completed" ? outputsOf(config, v.plan, node) : null,
      inputs: inputsOf(config, v.plan, node),
      step_metadata: null,
      tokens: 0
    }
  }

  const workflows = () => [
    {
      workflow_id: ids.main,
      name: "support-triage",
      description: "Reads a prompt, answers with a model node and posts the answer to Slack.",
      created_at: ts(Clock.EPOCH_MS - 60 * 86_400_000),
      updated_at: ts(Clock.EPOCH_MS - 10 * 86_400_000)
    },
    {
      workflow_id: ids.empty,
      name: "weekly-digest",
      description: "Never run yet.",
      created_at: ts(Clock.EPOCH_MS - 30 * 86_400_000),
      updated_at: ts(Clock.EPOCH_MS - 30 * 86_400_000)
    }
  ]

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
    const visible = visibleCount(now)
    const out: Array<unknown> = []
    for (let i = offset; i < offset + limit && i < visible; i++) {
      out.push(runBody(view(buildPlan(config, visible - 1 - i), now)))
    }
    return Http.json(route, 200, out)
  }

  const handle = (req: ApiRequest, now: number): Reply => {
    if (Http.bearer(req.headers) !== config.token) return errorReply("auth", 401, "Invalid or missing API key")
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
    const ordinal = workflow === ids.main ? findRun(s[3]!, now) : undefined
    if (ordinal === undefined) return errorReply(route, 404, "Run not found")
    const v = view(buildPlan(config, ordinal), now)
    if (s.length === 4) return Http.json(route, 200, [runBody(v)])
    return Http.json(route, 200, v.nodes.map((n) => stepBody(v, n)))
  }

  return { handle, tooManyRequests, serverError, classify }
}

/** Stats label of an Orchestra path (segments after `/api/v1/workflow`). */
export const classify = (s: ReadonlyArray<string>): string =>
  s[0] !== "workflows"
    ? "unknown"
    : ["listWorkflows", "getWorkflow", "listRuns", "getRun", "listSteps"][s.length - 1] ?? "unknown"


/** Facts about one run's plan, for `Emulator.fixtures`. */
export const planFacts = (config: Config, ordinal: number) => {
  const plan = buildPlan(config, ordinal)
  return {
    id: plan.id,
    createdAt: plan.created,
    settledAt: plan.nodes[plan.nodes.length - 1]!.end,
    nodes: plan.nodes.map((n) => n.nodeId),
    failedNode: plan.nodes.find((n) => n.failed)?.nodeId ?? null
  }
}
