import { NodeExecution, StatusTable, StepRecord, Timestamp, type WorkflowProvider } from "@steptrail/core"
import type { Run, Step } from "../OnepinSchema.js"

/** The documented run statuses; any other word is kept raw and normalized to `unknown`. */
const runStatuses = StatusTable.make<StepRecord.RunStatus>({
  pending: "queued",
  running: "running",
  completed: "complete",
  failed: "errored",
  cancelled: "cancelled",
  paused: "paused"
})

/**
 * Step status is a free string (only `completed` is documented): the likely words are mapped,
 * matched case-insensitively. A skipped node never ran, like one of a terminated run.
 */
const stepStatuses = StatusTable.make<StepRecord.Status>({
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
})

/** @internal */
export const runStatus = (word: string | null | undefined): StepRecord.RunStatus => runStatuses(word) ?? "unknown"

/** @internal */
export const stepStatus = (word: string | null | undefined): StepRecord.Status => stepStatuses(word) ?? "unknown"

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
    terminal: StepRecord.isTerminal(status),
    createdAt: Timestamp.normalize(run.created_at),
    updatedAt: Timestamp.normalize(run.completed_at ?? run.started_at)
  }
}

/** @internal */
export const iterationOf = (iteration: number | null | undefined): number | null =>
  typeof iteration === "number" && Number.isInteger(iteration) ? iteration : null

/** @internal */
export const toRecord = (run: WorkflowProvider.RunRef, step: Step, index: number): StepRecord.StepRecord => {
  const output = step.result ?? null
  return NodeExecution.toRecord(run, index, {
    id: step.id, node: step.node_id, type: step.node_type, displayName: step.node_display_name ?? null,
    iteration: iterationOf(step.iteration), status: stepStatus(step.status), providerStatus: step.status,
    startedAt: Timestamp.normalize(step.started_at), endedAt: Timestamp.normalize(step.completed_at), output,
    // include_result=true is always sent; a result still withheld is reported, not hidden
    outputTruncated: output === null && step.has_result === true,
    error: StepRecord.errorOf(step.error)
  })
}

/**
 * API order is execution order, so it is kept as is.
 *
 * @internal
 */
export const toRecords = (run: WorkflowProvider.RunRef, steps: ReadonlyArray<Step>): Array<StepRecord.StepRecord> =>
  steps.map((step, index) => toRecord(run, step, index))
