/**
 * Onepin data: a run is a timeline of node executions (loops repeat nodes
 * with a growing `iteration`) derived from (seed, ordinal), written from seed
 * 004 and the provider documents only; live runs are cut at the virtual now.
 *
 * @internal
 */
import { hash, hashString, Rng, Tag } from "../random.js"
import * as Runs from "../runs.js"

export interface Config extends Runs.RunsConfig {
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

export type RunStatus = (typeof RUN_STATUSES)[number]

export interface NodeDef {
  readonly key: string
  readonly type: string
  readonly display: string | null
}

export interface Exec extends Runs.Span {
  readonly node: NodeDef
  readonly iteration: number
  readonly outcome: "completed" | "failed" | "cancelled"
  readonly ports: ReadonlyArray<string>
}

export interface Plan extends Runs.PlanBase {
  readonly start: number
  readonly execs: ReadonlyArray<Exec>
  /** How many executions the run would have had if it ran to the end. */
  readonly planned: number
  readonly final: "completed" | "failed" | "cancelled"
}

/** Historic runs 7 minutes apart (plus up to 200 s), live ones 45 s apart from epoch - 10 s. */
const SCHEDULE: Runs.Schedule = {
  tag: Tag.opRun,
  liveOffsetMs: -10_000,
  liveSpacingMs: 45_000,
  spacingMs: 420_000,
  jitterMs: 200_000
}

export const runSet = (config: Config): Runs.RunSet => new Runs.RunSet(config.seed, config.runs, config.live, SCHEDULE, true)

export const workflowIds = (seed: number) => Runs.workflowIds(seed, Tag.opWorkflow)

export const runId = (config: Config, ordinal: number): string => Runs.runId(config.seed, SCHEDULE.tag, ordinal)

const N = (key: string, type: string, display: string | null): NodeDef => ({ key, type, display })
const TRIGGER = N("trigger", "trigger", null)
const FETCH = N("fetch", "action", "Fetch records")
const LOOP = N("loop", "loop", "For each record")
export const PROCESS = N("process", "action", "Process record")
const SAVE = N("save", "action", "Save record")
const CHECK = N("check", "condition", "Any failures?")
const SUMMARIZE = N("summarize", "ai", "Summarize batch")
const NOTIFY = N("notify", "action", "Notify team")
const TRANSFORM = N("transform", "code", "Transform payload")
const WAIT = N("wait", "delay", "Wait for approval")

export const nodeIdOf = (seed: number, node: NodeDef): string => `node-${String(10_000 + (hash(seed, Tag.opWorkflow, hashString(node.key)) % 90_000))}`

export const buildPlan = (config: Config, ordinal: number): Plan => {
  const live = ordinal >= config.runs
  const rng = Rng.at(config.seed, Tag.opRun, ordinal, 2)
  const created = Runs.createdAt(SCHEDULE, config.seed, config.runs, ordinal)
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

export interface View {
  readonly plan: Plan
  readonly status: RunStatus
  readonly execs: ReadonlyArray<Runs.Cut<Exec>>
  readonly startedAt: number | null
  readonly completedAt: number | null
}

export const view = (plan: Plan, now: number): View => {
  const cut = Runs.cutFor(plan, now)
  if (cut < plan.start) return { plan, status: "pending", execs: [], startedAt: null, completedAt: null }
  const execs = Runs.cutAt(plan.execs, cut)
  const done = Runs.settled(execs, plan.execs)
  return {
    plan,
    status: done ? plan.final : "running",
    execs,
    startedAt: plan.start,
    completedAt: done ? plan.execs[plan.execs.length - 1]!.end : null
  }
}

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
