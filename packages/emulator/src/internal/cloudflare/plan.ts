/**
 * A Cloudflare instance's plan: every instance is a pure function of (seed,
 * ordinal, options), a timeline of log entries as if the workflow ran to its
 * end. Historic fixtures carry a fixed cut that freezes them mid-run (running,
 * waiting, paused...); live ones are cut at the virtual now (see `view.ts`).
 *
 * @internal
 */
import { hash, Rng, Tag } from "../random.js"
import * as Runs from "../runs.js"
import type { Attempt, Config, Entry, FixtureName, InstanceStatus, Op, Plan } from "./model.js"
import { FIXTURE_BY_ORDINAL, FIXTURE_COUNT, FIXTURE_STATUS, SCHEDULE } from "./model.js"
import { ERROR_NAMES, regularOp, retryDelay, showcaseOps, tailOps } from "./ops.js"

export const createdAt = (config: Config, ordinal: number): number =>
  Runs.createdAt(SCHEDULE, config.seed, config.instances, ordinal)

export const instanceId = (config: Config, ordinal: number): string => Runs.runId(config.seed, SCHEDULE.tag, ordinal)

const fixtureOf = (config: Config, ordinal: number): FixtureName | null =>
  ordinal < FIXTURE_COUNT && ordinal < config.instances ? FIXTURE_BY_ORDINAL[ordinal]! : null

/** The settled status of a historic instance, computed without building its plan. */
export const historicStatus = (config: Config, ordinal: number): InstanceStatus => {
  const fixture = fixtureOf(config, ordinal)
  if (fixture !== null) return FIXTURE_STATUS[fixture]
  const r = hash(config.seed, Tag.cfInstance, ordinal, 2) / 4294967296
  return r < 0.86 ? "complete" : r < 0.94 ? "errored" : "terminated"
}

