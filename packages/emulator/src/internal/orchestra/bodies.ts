/**
 * Orchestra response bodies in seed 003's shapes: runs, executed nodes with
 * their inputs and outputs (model completions with `usage`, Slack and e-mail
 * tool results...), workflows, and FastAPI-style `{"detail"}` errors.
 *
 * @internal
 */
import * as Clock from "../clock.js"
import type { Reply } from "../http.js"
import * as Http from "../http.js"
import * as Iso from "../iso.js"
import { hash, Rng, Tag } from "../random.js"
import type { Cut } from "../runs.js"
import type { Config, NodeSpec, Plan, View } from "./plan.js"
import { PROMPTS, workflowIds } from "./plan.js"

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

const micro = (ms: number): number => hash(ms) % 1000
const ts = (ms: number): string => Iso.isoMicros(ms, micro(ms))
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

export const tooManyRequests = (route: string, retryAfter: number): Reply =>
  errorReply(route, 429, "Too Many Requests", { "retry-after": String(retryAfter) })

export const serverError = (route: string, status: number): Reply =>
  errorReply(route, status, status === 500 ? "Internal Server Error" : status === 502 ? "Bad Gateway" : "Service Unavailable")

/** The bodies of one emulator's runs, nodes and workflows. */
export const make = (config: Config) => {
  const ids = workflowIds(config.seed)
  const userRng = Rng.at(config.seed, Tag.orWorkflow, 3)
  const userId = mask(`2${userRng.digits(17)}1`)
  const orgId = mask(`2${userRng.digits(17)}7`)

  const runBody = (v: View) => {
    const last = v.nodes[v.nodes.length - 1]
    const failedNode = v.nodes.find((n) => n.item.failed && !n.running)
    return {
      id: v.plan.id,
      status: v.status,
      start_time: ts(v.nodes[0]?.item.start ?? v.plan.created),
      end_time: v.end === null ? null : ts(v.end),
      elapsed_time: v.end === null ? null : elapsed(v.plan.nodes[0]!.start, v.end),
      error: failedNode === undefined ? null : `Node ${failedNode.item.nodeId} failed: ${FAILURES[v.plan.ordinal % FAILURES.length]}`,
      outputs: v.status === "completed" && last !== undefined
        ? { [last.item.nodeId]: last.item.kind === "model" ? answerOf(v.plan, last.item.nodeId) : "ok" }
        : null,
      inputs: { prompt: v.plan.prompt }
    }
  }

  const stepBody = (v: View, n: Cut<NodeSpec>) => {
    const node = n.item
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

  return { runBody, stepBody, workflows }
}
