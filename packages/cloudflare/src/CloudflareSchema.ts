/**
 * The Cloudflare Workflows API bodies as `Schema`s, exactly as the API reference prints them.
 *
 * Lenient where the documents are: times, `success`, `output` and `error` are null while a
 * step runs, optional fields may be absent, unknown fields are ignored, and status words are
 * plain strings so a word Cloudflare adds tomorrow never fails an export. Strict where the
 * structure matters: `steps[]` is a union on `type`, and an entry of an unknown type is a
 * decode failure that names its path.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/**
 * One entry of an envelope's `errors` or `messages`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ApiMessage = Schema.Struct({
  code: Schema.Number,
  message: Schema.String
})
/**
 * @since 0.1.0
 * @category models
 */
export interface ApiMessage extends Schema.Schema.Type<typeof ApiMessage> {}

/**
 * Paging information. Only `cursor` is used: the deprecated `page` is best-effort.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ResultInfo = Schema.Struct({
  count: Schema.optional(Schema.NullOr(Schema.Number)),
  per_page: Schema.optional(Schema.NullOr(Schema.Number)),
  total_count: Schema.optional(Schema.NullOr(Schema.Number)),
  cursor: Schema.optional(Schema.NullOr(Schema.String)),
  page: Schema.optional(Schema.NullOr(Schema.Number)),
  total_pages: Schema.optional(Schema.NullOr(Schema.Number))
})
/**
 * @since 0.1.0
 * @category models
 */
export interface ResultInfo extends Schema.Schema.Type<typeof ResultInfo> {}

/**
 * Cloudflare's `{ success, errors, messages, result, result_info? }` envelope around `result`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const Envelope = <A, I>(result: Schema.Schema<A, I, never>) =>
  Schema.Struct({
    success: Schema.Boolean,
    errors: Schema.optional(Schema.Array(ApiMessage)),
    messages: Schema.optional(Schema.Array(ApiMessage)),
    result,
    result_info: Schema.optional(Schema.NullOr(ResultInfo))
  })

/**
 * An error as Cloudflare logs it: `{ name, message }`. A `name` is not always present.
 *
 * @since 0.1.0
 * @category schemas
 */
export const StepError = Schema.Struct({
  message: Schema.String,
  name: Schema.optional(Schema.NullOr(Schema.String))
})
/**
 * @since 0.1.0
 * @category models
 */
export interface StepError extends Schema.Schema.Type<typeof StepError> {}

const Time = Schema.optional(Schema.NullOr(Schema.String))
const Duration = Schema.Union(Schema.String, Schema.Number)

/**
 * One attempt of a `step.do`. `end` and `success` are null while the attempt runs.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Attempt = Schema.Struct({
  start: Time,
  end: Time,
  success: Schema.optional(Schema.NullOr(Schema.Boolean)),
  error: Schema.optional(Schema.NullOr(StepError))
})
/**
 * @since 0.1.0
 * @category models
 */
export interface Attempt extends Schema.Schema.Type<typeof Attempt> {}

/**
 * A step's configuration. `delay` is `"[dynamic]"` when computed at run time; `backoff` is
 * one of `constant`, `linear`, `exponential` (kept as a string); `sensitive: "output"` marks
 * an output Cloudflare withholds.
 *
 * @since 0.1.0
 * @category schemas
 */
export const StepConfig = Schema.Struct({
  retries: Schema.optional(
    Schema.NullOr(
      Schema.Struct({
        delay: Schema.optional(Schema.NullOr(Duration)),
        limit: Schema.optional(Schema.NullOr(Schema.Number)),
        backoff: Schema.optional(Schema.NullOr(Schema.String))
      })
    )
  ),
  timeout: Schema.optional(Schema.NullOr(Duration)),
  sensitive: Schema.optional(Schema.NullOr(Schema.String))
})
/**
 * @since 0.1.0
 * @category models
 */
export interface StepConfig extends Schema.Schema.Type<typeof StepConfig> {}

const doFields = {
  name: Schema.String,
  start: Time,
  end: Time,
  success: Schema.optional(Schema.NullOr(Schema.Boolean)),
  /** A preview in the logs: JSON text, `[REDACTED]`, or cut with `[truncated output]`. */
  output: Schema.optional(Schema.NullOr(Schema.String)),
  /** Absent means none. (No decoding default: a schema without transformations decodes fast.) */
  attempts: Schema.optional(Schema.Array(Attempt)),
  config: Schema.optional(Schema.NullOr(StepConfig))
}

/**
 * A `step.do` entry.
 *
 * @since 0.1.0
 * @category schemas
 */
export const DoStep = Schema.Struct({ type: Schema.Literal("step"), ...doFields })
/**
 * @since 0.1.0
 * @category models
 */
export interface DoStep extends Schema.Schema.Type<typeof DoStep> {}

/**
 * A rollback entry: the same shape as a `step.do` entry.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RollbackStep = Schema.Struct({ type: Schema.Literal("rollback"), ...doFields })
/**
 * @since 0.1.0
 * @category models
 */
export interface RollbackStep extends Schema.Schema.Type<typeof RollbackStep> {}

