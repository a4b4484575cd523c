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
import type { StepRecord, WorkflowProvider } from "@steptrail/core"
import { Timestamp } from "@steptrail/core"
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
 * stands for creation, the latest of `end`/`start`/`queued` for the last change.
 *
 * @internal
 */
export const fromSummary = (ctx: RunContext, instance: CloudflareSchema.InstanceSummary) =>
  runRef(ctx, instance.status, instance.queued ?? instance.start, instance.end ?? instance.start ?? instance.queued)

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

const times = (start: string | null | undefined, end: string | null | undefined) => {
  const started_at = Timestamp.normalize(start)
  const ended_at = Timestamp.normalize(end)
  return { started_at, ended_at, duration_ms: Timestamp.durationMillis(started_at, ended_at) }
}

/** @internal */
export const attempt = (raw: CloudflareSchema.Attempt): StepRecord.Attempt => ({
  ...times(raw.start, raw.end),
  success: raw.success ?? null,
  error: stepError(raw.error)
})

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
    return JSON.parse(output) as StepRecord.StepRecord["output"]
  } catch {
    return output
  }
}

/**
 * The status of a `step.do` or rollback entry: there is no status field in the logs.
 *
 * @internal
 */
export const doStatus = (
  step: CloudflareSchema.DoStep | CloudflareSchema.RollbackStep,
  instanceTerminal: boolean
): StepRecord.Status => {
  if (step.success === true) return "complete"
  if (step.success === false) return "errored"
  const last = step.attempts.at(-1)
  if (Timestamp.normalize(step.end) === null) {
    if (instanceTerminal) return "cancelled"
    return last?.success === false ? "retrying" : "running"
  }
  // Ended without a verdict: the last attempt's, if it has one.
  if (last?.success === true) return "complete"
  if (last?.success === false) return "errored"
  return "unknown"
}

const isFinished = (step: CloudflareSchema.SleepStep | CloudflareSchema.WaitForEventStep) =>
  step.finished ?? Timestamp.normalize(step.end) !== null

/** @internal */
export const sleepStatus = (step: CloudflareSchema.SleepStep, instanceTerminal: boolean): StepRecord.Status => {
  if (isFinished(step)) return "complete"
  if (step.error) return "errored"
  return instanceTerminal ? "cancelled" : "waiting"
}

/** @internal */
export const waitForEventStatus = (
  step: CloudflareSchema.WaitForEventStep,
  instanceTerminal: boolean
): StepRecord.Status => {
  if (step.error) return "errored"
  if (isFinished(step)) return "complete"
  return instanceTerminal ? "cancelled" : "waiting"
}

const lastFailedAttempt = (attempts: ReadonlyArray<CloudflareSchema.Attempt>) => {
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

const base = (ctx: PlanContext, index: number) => ({
  schema_version: 1 as const,
  provider: "cloudflare" as const,
  account: ctx.account,
  workflow: ctx.workflow,
  run_id: ctx.id,
  step_index: index,
  step_id: null,
  node_type: null,
  display_name: null,
  iteration: null,
  provider_status: null,
  input: null,
  usage: null,
  run_status: runStatus(ctx.instanceStatus)
})

interface OutputFields {
  readonly output: StepRecord.StepRecord["output"]
  readonly output_encoding: "json" | "base64"
  readonly output_truncated: boolean
  readonly output_redacted: boolean
}

const noOutput: OutputFields = { output: null, output_encoding: "json", output_truncated: false, output_redacted: false }
const redacted: OutputFields = { output: REDACTED, output_encoding: "json", output_truncated: false, output_redacted: true }

/**
 * The output rules shared by `step.do`, rollback and `waitForEvent` entries.
 *
 * @internal
 */
const output = (
  logged: string | null | undefined,
  sensitive: boolean,
  status: StepRecord.Status,
  fetchable: Fetch | null,
  fullOutput: boolean
): { fields: OutputFields; fetch: Fetch | null } => {
  if (sensitive || logged === REDACTED) return { fields: redacted, fetch: null }
  const wanted = fullOutput && status === "complete" ? fetchable : null
  // An absent output may be one the log left out: fetch it. A logged null is the step's own
  // result (it returned nothing), and /step could only answer null again.
  if (logged === undefined) return { fields: noOutput, fetch: wanted }
  if (logged === null) return { fields: noOutput, fetch: null }
  if (isPreview(logged)) {
    return { fields: { ...noOutput, output: logged, output_truncated: true }, fetch: wanted }
  }
  return { fields: { ...noOutput, output: parseLogged(logged) }, fetch: null }
}

/**
 * The log's view of one entry.
 *
 * @internal
 */
export const plan = (ctx: PlanContext, index: number, step: CloudflareSchema.Step): Plan => {
  const terminal = isTerminal(ctx.instanceStatus)
  switch (step.type) {
    case "step":
    case "rollback": {
      const status = doStatus(step, terminal)
      const lastFailed = lastFailedAttempt(step.attempts)
      // Only `step.do` entries are addressable by `/step` (its `type` is step or waitForEvent).
      const fetchable: Fetch | null = step.type === "step" ? { name: step.name, type: "step" } : null
      const out = output(step.output, step.config?.sensitive === "output", status, fetchable, ctx.fullOutput)
      return {
        record: {
          ...base(ctx, index),
          name: step.name,
          kind: step.type,
          status,
          ...times(step.start, step.end),
          attempts: step.attempts.map(attempt),
          retry_config: retryConfig(step.config),
          ...out.fields,
          error: status === "errored" || status === "retrying" ? stepError(lastFailed?.error) : null,
          trigger: null
        },
        fetch: out.fetch
      }
    }
    case "waitForEvent": {
      const status = waitForEventStatus(step, terminal)
      const out = output(step.output, false, status, { name: step.name, type: "waitForEvent" }, ctx.fullOutput)
      return {
        record: {
          ...base(ctx, index),
          name: step.name,
          kind: "wait_for_event",
          status,
          ...times(step.start, step.end),
          attempts: null,
          retry_config: null,
          ...out.fields,
          error: stepError(step.error),
          trigger: null
        },
        fetch: out.fetch
      }
    }
    case "sleep":
      return {
        record: {
          ...base(ctx, index),
          name: step.name,
          kind: "sleep",
          status: sleepStatus(step, terminal),
          ...times(step.start, step.end),
          attempts: null,
          retry_config: null,
          ...noOutput,
          error: stepError(step.error),
          trigger: null
        },
        fetch: null
      }
    case "termination":
      return {
        record: {
          ...base(ctx, index),
          name: null,
          kind: "termination",
          status: "cancelled",
          started_at: null,
          ended_at: null,
          duration_ms: null,
          attempts: null,
          retry_config: null,
          ...noOutput,
          error: null,
          trigger: step.trigger.source
        },
        fetch: null
      }
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
  if (fetched._tag === "Bytes") {
    return {
      ...record,
      output: Encoding.encodeBase64(fetched.bytes),
      output_encoding: "base64",
      output_truncated: false,
      output_redacted: false
    }
  }
  const withStatus = { ...record, provider_status: fetched.status }
  if (fetched.output === REDACTED) return { ...withStatus, ...redacted }
  if (fetched.output === undefined || fetched.output === null) return withStatus
  return { ...withStatus, output: fetched.output, output_encoding: "json", output_truncated: false, output_redacted: false }
}
