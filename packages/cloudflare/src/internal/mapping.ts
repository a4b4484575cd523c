/**
 * Raw Cloudflare values to provider-neutral ones. Every rule here is documented, as a table,
 * in `docs/providers/cloudflare.md`; change both together.
 *
 * Mapping is split in two so the `/step` fetches can run between them: `plan` derives all
 * that the log says and decides whether the full output is needed; `finish` builds the record
 * with the fetched output, if any.
 *
 * @internal
 */
import type { WorkflowProvider } from "@steptrail/core"
import { Json, StepRecord, Timestamp } from "@steptrail/core"
import { Encoding } from "effect"
import type * as CloudflareApi from "../CloudflareApi.js"
import type * as CloudflareSchema from "../CloudflareSchema.js"

/** @internal */
export const REDACTED = "[REDACTED]"
/** @internal */
export const TRUNCATED_SUFFIX = "[truncated output]"
const binaryPreview = /^\[ReadableStream \(binary\): \d+ bytes\]$/

/**
 * Normalized run status of an instance status word.
 *
 * @internal
 */
export const runStatus = (word: string | null | undefined): StepRecord.RunStatus => {
  switch (word) {
    case "queued":
      return "queued"
    case "running":
    case "waitingForPause":
    case "rollingBack":
      return "running"
    case "paused":
      return "paused"
    case "waiting":
      return "waiting"
    case "complete":
      return "complete"
    case "errored":
      return "errored"
    case "terminated":
      return "cancelled"
    default:
      return "unknown"
  }
}

/**
 * An instance in one of these can no longer change.
 *
 * @internal
 */
export const isTerminal = (word: string | null | undefined): boolean =>
  word === "complete" || word === "errored" || word === "terminated"

/** @internal */
export interface RunContext {
  readonly account: string
  readonly workflow: string
  readonly id: string
}

/** @internal */
export const runRef = (
  ctx: RunContext,
  status: string,
  createdAt: string | null | undefined,
  updatedAt: string | null | undefined
): WorkflowProvider.RunRef => ({
  provider: "cloudflare",
  account: ctx.account,
  workflow: ctx.workflow,
  id: ctx.id,
  status: runStatus(status),
  providerStatus: status,
  terminal: isTerminal(status),
  createdAt: Timestamp.normalize(createdAt),
  updatedAt: Timestamp.normalize(updatedAt)
})

/** A list item: `created_on` and `modified_on` as given. @internal */
export const fromListItem = (account: string, workflow: string, item: CloudflareSchema.InstanceListItem) => ({
  ...runRef({ account, workflow, id: item.id }, item.status, item.created_on, item.modified_on),
  // a step settling modifies the instance, so status and modified_on together say "changed"
  version: item.modified_on ? `${item.status}@${item.modified_on}` : null
})

/**
 * An instance looked up by id carries no `created_on`/`modified_on`: `queued` (else `start`)
 * stands for creation, the latest of `end`/`start`/`queued` for the last change. What tells a
 * change is its status with `step_count`, the number of log entries (one record each): an
 * entry settling either starts the next one or changes the status.
 *
 * @internal
 */
export const fromSummary = (ctx: RunContext, instance: CloudflareSchema.InstanceSummary): WorkflowProvider.RunRef => {
  const ref = runRef(ctx, instance.status, instance.queued ?? instance.start, instance.end ?? instance.start ?? instance.queued)
  const steps = instance.step_count
  return typeof steps === "number" && Number.isInteger(steps) && steps >= 0 ? { ...ref, steps } : ref
}

/**
 * A string error becomes `{ name: "Error", message }`; a missing name too.
 *
 * @internal
 */
export const stepError = (
  error: CloudflareSchema.StepError | string | null | undefined
): StepRecord.StepError | null => {
  if (error === null || error === undefined) return null
  if (typeof error === "string") return { name: "Error", message: error }
  return { name: error.name ?? "Error", message: error.message }
}

/** @internal */
export const attempt = (raw: CloudflareSchema.Attempt): StepRecord.Attempt => {
  const started_at = Timestamp.normalize(raw.start)
  const ended_at = Timestamp.normalize(raw.end)
  return {
    started_at,
    ended_at,
    duration_ms: Timestamp.durationMillis(started_at, ended_at),
    success: raw.success ?? null,
    error: stepError(raw.error)
  }
}

