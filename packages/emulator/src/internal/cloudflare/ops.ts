/**
 * Cloudflare data generation: the operations an instance runs (steps with
 * their retry configs and values, sleeps, waitForEvents), seeded per instance,
 * plus the fixed sequences of the showcase and the frozen fixtures.
 *
 * @internal
 */
import type { Rng } from "../random.js"
import type { Config, FixtureName, Op, RetryConfig, Value } from "./model.js"
import { PREVIEW_LIMIT } from "./model.js"

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
export const ERROR_NAMES = ["Error", "TypeError", "NetworkError", "WorkflowStepError"]

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

export const retryDelay = (config: RetryConfig, attempt: number): number => {
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

export const regularOp = (rng: Rng, config: Config, live: boolean): Op => {
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

export const showcaseOps = (config: Config): Array<Op> => [
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
export const tailOps = (name: FixtureName | null): Array<Op> => {
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
