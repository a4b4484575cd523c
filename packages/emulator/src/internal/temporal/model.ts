/**
 * Temporal's names and ids: the namespace, the workflow types, the executions
 * of a run ordinal (the run itself, the run it continued as, its children) and
 * their workflow and run ids, and the enum names of the API (proto3 JSON
 * writes enums by name).
 *
 * @internal
 */
import { Rng, Tag } from "../random.js"
import * as Runs from "../runs.js"

export interface Config extends Runs.RunsConfig {
  /** The one namespace served; any other is refused. */
  readonly namespace: string
  /** `required`: a Bearer API key like Temporal Cloud; `none`: no check, like a local dev server. */
  readonly auth: "required" | "none"
}

export const DEFAULT_NAMESPACE = "steptrail-emulator.a1b2c"
export const MAIN_TYPE = "OrderWorkflow"
export const CHILD_TYPE = "ShipmentWorkflow"
/** A workflow type with no executions. */
export const EMPTY_TYPE = "NightlyReconcile"
export const TASK_QUEUE = "orders"
/** Visibility's page size when none (or more) is asked. */
export const DEFAULT_PAGE_SIZE = 1000
/** The history's page size when none (or more) is asked (the frontend's `historyMaxPageSize`). */
export const DEFAULT_HISTORY_PAGE_SIZE = 256

/** Historic ordinals with a fixed shape (ordinal 0 is the oldest run). */
export const Fixture = {
  showcase: 0,
  failed: 1,
  timedOut: 2,
  canceled: 3,
  terminated: 4,
  continuedAsNew: 5,
  childFailed: 6,
  longHistory: 7,
  encrypted: 8
} as const

export type FixtureName = keyof typeof Fixture

/** Historic runs 10 minutes apart (plus up to 5), live ones 50 s apart from epoch - 20 s. */
export const SCHEDULE: Runs.Schedule = {
  tag: Tag.tmRun,
  liveOffsetMs: -20_000,
  liveSpacingMs: 50_000,
  spacingMs: 600_000,
  jitterMs: 300_000
}

export const runSet = (config: Config): Runs.RunSet => new Runs.RunSet(config.seed, config.runs, config.live, SCHEDULE)

/** Which execution of a run ordinal: the run, the run it continued as new into, or child k. */
export type Part = "main" | "next" | number

export interface Key {
  readonly ordinal: number
  readonly part: Part
}

const partCoordinate = (part: Part): number => (part === "main" ? 0 : part === "next" ? 1 : 10 + part)

export const workflowIdOf = (seed: number, ordinal: number, part: Part = "main"): string => {
  const base = `order-${String(ordinal + 1).padStart(5, "0")}-${Rng.at(seed, Tag.tmRun, ordinal, 9).hex(6)}`
  return typeof part === "number" ? `${base}-shipment-${part + 1}` : base
}

export const runIdOf = (seed: number, ordinal: number, part: Part): string =>
  Rng.at(seed, Tag.tmRun, ordinal, partCoordinate(part)).uuid()

const WORKFLOW_ID = /^order-(\d{5})-([0-9a-f]{6})(?:-shipment-([1-9]\d{0,2}))?$/

/** The ordinal (and child) a workflow id names, when it is one of ours; the run (main or next) is picked later. */
export const parseWorkflowId = (seed: number, workflowId: string): { ordinal: number; child: number | null } | undefined => {
  const m = WORKFLOW_ID.exec(workflowId)
  if (m === null) return undefined
  const ordinal = Number(m[1]) - 1
  if (ordinal < 0 || workflowIdOf(seed, ordinal) !== `order-${m[1]}-${m[2]}`) return undefined
  return { ordinal, child: m[3] === undefined ? null : Number(m[3]) - 1 }
}

export const Status = {
  running: "WORKFLOW_EXECUTION_STATUS_RUNNING",
  completed: "WORKFLOW_EXECUTION_STATUS_COMPLETED",
  failed: "WORKFLOW_EXECUTION_STATUS_FAILED",
  canceled: "WORKFLOW_EXECUTION_STATUS_CANCELED",
  terminated: "WORKFLOW_EXECUTION_STATUS_TERMINATED",
  continuedAsNew: "WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW",
  timedOut: "WORKFLOW_EXECUTION_STATUS_TIMED_OUT"
} as const

/** The status a closing event gives its execution. */
export const CLOSE_EVENTS: Readonly<Record<string, string>> = {
  WorkflowExecutionCompleted: Status.completed,
  WorkflowExecutionFailed: Status.failed,
  WorkflowExecutionCanceled: Status.canceled,
  WorkflowExecutionTerminated: Status.terminated,
  WorkflowExecutionContinuedAsNew: Status.continuedAsNew,
  WorkflowExecutionTimedOut: Status.timedOut
}

/** The visibility query's names of the statuses (`ExecutionStatus = 'Running'`). */
export const STATUS_NAMES: Readonly<Record<string, string>> = {
  running: Status.running,
  completed: Status.completed,
  failed: Status.failed,
  canceled: Status.canceled,
  terminated: Status.terminated,
  continuedasnew: Status.continuedAsNew,
  timedout: Status.timedOut
}

export const taskQueue = { name: TASK_QUEUE, kind: "TASK_QUEUE_KIND_NORMAL" } as const
