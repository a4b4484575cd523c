import { Json, NodeExecution, StatusTable, StepRecord, Timestamp, type WorkflowProvider } from "@steptrail/core"
import type { Run, Step } from "../OrchestraSchema.js"

/**
 * The words Orchestra is known or likely to use (only `completed` is documented), matched
 * case-insensitively. Any other word is kept raw and normalized to `unknown`.
 */
const runStatuses = StatusTable.make<StepRecord.RunStatus>({
  completed: "complete",
  running: "running",
  in_progress: "running",
  failed: "errored",
  error: "errored",
  errored: "errored",
  pending: "queued",
  queued: "queued",
  cancelled: "cancelled",
  canceled: "cancelled",
  stopped: "cancelled",
  paused: "paused",
  waiting: "waiting"
})

/** @internal */
export const runStatus = (word: string | null | undefined): StepRecord.RunStatus => runStatuses(word) ?? "unknown"

/**
 * A step has no `paused` status of its own: a node of a paused run is waiting.
 *
 * @internal
 */
export const stepStatus = (word: string | null | undefined): StepRecord.Status => {
  const status = runStatus(word)
  return status === "paused" ? "waiting" : status
}

/** @internal */
export const toRunRef = (workflow: string, run: Run): WorkflowProvider.RunRef => {
  const status = runStatus(run.status)
  return {
    provider: "orchestra",
    account: null,
    workflow,
    id: run.id,
    status,
    providerStatus: run.status ?? null,
    terminal: StepRecord.isTerminal(status),
    createdAt: Timestamp.normalize(run.start_time),
    updatedAt: Timestamp.normalize(run.end_time)
  }
}

const isObject = (u: unknown): u is Record<string, unknown> => typeof u === "object" && u !== null && !Array.isArray(u)

// a count in a form a double would change (`12.0`) is still a count
const count = (u: unknown): number | null => {
  const n = Json.isRawNumber(u) ? Number(u.text) : u
  return typeof n === "number" && Number.isFinite(n) ? n : null
}

/**
 * Token usage: a model node's output is a chat completion whose `usage` holds the counts;
 * otherwise `tokens`, when the API starts filling it (it is documented as 0 for now).
 *
 * @internal
 */
export const usageOf = (step: Pick<Step, "outputs" | "tokens">): StepRecord.Usage | null => {
  const usage = isObject(step.outputs) ? step.outputs["usage"] : undefined
  if (isObject(usage)) {
    const found = {
      prompt_tokens: count(usage["prompt_tokens"]),
      completion_tokens: count(usage["completion_tokens"]),
      total_tokens: count(usage["total_tokens"])
    }
    if (found.prompt_tokens !== null || found.completion_tokens !== null || found.total_tokens !== null) return found
  }
  const tokens = count(step.tokens)
  return tokens !== null && tokens > 0 ? { prompt_tokens: null, completion_tokens: null, total_tokens: tokens } : null
}

/**
 * Timestamps first; `elapsed_time` (whole seconds) only when one of them is missing.
 *
 * @internal
 */
export const durationOf = (
  started: string | null,
  ended: string | null,
  elapsedSeconds: number | null | undefined
): number | null => {
  const fromTimes = Timestamp.durationMillis(started, ended)
  if (fromTimes !== null) return fromTimes
  return typeof elapsedSeconds === "number" && Number.isFinite(elapsedSeconds) && elapsedSeconds >= 0
    ? Math.round(elapsedSeconds * 1000)
    : null
}

/**
 * Oldest first: a stable sort by `start_time`, so entries that share a start (or come as the
 * API listed them) keep their order, and entries that never started go last in API order.
 *
 * @internal
 */
export const order = (steps: ReadonlyArray<Step>): Array<Step> => {
  const keyed = steps.map((step) => {
    const start = Timestamp.normalize(step.start_time)
    return { step, at: start === null ? null : Timestamp.toMillis(start) }
  })
  keyed.sort((a, b) => {
    if (a.at === null || Number.isNaN(a.at)) return b.at === null || Number.isNaN(b.at) ? 0 : 1
    if (b.at === null || Number.isNaN(b.at)) return -1
    return a.at - b.at
  })
  return keyed.map((k) => k.step)
}

/** @internal */
export const toRecord = (run: WorkflowProvider.RunRef, step: Step, index: number): StepRecord.StepRecord => {
  const startedAt = Timestamp.normalize(step.start_time)
  const endedAt = Timestamp.normalize(step.end_time)
  return NodeExecution.toRecord(run, index, {
    id: step.id, node: step.node_id, status: stepStatus(step.status), providerStatus: step.status ?? null,
    startedAt, endedAt, durationMs: durationOf(startedAt, endedAt, step.elapsed_time),
    input: step.inputs ?? null, output: step.outputs ?? null, usage: usageOf(step), error: StepRecord.errorOf(step.error)
  })
}

/** @internal */
export const toRecords = (run: WorkflowProvider.RunRef, steps: ReadonlyArray<Step>): Array<StepRecord.StepRecord> =>
  order(steps).map((step, index) => toRecord(run, step, index))
