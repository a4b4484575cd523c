/**
 * Cloudflare Workflows, written from seeds 000-002 and docs/providers.md only.
 *
 * Every instance is a pure function of (seed, ordinal, options): its "plan" is
 * a timeline of log entries as if the workflow ran to its end, and the answer
 * at virtual time `t` is that timeline cut at `t` (historic fixtures are cut at
 * a fixed instant to freeze them running, waiting, paused...). Step values are
 * generated only when a body needs them.
 *
 * @internal
 */
import * as Clock from "./clock.js"
import type { ApiRequest, Provider as HttpProvider, Reply } from "./http.js"
import * as Http from "./http.js"
import { hash, Rng, Tag } from "./random.js"

export type StepBody = "envelope" | "flat" | "mixed"

export interface Config {
  readonly seed: number
  readonly token: string
  readonly instances: number
  readonly steps: number | undefined
  readonly outputBytes: number
  readonly live: number
  readonly stepBody: StepBody
}

export const MAIN_WORKFLOW = "order-pipeline"
export const EMPTY_WORKFLOW = "empty-pipeline"
export const DEFAULT_PER_PAGE = 50
/** Logged outputs are cut here, like Cloudflare's local engine. */
export const PREVIEW_LIMIT = 1024
export const TRUNCATION_MARKER = "[truncated output]"
export const REDACTED = "[REDACTED]"

export const INSTANCE_STATUSES = [
  "queued",
  "running",
  "paused",
  "errored",
  "terminated",
  "complete",
  "waitingForPause",
  "waiting"
] as const
export type InstanceStatus = (typeof INSTANCE_STATUSES)[number]
/** Accepted by the `status` filter (providers.md lists it) though no instance is ever in it. */
const FILTER_STATUSES: ReadonlyArray<string> = [...INSTANCE_STATUSES, "rollingBack"]

/** Historic ordinals with a fixed special shape; every ordinal from `FIXTURE_COUNT` on is random. */
export const Fixture = {
  showcase: 0,
  errored: 1,
  terminated: 2,
  running: 3,
  retrying: 4,
  waitingForEvent: 5,
  waitTimeout: 6,
  queued: 7,
  paused: 8,
  waitingForPause: 9,
  sleeping: 10
} as const
export type FixtureName = keyof typeof Fixture
export const FIXTURE_COUNT = 11
const FIXTURE_BY_ORDINAL = Object.keys(Fixture) as Array<FixtureName>

const FIXTURE_STATUS: Record<FixtureName, InstanceStatus> = {
  showcase: "complete",
  errored: "errored",
  terminated: "terminated",
  running: "running",
  retrying: "running",
  waitingForEvent: "waiting",
  waitTimeout: "errored",
  queued: "queued",
  paused: "paused",
  waitingForPause: "waitingForPause",
  sleeping: "waiting"
}

/** The showcase instance's notable step names (valid when `steps` is unset or >= 14). */
export const ShowcaseSteps = {
  counterFirst: "load-1",
  truncated: "load-2",
  retried: "charge-card-1",
  sleep: "cooldown-1",
  sharedNameStep: "approval-1",
  waitForEvent: "approval-1",
  binary: "export-report-1",
  sensitive: "fetch-secrets-1",
  numberDelay: "compute-totals-1",
  dynamicDelay: "score-risk-1",
  nullOutput: "notify-1",
  counterThird: "load-3",
  numberOutput: "finalize-1"
} as const

// ---------------------------------------------------------------------------
// plans
// ---------------------------------------------------------------------------

type Kind = "step" | "rollback" | "sleep" | "waitForEvent" | "termination"

interface ErrorBody {
  readonly message: string
  readonly name: string
}

interface RetryConfig {
  readonly retries: { readonly delay: string | number; readonly limit: number; readonly backoff?: string }
  readonly timeout: string | number
  readonly sensitive?: "output"
}

type Value =
  | { readonly t: "null" }
  | { readonly t: "json"; readonly chars: number }
  | { readonly t: "number" }
  | { readonly t: "binary"; readonly bytes: number }

type Op =
  | {
    readonly op: "step"
    readonly base: string
    readonly value: Value
    readonly config: RetryConfig
    readonly failures: number
    readonly exhausted?: boolean
    readonly rollback?: boolean
  }
  | { readonly op: "sleep"; readonly base: string; readonly ms: number }
  | {
    readonly op: "wait"
    readonly base: string
    readonly eventType: string
    readonly ms: number
    readonly timeout?: boolean
  }

