/**
 * Cloudflare Workflows: options, constants, fixtures and the shapes of a plan
 * (an instance's timeline of log entries as if it ran to its end). Written
 * from seeds 000-002 and the provider documents only.
 *
 * @internal
 */
import { Tag } from "../random.js"
import type { PlanBase, Schedule } from "../runs.js"

export type StepBody = "envelope" | "flat" | "mixed"

export interface Config {
  readonly seed: number
  readonly tokens: ReadonlySet<string>
  readonly instances: number
  readonly steps: number | undefined
  readonly outputBytes: number
  readonly live: number
  readonly stepBody: StepBody
}

/** Historic instances 45 s apart (plus up to 22.5 s), live ones 50 s apart from epoch - 20 s. */
export const SCHEDULE: Schedule = {
  tag: Tag.cfInstance,
  liveOffsetMs: -20_000,
  liveSpacingMs: 50_000,
  spacingMs: 45_000,
  jitterMs: 22_500
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
/** Accepted by the `status` filter (the API documents list it) though no instance is ever in it. */
export const FILTER_STATUSES: ReadonlyArray<string> = [...INSTANCE_STATUSES, "rollingBack"]

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
export const FIXTURE_BY_ORDINAL = Object.keys(Fixture) as Array<FixtureName>

export const FIXTURE_STATUS: Record<FixtureName, InstanceStatus> = {
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

export type Kind = "step" | "rollback" | "sleep" | "waitForEvent" | "termination"

export interface ErrorBody {
  readonly message: string
  readonly name: string
}

export interface RetryConfig {
  readonly retries: { readonly delay: string | number; readonly limit: number; readonly backoff?: string }
  readonly timeout: string | number
  readonly sensitive?: "output"
}

export type Value =
  | { readonly t: "null" }
  | { readonly t: "json"; readonly chars: number }
  | { readonly t: "number" }
  | { readonly t: "binary"; readonly bytes: number }

export type Op =
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

export interface Attempt {
  readonly start: number
  readonly end: number | null
  readonly success: boolean | null
  readonly error: ErrorBody | null
}

export interface Entry {
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

export interface Plan extends PlanBase {
  readonly start: number
  readonly entries: ReadonlyArray<Entry>
  readonly final: "complete" | "errored" | "terminated"
  readonly termination: string | null
  /** Historic instances frozen mid-run are cut here; others at +Infinity (or virtual now when live). */
  readonly cut: number
  readonly override: "paused" | "waitingForPause" | null
}