/**
 * A `step.sleep` entry.
 *
 * @since 0.1.0
 * @category schemas
 */
export const SleepStep = Schema.Struct({
  type: Schema.Literal("sleep"),
  name: Schema.String,
  start: Time,
  end: Time,
  finished: Schema.optional(Schema.NullOr(Schema.Boolean)),
  error: Schema.optional(Schema.NullOr(StepError))
})
/**
 * @since 0.1.0
 * @category models
 */
export interface SleepStep extends Schema.Schema.Type<typeof SleepStep> {}

/**
 * A `step.waitForEvent` entry; `output` is the event payload's preview.
 *
 * @since 0.1.0
 * @category schemas
 */
export const WaitForEventStep = Schema.Struct({
  type: Schema.Literal("waitForEvent"),
  name: Schema.String,
  start: Time,
  end: Time,
  finished: Schema.optional(Schema.NullOr(Schema.Boolean)),
  error: Schema.optional(Schema.NullOr(StepError)),
  event_type: Schema.optional(Schema.NullOr(Schema.String)),
  output: Schema.optional(Schema.NullOr(Schema.String))
})
/**
 * @since 0.1.0
 * @category models
 */
export interface WaitForEventStep extends Schema.Schema.Type<typeof WaitForEventStep> {}

/**
 * The trigger of an instance or of a termination. `source` is one of `unknown`, `api`,
 * `binding`, `event`, `cron` (kept as a string).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Trigger = Schema.Struct({ source: Schema.String })

/**
 * The entry that ends a terminated instance's log: no name, no times.
 *
 * @since 0.1.0
 * @category schemas
 */
export const TerminationStep = Schema.Struct({
  type: Schema.Literal("termination"),
  trigger: Trigger
})
/**
 * @since 0.1.0
 * @category models
 */
export interface TerminationStep extends Schema.Schema.Type<typeof TerminationStep> {}

/**
 * One entry of an instance's step log, a union on `type`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Step = Schema.Union(DoStep, RollbackStep, SleepStep, WaitForEventStep, TerminationStep)
/**
 * @since 0.1.0
 * @category models
 */
export type Step = typeof Step.Type

const instanceFields = {
  /** `queued running paused errored terminated complete waitingForPause waiting rollingBack` */
  status: Schema.String,
  queued: Time,
  start: Time,
  end: Time,
  error: Schema.optional(Schema.NullOr(StepError)),
  output: Schema.optional(Schema.NullOr(Schema.Union(Schema.String, Schema.Number))),
  params: Schema.optional(Schema.Unknown),
  step_count: Schema.optional(Schema.NullOr(Schema.Number)),
  success: Schema.optional(Schema.NullOr(Schema.Boolean)),
  trigger: Schema.optional(Schema.NullOr(Trigger)),
  versionId: Schema.optional(Schema.NullOr(Schema.String))
}

/**
 * An instance without its steps (`?simple=true`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const InstanceSummary = Schema.Struct(instanceFields)
/**
 * @since 0.1.0
 * @category models
 */
export interface InstanceSummary extends Schema.Schema.Type<typeof InstanceSummary> {}

/**
 * An instance with its step log.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Instance = Schema.Struct({ ...instanceFields, steps: Schema.Array(Step) })
/**
 * @since 0.1.0
 * @category models
 */
export interface Instance extends Schema.Schema.Type<typeof Instance> {}

/**
 * An item of the instance listing.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InstanceListItem = Schema.Struct({
  id: Schema.String,
  status: Schema.String,
  created_on: Time,
  modified_on: Time,
  ended_on: Time,
  workflow_id: Schema.optional(Schema.NullOr(Schema.String)),
  version_id: Schema.optional(Schema.NullOr(Schema.String))
})
/**
 * @since 0.1.0
 * @category models
 */
export interface InstanceListItem extends Schema.Schema.Type<typeof InstanceListItem> {}

/**
 * `GET .../instances`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InstanceListResponse = Envelope(Schema.Array(InstanceListItem))

/**
 * `GET .../instances/{id}`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InstanceResponse = Envelope(Instance)

/**
 * `GET .../instances/{id}?simple=true`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const InstanceSummaryResponse = Envelope(InstanceSummary)

/**
 * The `/step` answer's own fields. `status` is a step status word; `status: "running"` with
 * an `error` means the step is retrying. `output` is the full value, `[REDACTED]` when
 * sensitive.
 *
 * @since 0.1.0
 * @category schemas
 */
export const StepOutput = Schema.Struct({
  status: Schema.String,
  error: Schema.optional(Schema.NullOr(StepError)),
  output: Schema.optional(Schema.Unknown)
})
/**
 * @since 0.1.0
 * @category models
 */
export interface StepOutput extends Schema.Schema.Type<typeof StepOutput> {}

/**
 * `GET .../instances/{id}/step` as JSON: the prose describes a flat body, the example wraps it
 * in the envelope, so both are accepted.
 *
 * @since 0.1.0
 * @category schemas
 */
export const StepOutputResponse = Schema.Union(Envelope(StepOutput), StepOutput)