interface Attempt {
  readonly start: number
  readonly end: number | null
  readonly success: boolean | null
  readonly error: ErrorBody | null
}

interface Entry {
  readonly kind: Kind
  readonly index: number
  readonly name: string
  readonly start: number
  readonly end: number
  readonly attempts: ReadonlyArray<Attempt>
  readonly success: boolean
  readonly error: ErrorBody | null
  readonly config: RetryConfig | null
  readonly value: Value
  readonly eventType?: string
}

interface Plan {
  readonly ordinal: number
  readonly live: boolean
  readonly id: string
  readonly created: number
  readonly start: number
  readonly entries: ReadonlyArray<Entry>
  readonly final: "complete" | "errored" | "terminated"
  readonly termination: string | null
  /** Historic instances frozen mid-run are cut here; others at +Infinity (or virtual now when live). */
  readonly cut: number
  readonly override: "paused" | "waitingForPause" | null
}

const STEP_NAMES = [
  "fetch-order",
  "validate-order",
  "reserve-stock",
  "load",
  "transform",
  "persist",
  "notify-customer",
  "ship",
  "audit",
  "enrich"
]
const ERROR_NAMES = ["Error", "TypeError", "NetworkError", "WorkflowStepError"]
const WORDS = ["alpha", "bravo", "cargo", "delta", "echo", "fox", "gamma", "harbor", "index", "jade", "kilo", "lima"]

const cfg = (
  delay: string | number,
  limit: number,
  backoff: string | undefined,
  timeout: string | number,
  sensitive = false
): RetryConfig => ({
  retries: backoff === undefined ? { delay, limit } : { delay, limit, backoff },
  timeout,
  ...(sensitive ? { sensitive: "output" as const } : {})
})

const DEFAULT_CONFIG = cfg("10 seconds", 5, "exponential", "10 minutes")

const delayMs = (delay: string | number): number => {
  if (typeof delay === "number") return delay
  const match = /^(\d+) (second|minute)s?$/.exec(delay)
  if (match === null) return 3_000
  return Number(match[1]) * (match[2] === "minute" ? 60_000 : 1_000)
}

const retryDelay = (config: RetryConfig, attempt: number): number => {
  const base = delayMs(config.retries.delay)
  switch (config.retries.backoff) {
    case "linear":
      return base * (attempt + 1)
    case "exponential":
      return base * 2 ** attempt
    default:
      return base
  }
}

const CONFIGS = [
  cfg(1000, 3, "constant", 30_000),
  cfg("5 seconds", 10, "linear", "1 minute"),
  cfg("[dynamic]", 2, undefined, "30 seconds")
]
const LIVE_CONFIG = cfg("2 seconds", 3, "constant", "1 minute")

const randomConfig = (rng: Rng): RetryConfig => {
  const r = rng.next()
  return r < 0.5 ? DEFAULT_CONFIG : r < 0.7 ? CONFIGS[0]! : r < 0.85 ? CONFIGS[1]! : CONFIGS[2]!
}

const randomValue = (rng: Rng, outputBytes: number): Value => {
  const r = rng.next()
  if (r < 0.05) return { t: "null" }
  if (r < 0.1) return { t: "number" }
  if (r < 0.3) return { t: "json", chars: Math.round(outputBytes * (0.8 + rng.next() * 0.4)) }
  return { t: "json", chars: rng.int(40, 400) }
}

const regularOp = (rng: Rng, config: Config, live: boolean): Op => {
  const r = rng.next()
  if (r < 0.08) return { op: "sleep", base: rng.pick(["cooldown", "backoff", "settle"]), ms: live ? 5_000 : rng.int(1, 60) * 1000 }
  if (r < 0.12) {
    return { op: "wait", base: "approval", eventType: "approval.granted", ms: live ? 6_000 : rng.int(5, 120) * 1000 }
  }
  const failures = rng.chance(0.1) ? rng.int(1, 2) : 0
  return {
    op: "step",
    base: rng.pick(STEP_NAMES),
    value: randomValue(rng, config.outputBytes),
    config: live ? LIVE_CONFIG : randomConfig(rng),
    failures
  }
}