/** @internal */
export const retryConfig = (config: CloudflareSchema.StepConfig | null | undefined): StepRecord.RetryConfig | null => {
  if (config === null || config === undefined) return null
  const retries = config.retries ?? undefined
  return {
    limit: retries?.limit ?? null,
    delay: retries?.delay ?? null,
    backoff: retries?.backoff ?? null,
    timeout: config.timeout ?? null
  }
}

/**
 * A logged output that is only a preview: cut by Cloudflare, or the placeholder of a stream.
 *
 * @internal
 */
export const isPreview = (output: string): boolean => output.endsWith(TRUNCATED_SUFFIX) || binaryPreview.test(output)

/**
 * The logs serialize values to JSON text, so a logged string that parses is taken as the
 * value it serializes. (A step that returned a string which itself is valid JSON, `"42"`, is
 * indistinguishable from one that returned `42`; the full output from `/step` is exact.)
 *
 * @internal
 */
export const parseLogged = (output: string): StepRecord.StepRecord["output"] => {
  try {
    return Json.parse(output) as StepRecord.StepRecord["output"]
  } catch {
    return output
  }
}

/**
 * The status of a `step.do` or rollback entry: there is no status field in the logs.
 * `ended` is the entry's `end`, normalized.
 *
 * @internal
 */
export const doStatus = (
  step: CloudflareSchema.DoStep | CloudflareSchema.RollbackStep,
  instanceTerminal: boolean,
  ended: string | null
): StepRecord.Status => {
  if (step.success === true) return "complete"
  if (step.success === false) return "errored"
  const last = step.attempts?.at(-1)
  if (ended === null) {
    if (instanceTerminal) return "cancelled"
    return last?.success === false ? "retrying" : "running"
  }
  // Ended without a verdict: the last attempt's, if it has one.
  if (last?.success === true) return "complete"
  if (last?.success === false) return "errored"
  return "unknown"
}

const isFinished = (step: CloudflareSchema.SleepStep | CloudflareSchema.WaitForEventStep, ended: string | null) =>
  step.finished ?? ended !== null

/**
 * `ended` is the entry's `end`, normalized.
 *
 * @internal
 */
export const sleepStatus = (
  step: CloudflareSchema.SleepStep,
  instanceTerminal: boolean,
  ended: string | null
): StepRecord.Status => {
  if (isFinished(step, ended)) return "complete"
  if (step.error) return "errored"
  return instanceTerminal ? "cancelled" : "waiting"
}

/**
 * `ended` is the entry's `end`, normalized.
 *
 * @internal
 */
export const waitForEventStatus = (
  step: CloudflareSchema.WaitForEventStep,
  instanceTerminal: boolean,
  ended: string | null
): StepRecord.Status => {
  if (step.error) return "errored"
  if (isFinished(step, ended)) return "complete"
  return instanceTerminal ? "cancelled" : "waiting"
}

const lastFailedAttempt = (attempts: ReadonlyArray<CloudflareSchema.Attempt> = []) => {
  for (let i = attempts.length - 1; i >= 0; i--) if (attempts[i]!.success === false) return attempts[i]
  return undefined
}

/** What the full output of an entry would be fetched with. @internal */
export interface Fetch {
  readonly name: string
  readonly type: "step" | "waitForEvent"
}

/**
 * One entry, mapped as far as the log allows. `fetch` is set when the full output is needed
 * (and was asked for); `finish` then completes the record.
 *
 * @internal
 */
export interface Plan {
  readonly record: StepRecord.StepRecord
  readonly fetch: Fetch | null
}

/** @internal */
export interface PlanContext extends RunContext {
  /** The instance's status word, from the same answer as the steps. */
  readonly instanceStatus: string
  readonly fullOutput: boolean
}

/**
 * The log's view of one entry.
 *
 * @internal
 */
export const plan = (ctx: PlanContext, index: number, step: CloudflareSchema.Step): Plan =>
  planEntry(ctx, runStatus(ctx.instanceStatus), isTerminal(ctx.instanceStatus), index, step)

/**
 * The log's view of every entry of one instance, in log order (`plan` of each): what the
 * instance status says is worked out once, not per entry.
 *
 * @internal
 */
export const planAll = (ctx: PlanContext, steps: ReadonlyArray<CloudflareSchema.Step>): Array<Plan> => {
  const run_status = runStatus(ctx.instanceStatus)
  const terminal = isTerminal(ctx.instanceStatus)
  return steps.map((step, index) => planEntry(ctx, run_status, terminal, index, step))
}

