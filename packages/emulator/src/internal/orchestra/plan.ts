/**
 * Arcee Orchestra data: a run is a timeline of executed nodes derived from
 * (seed, ordinal), written from seed 003 and the provider documents only;
 * live runs are that timeline cut at the virtual now.
 *
 * @internal
 */
import { Rng, Tag } from "../random.js"
import * as Runs from "../runs.js"

export type Config = Runs.RunsConfig

export const DEFAULT_LIMIT = 100
export const MAX_LIMIT = 1000

/** Historic ordinals with a fixed shape (ordinal 0 is the oldest run). */
export const Fixture = {
  seedLike: 0,
  failed: 1,
  multiModel: 2
} as const

export type NodeKind = "model" | "slack" | "code" | "http" | "email" | "router"

export interface NodeSpec extends Runs.Span {
  readonly nodeId: string
  readonly kind: NodeKind
  readonly failed: boolean
}

export interface Plan extends Runs.PlanBase {
  readonly nodes: ReadonlyArray<NodeSpec>
  readonly prompt: string
  readonly failed: boolean
}

/** Historic runs 10 minutes apart (plus up to 5), live ones 40 s apart from epoch - 15 s. */
const SCHEDULE: Runs.Schedule = {
  tag: Tag.orRun,
  liveOffsetMs: -15_000,
  liveSpacingMs: 40_000,
  spacingMs: 600_000,
  jitterMs: 300_000
}

export const runSet = (config: Config): Runs.RunSet => new Runs.RunSet(config.seed, config.runs, config.live, SCHEDULE)

export const workflowIds = (seed: number) => Runs.workflowIds(seed, Tag.orWorkflow)

export const runId = (config: Config, ordinal: number): string => Runs.runId(config.seed, SCHEDULE.tag, ordinal)

export const PROMPTS = [
  "Tell me a joke about the weather",
  "Summarize the latest support ticket",
  "Draft a reply to the customer about their refund",
  "Classify this email as urgent or not",
  "Translate the release notes into French"
]

const TEMPLATES: ReadonlyArray<ReadonlyArray<[string, NodeKind]>> = [
  [["model", "model"], ["slack_integration", "slack"]],
  [["input_parser", "code"], ["model", "model"], ["email_integration", "email"]],
  [["fetch_ticket", "http"], ["model", "model"], ["router", "router"], ["slack_integration", "slack"]],
  [["model", "model"], ["model_2", "model"], ["code", "code"]],
  [["fetch_ticket", "http"], ["input_parser", "code"], ["model", "model"], ["model_2", "model"], ["email_integration", "email"]]
]

export const buildPlan = (config: Config, ordinal: number): Plan => {
  const live = ordinal >= config.runs
  const rng = Rng.at(config.seed, Tag.orRun, ordinal, 2)
  const created = Runs.createdAt(SCHEDULE, config.seed, config.runs, ordinal)
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

export interface View {
  readonly plan: Plan
  readonly nodes: ReadonlyArray<Runs.Cut<NodeSpec>>
  readonly status: "completed" | "failed" | "running"
  readonly end: number | null
}

export const view = (plan: Plan, now: number): View => {
  const nodes = Runs.cutAt(plan.nodes, Runs.cutFor(plan, now))
  const done = Runs.settled(nodes, plan.nodes)
  return {
    plan,
    nodes,
    status: !done ? "running" : plan.failed ? "failed" : "completed",
    end: done ? plan.nodes[plan.nodes.length - 1]!.end : null
  }
}

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