const showcaseOps = (config: Config): Array<Op> => [
  { op: "step", base: "load", value: { t: "json", chars: 180 }, config: DEFAULT_CONFIG, failures: 0 },
  {
    op: "step",
    base: "load",
    value: { t: "json", chars: Math.max(config.outputBytes, 3 * PREVIEW_LIMIT) },
    config: DEFAULT_CONFIG,
    failures: 0
  },
  {
    op: "step",
    base: "charge-card",
    value: { t: "json", chars: 120 },
    config: cfg("10 seconds", 5, "exponential", "10 minutes"),
    failures: 2
  },
  { op: "sleep", base: "cooldown", ms: 30_000 },
  { op: "step", base: "approval", value: { t: "json", chars: 90 }, config: DEFAULT_CONFIG, failures: 0 },
  { op: "wait", base: "approval", eventType: "approval.granted", ms: 90_000 },
  { op: "step", base: "export-report", value: { t: "binary", bytes: 2048 }, config: DEFAULT_CONFIG, failures: 0 },
  {
    op: "step",
    base: "fetch-secrets",
    value: { t: "json", chars: 120 },
    config: cfg(1000, 3, "constant", 30_000, true),
    failures: 0
  },
  { op: "step", base: "compute-totals", value: { t: "json", chars: 200 }, config: cfg(5000, 3, "linear", 60_000), failures: 0 },
  { op: "step", base: "score-risk", value: { t: "json", chars: 150 }, config: cfg("[dynamic]", 2, undefined, "30 seconds"), failures: 0 },
  { op: "step", base: "notify", value: { t: "null" }, config: DEFAULT_CONFIG, failures: 0 },
  { op: "step", base: "load", value: { t: "json", chars: config.outputBytes }, config: DEFAULT_CONFIG, failures: 0 },
  { op: "step", base: "finalize", value: { t: "number" }, config: DEFAULT_CONFIG, failures: 0 },
  { op: "step", base: "archive", value: { t: "json", chars: 60 }, config: DEFAULT_CONFIG, failures: 0 }
]

/** What a frozen fixture ends with, placed after the regular prefix. */
const tailOps = (name: FixtureName | null): Array<Op> => {
  switch (name) {
    case "errored":
      return [
        {
          op: "step",
          base: "charge-card",
          value: { t: "null" },
          config: cfg("2 seconds", 3, "constant", "1 minute"),
          failures: 4,
          exhausted: true
        },
        { op: "step", base: "release-stock", value: { t: "json", chars: 60 }, config: DEFAULT_CONFIG, failures: 0, rollback: true },
        { op: "step", base: "refund-payment", value: { t: "json", chars: 60 }, config: DEFAULT_CONFIG, failures: 0, rollback: true }
      ]
    case "running":
    case "waitingForPause":
      return [{ op: "step", base: "render-invoice", value: { t: "json", chars: 100 }, config: DEFAULT_CONFIG, failures: 0 }]
    case "retrying":
      return [{
        op: "step",
        base: "call-carrier-api",
        value: { t: "json", chars: 100 },
        config: cfg("1 minute", 5, "constant", "30 seconds"),
        failures: 2
      }]
    case "waitingForEvent":
      return [{ op: "wait", base: "approval", eventType: "human.review", ms: 3_600_000 }]
    case "waitTimeout":
      return [{ op: "wait", base: "approval", eventType: "human.review", ms: 3_600_000, timeout: true }]
    case "sleeping":
      return [{ op: "sleep", base: "cooldown", ms: 3_600_000 }]
    default:
      return []
  }
}

const SPACING_MS = 45_000
const HISTORY_GAP_MS = 3_600_000

export const createdAt = (config: Config, ordinal: number): number => {
  if (ordinal >= config.instances) {
    return Clock.EPOCH_MS - 20_000 + (ordinal - config.instances) * 50_000
  }
  const jitter = hash(config.seed, Tag.cfInstance, ordinal, 1) % (SPACING_MS / 2)
  return Clock.EPOCH_MS - HISTORY_GAP_MS - (config.instances - 1 - ordinal) * SPACING_MS + jitter
}

export const instanceId = (config: Config, ordinal: number): string => Rng.at(config.seed, Tag.cfInstance, ordinal).uuid()

const fixtureOf = (config: Config, ordinal: number): FixtureName | null =>
  ordinal < FIXTURE_COUNT && ordinal < config.instances ? FIXTURE_BY_ORDINAL[ordinal]! : null