export const buildPlan = (config: Config, ordinal: number): Plan => {
  const live = ordinal >= config.instances
  const rng = Rng.at(config.seed, Tag.cfInstance, ordinal, 3)
  const fixture = live ? null : fixtureOf(config, ordinal)
  const status = live ? "complete" : historicStatus(config, ordinal)
  const created = createdAt(config, ordinal)
  const start = created + (live ? 2_000 : rng.int(50, 800))

  let tail: Array<Op>
  if (fixture !== null) tail = tailOps(fixture)
  else if (status === "errored") tail = tailOps("errored").slice(0, 1 + rng.int(0, 2))
  else tail = []
  const terminated = status === "terminated"

  let ops: Array<Op>
  const total = config.steps
  if (fixture === "queued") {
    ops = []
  } else if (total !== undefined) {
    tail = tail.slice(0, Math.max(0, total - (terminated ? 1 : 0)))
    const prefixCount = Math.max(0, total - tail.length - (terminated ? 1 : 0))
    const prefix = fixture === "showcase" ? showcaseOps(config).slice(0, prefixCount) : []
    while (prefix.length < prefixCount) prefix.push(regularOp(rng, config, live))
    ops = [...prefix, ...tail]
  } else if (fixture === "showcase") {
    ops = showcaseOps(config)
  } else {
    const count = live ? 6 : fixture !== null ? rng.int(2, 6) : rng.int(3, 12)
    const prefix: Array<Op> = []
    for (let i = 0; i < count; i++) prefix.push(regularOp(rng, config, live))
    ops = [...prefix, ...tail]
  }

  // Run the ops on a timeline.
  const counters = new Map<string, number>()
  const entries: Array<Entry> = []
  let t = start
  for (const op of ops) {
    t += live ? 250 : rng.int(5, 60)
    const space = op.op === "wait" ? "waitForEvent" : op.op === "sleep" ? "sleep" : "step"
    const key = `${space}\u0000${op.base}`
    const n = (counters.get(key) ?? 0) + 1
    counters.set(key, n)
    const name = `${op.base}-${n}`
    const index = entries.length
    if (op.op === "sleep") {
      entries.push({ kind: "sleep", index, name, start: t, end: t + op.ms, attempts: [], success: true, error: null, config: null, value: { t: "null" } })
      t += op.ms
    } else if (op.op === "wait") {
      const error = op.timeout === true
        ? { message: `Timed out waiting for event "${op.eventType}" after ${op.ms / 60_000} minutes`, name: "WorkflowTimeoutError" }
        : null
      entries.push({
        kind: "waitForEvent",
        index,
        name,
        start: t,
        end: t + op.ms,
        attempts: [],
        success: error === null,
        error,
        config: null,
        value: error === null ? { t: "json", chars: 120 } : { t: "null" },
        eventType: op.eventType
      })
      t += op.ms
    } else {
      const attempts: Array<Attempt> = []
      const first = t
      const failing = op.exhausted === true ? op.config.retries.limit + 1 : op.failures
      const count = op.exhausted === true ? failing : failing + 1
      for (let a = 0; a < count; a++) {
        const d = live ? rng.int(2_000, 6_000) : rng.int(20, 3_000)
        const failed = a < failing
        attempts.push({
          start: t,
          end: t + d,
          success: !failed,
          error: failed ? { message: failureMessage(rng, op.base, a), name: rng.pick(ERROR_NAMES) } : null
        })
        t += d
        if (a < count - 1) t += live ? 2_000 : retryDelay(op.config, a)
      }
      entries.push({
        kind: op.rollback === true ? "rollback" : "step",
        index,
        name,
        start: first,
        end: t,
        attempts,
        success: op.exhausted !== true,
        error: null,
        config: op.config,
        value: op.value
      })
    }
  }

  let cut = Infinity
  let override: Plan["override"] = null
  const last = entries[entries.length - 1]
  switch (fixture) {
    case "running":
    case "waitingForPause": {
      const attempt = last!.attempts[last!.attempts.length - 1]!
      cut = attempt.start + Math.floor((attempt.end! - attempt.start) / 2)
      if (fixture === "waitingForPause") override = "waitingForPause"
      break
    }
    case "retrying": {
      const attempt = last!.attempts[0]!
      cut = attempt.end! + 1_000
      break
    }
    case "waitingForEvent":
    case "sleeping":
      cut = last!.start + Math.floor((last!.end - last!.start) / 2)
      break
    case "paused":
      cut = (last?.end ?? start) + 5_000
      override = "paused"
      break
    case "queued":
      cut = created + 10
      break
  }
  if (terminated) {
    const at = (last?.end ?? start) + 500
    entries.push({ kind: "termination", index: entries.length, name: "", start: at, end: at, attempts: [], success: true, error: null, config: null, value: { t: "null" } })
  }
  const final = terminated ? "terminated" : status === "errored" ? "errored" : "complete"
  return {
    ordinal,
    live,
    id: instanceId(config, ordinal),
    created,
    start,
    entries,
    final,
    termination: terminated ? rng.pick(["api", "api", "binding", "unknown"]) : null,
    cut,
    override
  }
}

const failureMessage = (rng: Rng, base: string, attempt: number): string =>
  rng.pick([
    `upstream returned 503 while running ${base} (attempt ${attempt + 1})`,
    `fetch failed: connection reset by peer`,
    `Payment declined: insufficient funds`,
    `Cannot read properties of undefined (reading 'id')`
  ])

/** Facts about one instance's plan, for `Emulator.fixtures` (no values generated). */
export const planFacts = (config: Config, ordinal: number) => {
  const plan = buildPlan(config, ordinal)
  const named = plan.entries.filter((e) => e.kind !== "termination")
  const last = plan.entries[plan.entries.length - 1]
  return {
    id: plan.id,
    createdAt: plan.created,
    settledAt: last === undefined ? plan.start : last.end,
    lastStep: named.length === 0 ? null : named[named.length - 1]!.name,
    failedStep: named.find((e) => e.kind === "step" && !e.success)?.name ?? null,
    rollbacks: named.filter((e) => e.kind === "rollback").map((e) => e.name)
  }
}
