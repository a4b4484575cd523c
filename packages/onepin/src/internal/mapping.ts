import { StepRecord, Timestamp, type WorkflowProvider } from "@steptrail/core"
import type { Run, Step } from "../OnepinSchema.js"

/** The documented run statuses; any other word is kept raw and normalized to `unknown`. */
const runStatuses: Record<string, StepRecord.RunStatus> = {
  pending: "queued",
  running: "running",
  completed: "complete",
  failed: "errored",
  cancelled: "cancelled",
  paused: "paused"
}

/**
 * Step status is a free string (only `completed` is documented): the likely words are mapped,
 * matched case-insensitively. A skipped node never ran, like one of a terminated run.
 */
const stepStatuses: Record<string, StepRecord.Status> = {
  completed: "complete",
  running: "running",
  failed: "errored",
  error: "errored",
  pending: "queued",
  queued: "queued",
  cancelled: "cancelled",
  skipped: "cancelled",
  waiting: "waiting",
  paused: "waiting"
}

/** Own keys only: a status word such as `constructor` must not find `Object.prototype`'s. */
const lookup = <A>(table: Record<string, A>, word: string | null | undefined): A | undefined => {
  if (word == null) return undefined
  const key = word.trim().toLowerCase()
  return Object.hasOwn(table, key) ? table[key] : undefined
}

/** @internal */
export const runStatus = (word: string | null | undefined): StepRecord.RunStatus =>
  lookup(runStatuses, word) ?? "unknown"

/** @internal */
export const stepStatus = (word: string | null | undefined): StepRecord.Status => lookup(stepStatuses, word) ?? "unknown"

/**
 * Terminal per the document: completed, failed, cancelled.
 *
 * @internal
 */
export const isTerminal = (status: StepRecord.RunStatus): boolean =>
  status === "complete" || status === "errored" || status === "cancelled"

/** @internal */
export const toRunRef = (workflow: string, account: string | null, run: Run): WorkflowProvider.RunRef => {
  const status = runStatus(run.status)
  return {
    provider: "onepin",
    account,
    workflow,
    id: run.id,
    status,
    providerStatus: run.status ?? null,
    terminal: isTerminal(status),
    createdAt: Timestamp.normalize(run.created_at),
    updatedAt: Timestamp.normalize(run.completed_at ?? run.started_at)
  }
}

/**
 * A run asked for by id: Onepin documents no single-run endpoint, so nothing is known of it
 * until its steps are fetched (a 404 surfaces there).
 *
 * @internal
 */
export const unknownRun = (workflow: string, account: string | null, id: string): WorkflowProvider.RunRef => ({
  provider: "onepin",
  account,
  workflow,
  id,
  status: "unknown",
  providerStatus: null,
  terminal: false,
  createdAt: null,
  updatedAt: null
})

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

/**
 * `error` is documented as a string; an object with a message (or anything else) is kept
 * readable rather than dropped.
 *
 * @internal
 */
export const errorOf = (error: unknown): StepRecord.StepError | null => {
  if (error === null || error === undefined || error === "") return null
  if (typeof error === "string") return { name: "Error", message: error }
  if (isObject(error) && typeof error["message"] === "string") {
    return { name: typeof error["name"] === "string" ? error["name"] : "Error", message: error["message"] }
  }
  return { name: "Error", message: JSON.stringify(error) }
}

/** @internal */
export const iterationOf = (iteration: number | null | undefined): number | null =>
  typeof iteration === "number" && Number.isInteger(iteration) ? iteration : null

/** @internal */
export const toRecord = (run: WorkflowProvider.RunRef, step: Step, index: number): StepRecord.StepRecord => {
  const started = Timestamp.normalize(step.started_at)
  const ended = Timestamp.normalize(step.completed_at)
  const result = step.result ?? null
  return {
    schema_version: StepRecord.SCHEMA_VERSION,
    provider: "onepin",
    account: run.account,
    workflow: run.workflow,
    run_id: run.id,
    step_index: index,
    step_id: step.id,
    name: step.node_id,
    kind: "node",
    node_type: step.node_type,
    display_name: step.node_display_name ?? null,
    iteration: iterationOf(step.iteration),
    status: stepStatus(step.status),
    provider_status: step.status,
    started_at: started,
    ended_at: ended,
    duration_ms: Timestamp.durationMillis(started, ended),
    attempts: null,
    retry_config: null,
    input: null,
    output: result,
    output_encoding: "json",
    // include_result=true is always sent; a result still withheld is reported, not hidden
    output_truncated: result === null && step.has_result === true,
    output_redacted: false,
    usage: null,
    error: errorOf(step.error),
    trigger: null,
    run_status: run.status
  }
}

/**
 * API order is execution order, so it is kept as is.
 *
 * @internal
 */
export const toRecords = (run: WorkflowProvider.RunRef, steps: ReadonlyArray<Step>): Array<StepRecord.StepRecord> =>
  steps.map((step, index) => toRecord(run, step, index))