/**
 * One entry's record, built as one object with its keys in the Schema's order (the "Fields by
 * kind" table of the docs): each kind sets the variables below that differ from their default.
 */
const planEntry = (
  ctx: PlanContext,
  run_status: StepRecord.RunStatus,
  terminal: boolean,
  index: number,
  step: CloudflareSchema.Step
): Plan => {
  const name = step.type === "termination" ? null : step.name
  const started_at = step.type === "termination" ? null : Timestamp.normalize(step.start)
  const ended_at = step.type === "termination" ? null : Timestamp.normalize(step.end)
  let status: StepRecord.Status
  let attempts: Array<StepRecord.Attempt> | null = null
  let retry_config: StepRecord.RetryConfig | null = null
  let error: StepRecord.StepError | null = null
  // The logged output (null: none, as for a sleep), and the `/step` type that could fetch it.
  let logged: string | null | undefined = null
  let sensitive = false
  let fetchType: Fetch["type"] | null = null
  switch (step.type) {
    case "step":
    case "rollback":
      status = doStatus(step, terminal, ended_at)
      // absent attempts are none: []
      attempts = step.attempts?.map(attempt) ?? []
      retry_config = retryConfig(step.config)
      if (status === "errored" || status === "retrying") error = stepError(lastFailedAttempt(step.attempts)?.error)
      logged = step.output
      sensitive = step.config?.sensitive === "output"
      // Only `step.do` entries are addressable by `/step` (its `type` is step or waitForEvent).
      fetchType = step.type === "step" ? "step" : null
      break
    case "waitForEvent":
      status = waitForEventStatus(step, terminal, ended_at)
      error = stepError(step.error)
      logged = step.output
      fetchType = "waitForEvent"
      break
    case "sleep":
      status = sleepStatus(step, terminal, ended_at)
      error = stepError(step.error)
      break
    case "termination":
      status = "cancelled"
      break
  }
  // The output rules shared by `step.do`, rollback and `waitForEvent` entries: redacted, else a
  // preview kept as it is, else the logged value parsed; null when nothing (or null) was logged.
  const redacted = sensitive || logged === REDACTED
  const preview = !redacted && typeof logged === "string" && isPreview(logged)
  // An absent output may be one the log left out: fetch it. A logged null is the step's own
  // result (it returned nothing), and /step could only answer null again. (A fetch type implies
  // a name; the check is for the type checker.)
  const fetch: Fetch | null =
    fetchType !== null && name !== null && ctx.fullOutput && status === "complete" &&
      (preview || (!redacted && logged === undefined))
      ? { name, type: fetchType }
      : null
  return {
    record: StepRecord.make({
      provider: "cloudflare",
      account: ctx.account,
      workflow: ctx.workflow,
      run_id: ctx.id,
      step_index: index,
      name,
      kind: step.type === "waitForEvent" ? "wait_for_event" : step.type,
      status,
      started_at,
      ended_at,
      duration_ms: Timestamp.durationMillis(started_at, ended_at),
      attempts,
      retry_config,
      output: redacted ? REDACTED : typeof logged !== "string" ? null : preview ? logged : parseLogged(logged),
      output_truncated: preview,
      output_redacted: redacted,
      error,
      trigger: step.type === "termination" ? step.trigger.source : null,
      run_status
    }),
    fetch
  }
}

/**
 * Completes a planned record with the `/step` answer: the full value (bytes as base64), or
 * `[REDACTED]`. An answer without an output leaves the logged preview (still marked
 * truncated) in place.
 *
 * @internal
 */
export const finish = (record: StepRecord.StepRecord, fetched: CloudflareApi.StepOutput): StepRecord.StepRecord => {
  // Each a copy of the record (its keys keep their order) with the fields the answer changes.
  if (fetched._tag === "Bytes") {
    return {
      ...record,
      output: Encoding.encodeBase64(fetched.bytes),
      output_encoding: "base64",
      output_truncated: false,
      output_redacted: false
    }
  }
  if (fetched.output === REDACTED) {
    return {
      ...record,
      provider_status: fetched.status,
      output: REDACTED,
      output_encoding: "json",
      output_truncated: false,
      output_redacted: true
    }
  }
  if (fetched.output === undefined || fetched.output === null) return { ...record, provider_status: fetched.status }
  return {
    ...record,
    provider_status: fetched.status,
    output: fetched.output,
    output_encoding: "json",
    output_truncated: false,
    output_redacted: false
  }
}