/** The settled status of a historic instance, computed without building its plan. */
const historicStatus = (config: Config, ordinal: number): InstanceStatus => {
  const fixture = fixtureOf(config, ordinal)
  if (fixture !== null) return FIXTURE_STATUS[fixture]
  const r = hash(config.seed, Tag.cfInstance, ordinal, 2) / 4294967296
  return r < 0.86 ? "complete" : r < 0.94 ? "errored" : "terminated"
}

const buildPlan = (config: Config, ordinal: number): Plan => {
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

// ---------------------------------------------------------------------------
// evaluation at a virtual instant
// ---------------------------------------------------------------------------

interface ViewEntry {
  readonly entry: Entry
  /** Started but not finished at the cut. */
  readonly inflight: boolean
  readonly attempts: ReadonlyArray<Attempt>
}

interface View {
  readonly plan: Plan
  readonly status: InstanceStatus
  readonly entries: ReadonlyArray<ViewEntry>
  readonly start: number | null
  readonly end: number | null
  readonly modified: number
  readonly terminal: boolean
}

const view = (plan: Plan, now: number): View => {
  const cut = plan.live ? now : plan.cut
  if (cut < plan.start) {
    return { plan, status: "queued", entries: [], start: null, end: null, modified: plan.created, terminal: false }
  }
  const entries: Array<ViewEntry> = []
  let modified = plan.start
  let inflight: ViewEntry | null = null
  for (const entry of plan.entries) {
    if (entry.start > cut) break
    if (entry.end <= cut) {
      entries.push({ entry, inflight: false, attempts: entry.attempts })
      modified = Math.max(modified, entry.end)
      continue
    }
    const attempts: Array<Attempt> = []
    modified = Math.max(modified, entry.start)
    for (const a of entry.attempts) {
      if (a.start > cut) break
      if (a.end! <= cut) {
        attempts.push(a)
        modified = Math.max(modified, a.end!)
      } else {
        attempts.push({ start: a.start, end: null, success: null, error: null })
        modified = Math.max(modified, a.start)
      }
    }
    inflight = { entry, inflight: true, attempts }
    entries.push(inflight)
    break
  }
  const done = inflight === null && entries.length === plan.entries.length
  let status: InstanceStatus
  if (plan.override !== null) status = plan.override
  else if (done) status = plan.final
  else if (inflight !== null && (inflight.entry.kind === "sleep" || inflight.entry.kind === "waitForEvent")) status = "waiting"
  else status = "running"
  const end = done ? (plan.entries.length > 0 ? plan.entries[plan.entries.length - 1]!.end : plan.start) : null
  return { plan, status, entries, start: plan.start, end, modified: end ?? modified, terminal: done }
}

// ---------------------------------------------------------------------------
// values
// ---------------------------------------------------------------------------

const valueSalt = (config: Config, ordinal: number, index: number): number => hash(config.seed, Tag.cfValue, ordinal, index)

const words = (rng: Rng, n: number): string => {
  let out = rng.pick(WORDS)
  for (let i = 1; i < n; i++) out += " " + rng.pick(WORDS)
  return out
}

/**
 * The serialized JSON of a value about `chars` characters long, written as
 * text directly (no object, no stringify: this is the benchmark's hot path).
 * Generation stops early once longer than `stopAt`, which yields exactly a
 * prefix of the full text, enough for a preview.
 */
const jsonText = (salt: number, chars: number, stopAt = Infinity): string => {
  const rng = new Rng(salt)
  let out = `{"ok":true,"batch":"${rng.hex(12)}","items":[`
  let n = 0
  while (out.length < chars - 16) {
    if (out.length > stopAt) return out
    out += `${n > 0 ? "," : ""}{"sku":"SKU-${rng.hex(6)}","qty":${rng.int(1, 12)},"price_cents":${rng.int(99, 99_999)},"note":"${
      words(rng, rng.int(2, 8))
    }"}`
    n++
  }
  return out + `],"count":${n}}`
}

/** The full value as JSON text (`null` for undefined returns and streams). */
const fullText = (value: Value, salt: number, stopAt = Infinity): string => {
  switch (value.t) {
    case "number":
      return String(new Rng(salt).int(1, 100_000))
    case "json":
      return jsonText(salt, value.chars, stopAt)
    default:
      return "null"
  }
}

const binaryBytes = (value: { readonly bytes: number }, salt: number): Buffer => new Rng(salt).bytes(value.bytes)

const truncate = (s: string): string => s.length > PREVIEW_LIMIT ? s.slice(0, PREVIEW_LIMIT) + TRUNCATION_MARKER : s

const isSensitive = (entry: Entry): boolean => entry.config?.sensitive === "output"

const previewOf = (config: Config, plan: Plan, entry: Entry): string | null => {
  if (entry.value.t === "null") return null
  if (isSensitive(entry)) return REDACTED
  if (entry.value.t === "binary") return `[ReadableStream (binary): ${entry.value.bytes} bytes]`
  return truncate(fullText(entry.value, valueSalt(config, plan.ordinal, entry.index), PREVIEW_LIMIT))
}

// ---------------------------------------------------------------------------
// bodies
// ---------------------------------------------------------------------------

const iso = Clock.isoMillis
const isoOrNull = (ms: number | null): string | null => ms === null ? null : iso(ms)

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
const versionIdOf = (config: Config, ordinal: number): string => {
  let ids = versionIds.get(config.seed)
  if (ids === undefined) {
    ids = [0, 1, 2].map((v) => Rng.at(config.seed, Tag.cfWorkflow, 10 + v).uuid())
    versionIds.set(config.seed, ids)
  }
  return ids[hash(config.seed, Tag.cfInstance, ordinal, 5) % 3]!
}

export const workflowId = (seed: number, name: string): string =>
  Rng.at(seed, Tag.cfWorkflow, name === MAIN_WORKFLOW ? 1 : 2).uuid()

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

const instanceBody = (config: Config, v: View, order: "asc" | "desc", simple: boolean) => {
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

interface Summary {
  readonly id: string
  readonly status: InstanceStatus
  readonly created: number
  readonly modified: number
  readonly ended: number | null
}

const summaryOf = (v: View): Summary => ({
  id: v.plan.id,
  status: v.status,
  created: v.plan.created,
  modified: v.modified,
  ended: v.terminal ? v.end : null
})

const listItem = (config: Config, ordinal: number, s: Summary, workflowUuid: string) => ({
  id: s.id,
  status: s.status,
  created_on: iso(s.created),
  modified_on: iso(s.modified),
  ended_on: isoOrNull(s.ended),
  workflow_id: workflowUuid,
  version_id: versionIdOf(config, ordinal)
})

// ---------------------------------------------------------------------------
// handler
// ---------------------------------------------------------------------------

const envelope = (result: unknown, resultInfo?: unknown) =>
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

const tooManyRequests = (route: string, retryAfter: number): Reply =>
  errorReply(route, 429, Codes.rateLimited, "Please wait and consider throttling your request speed", {
    "retry-after": String(retryAfter)
  })

const serverError = (route: string, status: number): Reply =>
  errorReply(route, status, Codes.internal, "Internal server error")

const badRequest = (route: string, message: string) => errorReply(route, 400, Codes.badRequest, message)

export interface Provider extends HttpProvider {
  readonly accountId: string
  /** The plan-derived facts tests and fixtures need, without HTTP. */
  readonly statusAt: (ordinal: number, now: number) => InstanceStatus
}

export const accountIdOf = (seed: number): string => Rng.at(seed, Tag.account).hex(32)

const encodeCursor = (ordinal: number): string => Buffer.from(`o:${ordinal}`).toString("base64url")
const decodeCursor = (cursor: string): number | undefined => {
  const match = /^o:(\d{1,10})$/.exec(Buffer.from(cursor, "base64url").toString("latin1"))
  return match === null ? undefined : Number(match[1])
}

export const make = (config: Config): Provider => {
  const accountId = accountIdOf(config.seed)
  // Plans do not depend on the clock, so a small cache spares rebuilding one
  // for the detail call and each /step call of the same instance.
  const mainWorkflowId = workflowId(config.seed, MAIN_WORKFLOW)
  // Historic instances never change: their list rows are computed once, from
  // a plan that is not kept (a full listing would otherwise churn the cache).
  const summaries: Array<Summary | undefined> = []
  const summaryAt = (ordinal: number, now: number): Summary => {
    if (ordinal >= N) return summaryOf(view(planOf(ordinal), now))
    let s = summaries[ordinal]
    if (s === undefined) {
      s = summaryOf(view(plans.get(ordinal) ?? buildPlan(config, ordinal), now))
      summaries[ordinal] = s
    }
    return s
  }
  const plans = new Map<number, Plan>()
  const planOf = (ordinal: number): Plan => {
    let plan = plans.get(ordinal)
    if (plan === undefined) {
      plan = buildPlan(config, ordinal)
      if (plans.size >= 512) plans.delete(plans.keys().next().value!)
      plans.set(ordinal, plan)
    }
    return plan
  }
  const N = config.instances
  let historic: Uint8Array | null = null
  const historicStatusCached = (ordinal: number): InstanceStatus => {
    if (historic === null) {
      historic = new Uint8Array(N)
      for (let i = 0; i < N; i++) historic[i] = INSTANCE_STATUSES.indexOf(historicStatus(config, i))
    }
    return INSTANCE_STATUSES[historic[ordinal]!]!
  }
  const statusAt = (ordinal: number, now: number): InstanceStatus =>
    ordinal < N ? historicStatusCached(ordinal) : view(planOf(ordinal), now).status
  const visibleCount = (now: number): number => {
    let n = N
    while (n < N + config.live && createdAt(config, n) <= now) n++
    return n
  }
  const findOrdinal = (id: string, now: number): number | undefined => {
    // Ids are random UUIDs, so look them up through a lazily built index.
    if (index === null) {
      index = new Map()
      for (let i = 0; i < N + config.live; i++) index.set(instanceId(config, i), i)
    }
    const ordinal = index.get(id)
    return ordinal === undefined || ordinal >= visibleCount(now) ? undefined : ordinal
  }
  let index: Map<string, number> | null = null

  const authorized = (req: ApiRequest): boolean => {
    const token = Http.bearer(req.headers)
    if (token !== null) return token === config.token
    const email = Http.header(req.headers, "x-auth-email")
    const key = Http.header(req.headers, "x-auth-key")
    return email !== undefined && email.length > 0 && key === config.token
  }

  const listWorkflows = (): Reply => {
    const wf = (name: string, i: number) => ({
      id: workflowId(config.seed, name),
      name,
      class_name: i === 0 ? "OrderPipeline" : "EmptyPipeline",
      script_name: "steptrail-demo-worker",
      created_on: iso(Clock.EPOCH_MS - 40 * 86_400_000),
      modified_on: iso(Clock.EPOCH_MS - 20 * 86_400_000)
    })
    const result = [wf(MAIN_WORKFLOW, 0), wf(EMPTY_WORKFLOW, 1)]
    return Http.json("listWorkflows", 200, envelope(result, { count: 2, per_page: 10, total_count: 2, page: 1, total_pages: 1 }))
  }

  const listInstances = (req: ApiRequest, workflow: string, now: number): Reply => {
    const route = "listInstances"
    const q = req.query
    let perPage = DEFAULT_PER_PAGE
    const perPageText = Http.param(q, "per_page")
    if (perPageText !== undefined) {
      const n = Http.parseIntStrict(perPageText)
      if (n === undefined || n < 1 || n > 100) return badRequest(route, "per_page must be an integer between 1 and 100")
      perPage = n
    }
    let page: number | undefined
    const pageText = Http.param(q, "page")
    if (pageText !== undefined) {
      const n = Http.parseIntStrict(pageText)
      if (n === undefined || n < 1) return badRequest(route, "page must be an integer >= 1")
      page = n
    }
    let after: number | undefined
    const cursorText = Http.param(q, "cursor")
    if (cursorText !== undefined && cursorText !== "") {
      after = decodeCursor(cursorText)
      if (after === undefined) return badRequest(route, "cursor is invalid")
    }
    const status = Http.param(q, "status")
    if (status !== undefined && !FILTER_STATUSES.includes(status)) {
      return badRequest(route, `status must be one of ${FILTER_STATUSES.join(", ")}`)
    }
    const direction = Http.param(q, "direction") ?? "desc"
    if (direction !== "asc" && direction !== "desc") return badRequest(route, "direction must be asc or desc")
    let from = -Infinity
    let to = Infinity
    const startText = Http.param(q, "date_start")
    if (startText !== undefined) {
      const ms = Http.parseIso(startText)
      if (ms === undefined) return badRequest(route, "date_start must be an ISO 8601 date-time")
      from = ms
    }
    const endText = Http.param(q, "date_end")
    if (endText !== undefined) {
      const ms = Http.parseIso(endText)
      if (ms === undefined) return badRequest(route, "date_end must be an ISO 8601 date-time")
      to = ms
    }
    if (workflow !== MAIN_WORKFLOW) {
      const info = page !== undefined
        ? { count: 0, per_page: perPage, total_count: 0, page, total_pages: 0 }
        : { count: 0, per_page: perPage, total_count: 0 }
      return Http.json(route, 200, envelope([], info))
    }

    // Ordinals are in creation order, so the date window is an ordinal range.
    const visible = visibleCount(now)
    const lo = lowerBound(visible, (o) => createdAt(config, o) >= from)
    const hi = lowerBound(visible, (o) => createdAt(config, o) > to) - 1
    const matches = (o: number) => status === undefined || statusAt(o, now) === status
    let total = 0
    if (status === undefined) total = Math.max(0, hi - lo + 1)
    else for (let o = lo; o <= hi; o++) if (matches(o)) total++

    const picked: Array<number> = []
    let more = false
    const step = direction === "asc" ? 1 : -1
    let o = direction === "asc" ? lo : hi
    // A cursor wins over the deprecated page when both are sent.
    const byPage = page !== undefined && after === undefined
    if (after !== undefined) {
      if (direction === "asc") o = Math.max(lo, after + 1)
      else o = Math.min(hi, after - 1)
    }
    let skip = byPage ? (page! - 1) * perPage : 0
    if (skip > 0 && status === undefined) {
      o += step * skip
      skip = 0
    }
    for (; o >= lo && o <= hi; o += step) {
      if (!matches(o)) continue
      if (skip > 0) {
        skip--
        continue
      }
      if (picked.length === perPage) {
        more = true
        break
      }
      picked.push(o)
    }
    const result = picked.map((ord) => listItem(config, ord, summaryAt(ord, now), mainWorkflowId))
    if (byPage) {
      return Http.json(route, 200, envelope(result, {
        count: result.length,
        per_page: perPage,
        total_count: total,
        page,
        total_pages: Math.ceil(total / perPage)
      }))
    }
    const info: Record<string, unknown> = { count: result.length, per_page: perPage, total_count: total }
    if (more) info.cursor = encodeCursor(picked[picked.length - 1]!)
    return Http.json(route, 200, envelope(result, info))
  }

  const getInstance = (req: ApiRequest, ordinal: number, now: number): Reply => {
    const route = "getInstance"
    const order = Http.param(req.query, "order") ?? "asc"
    if (order !== "asc" && order !== "desc") return badRequest(route, "order must be asc or desc")
    const simple = Http.param(req.query, "simple") ?? "false"
    if (simple !== "true" && simple !== "false") return badRequest(route, "simple must be true or false")
    const v = view(planOf(ordinal), now)
    return Http.json(route, 200, envelope(instanceBody(config, v, order, simple === "true")))
  }

  const getStep = (req: ApiRequest, ordinal: number, now: number): Reply => {
    const route = "getStep"
    const name = Http.param(req.query, "name")
    if (name === undefined || name === "") return badRequest(route, "name is required")
    const type = Http.param(req.query, "type")
    if (type !== "step" && type !== "waitForEvent") return badRequest(route, "type must be step or waitForEvent")
    let attempt: number | undefined
    const attemptText = Http.param(req.query, "attempt")
    if (attemptText !== undefined) {
      const n = Http.parseIntStrict(attemptText)
      if (n === undefined || n < 1) return badRequest(route, "attempt must be an integer greater than 0")
      attempt = n
    }
    const v = view(planOf(ordinal), now)
    const found = v.entries.find((e) =>
      e.entry.name === name &&
      (type === "waitForEvent" ? e.entry.kind === "waitForEvent" : e.entry.kind === "step" || e.entry.kind === "rollback")
    )
    if (found === undefined) return errorReply(route, 404, Codes.stepNotFound, `Step not found: ${name} (${type})`)
    const e = found.entry
    const salt = valueSalt(config, ordinal, e.index)
    let status: string
    let error: ErrorBody | null = null
    let complete = false
    if (e.kind === "waitForEvent") {
      if (attempt !== undefined && attempt !== 1) return errorReply(route, 404, Codes.stepNotFound, `Attempt ${attempt} not found`)
      if (found.inflight) status = "waiting"
      else if (e.error !== null) {
        status = "errored"
        error = e.error
      } else {
        status = "complete"
        complete = true
      }
    } else if (attempt !== undefined) {
      const a = found.attempts[attempt - 1]
      if (a === undefined) return errorReply(route, 404, Codes.stepNotFound, `Attempt ${attempt} not found`)
      if (a.end === null) status = "running"
      else if (a.success === true) {
        status = "complete"
        complete = true
      } else {
        status = "errored"
        error = a.error
      }
    } else if (found.inflight) {
      status = "running"
      for (const a of found.attempts) if (a.success === false) error = a.error
    } else if (e.success) {
      status = "complete"
      complete = true
    } else {
      status = "errored"
      error = e.attempts[e.attempts.length - 1]!.error
    }
    let output = "null"
    if (complete) {
      if (isSensitive(e)) output = JSON.stringify(REDACTED)
      else if (e.value.t === "binary") return Http.bytes(route, binaryBytes(e.value, salt))
      else output = fullText(e.value, salt)
    }
    // The output is spliced in as text; it is already serialized JSON.
    const result = `{"error":${JSON.stringify(error)},"status":${JSON.stringify(status)},"output":${output}}`
    const flat = config.stepBody === "flat" || (config.stepBody === "mixed" && hash(config.seed, ordinal, e.index) % 2 === 1)
    return {
      status: 200,
      route,
      headers: { "content-type": "application/json; charset=utf-8" },
      body: flat ? result : `{"errors":[],"messages":[],"result":${result},"success":true}`
    }
  }

  const handle = (req: ApiRequest, now: number): Reply => {
    if (!authorized(req)) return errorReply("auth", 401, Codes.authentication, "Authentication error")
    const s = req.segments
    if (req.method !== "GET" || s[0] !== "accounts" || s.length < 3 || s[2] !== "workflows") {
      return errorReply("unknown", 404, Codes.noRoute, "No route for that URI")
    }
    if (s[1] !== accountId) return errorReply("forbidden", 403, Codes.forbidden, "Unauthorized to access requested resource")
    if (s.length === 3) return listWorkflows()
    const workflow = s[3]!
    if (workflow.length < 1 || workflow.length > 64) return badRequest("workflow", "workflow_name must be 1..64 characters")
    const known = workflow === MAIN_WORKFLOW || workflow === EMPTY_WORKFLOW
    if (s.length === 4) {
      if (!known) return errorReply("getWorkflow", 404, Codes.workflowNotFound, "Workflow not found")
      return listWorkflowsOne(workflow)
    }
    if (s[4] !== "instances" || s.length > 7 || (s.length === 7 && s[6] !== "step")) {
      return errorReply("unknown", 404, Codes.noRoute, "No route for that URI")
    }
    const route = s.length === 5 ? "listInstances" : s.length === 6 ? "getInstance" : "getStep"
    if (!known) return errorReply(route, 404, Codes.workflowNotFound, "Workflow not found")
    if (s.length === 5) return listInstances(req, workflow, now)
    const id = s[5]!
    if (id.length < 1 || id.length > 100) return badRequest(route, "instance_id must be 1..100 characters")
    const ordinal = workflow === MAIN_WORKFLOW ? findOrdinal(id, now) : undefined
    if (ordinal === undefined) return errorReply(route, 404, Codes.instanceNotFound, "Instance not found")
    return s.length === 6 ? getInstance(req, ordinal, now) : getStep(req, ordinal, now)
  }

  const listWorkflowsOne = (name: string): Reply =>
    Http.json("getWorkflow", 200, envelope({
      id: workflowId(config.seed, name),
      name,
      class_name: name === MAIN_WORKFLOW ? "OrderPipeline" : "EmptyPipeline",
      script_name: "steptrail-demo-worker",
      created_on: iso(Clock.EPOCH_MS - 40 * 86_400_000),
      modified_on: iso(Clock.EPOCH_MS - 20 * 86_400_000)
    }))

  return { handle, tooManyRequests, serverError, classify, accountId, statusAt }
}

/** Stats label of a Cloudflare path (segments after `/client/v4`). */
export const classify = (s: ReadonlyArray<string>): string =>
  s[0] !== "accounts" || s[2] !== "workflows"
    ? "unknown"
    : ["listWorkflows", "getWorkflow", "listInstances", "getInstance", "getStep"][s.length - 3] ?? "unknown"


/** First `i` in [0, n) with `pred(i)` true (pred monotone), or n. */
const lowerBound = (n: number, pred: (i: number) => boolean): number => {
  let lo = 0
  let hi = n
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    if (pred(mid)) hi = mid
    else lo = mid + 1
  }
  return lo
}

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
