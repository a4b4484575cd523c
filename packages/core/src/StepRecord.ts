/**
 * The normalized step record: one NDJSON line of an export.
 *
 * The Schema is the single source of truth: the TypeScript type, the JSON Schema printed by
 * `steptrail schema`, and the tests' validation of exported lines all derive from it.
 *
 * @since 0.1.0
 */
import { JSONSchema, Schema } from "effect"
import * as Json from "./Json.js"
import { durationMillis } from "./Timestamp.js"

/**
 * Bumped only on a breaking change of the record; consumers may branch on it. 2: the kinds
 * `signal`, `child_workflow`, `marker`, `update` and `close`, and `workflow_id` (Temporal).
 *
 * @since 0.1.0
 * @category constants
 */
export const SCHEMA_VERSION = 2 as const

/**
 * The platform a run was exported from: the name of a registered provider (`cloudflare`,
 * `orchestra`, `onepin`, or one a program registers), lowercase.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Provider = Schema.String.pipe(
  Schema.pattern(/^[a-z][a-z0-9-]*$/),
  Schema.annotations({ description: "The platform the run was exported from: cloudflare, orchestra, onepin, or another registered provider." })
)
/**
 * @since 0.1.0
 * @category models
 */
export type Provider = typeof Provider.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const Kind = Schema.Literal(
  "step",
  "rollback",
  "sleep",
  "wait_for_event",
  "termination",
  "node",
  "signal",
  "child_workflow",
  "marker",
  "update",
  "close"
)
/**
 * @since 0.1.0
 * @category models
 */
export type Kind = typeof Kind.Type

/**
 * Normalized step status. `cancelled` marks a termination entry and a step that never finished
 * because its run was terminated; `queued` a step that has not started.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Status = Schema.Literal(
  "queued",
  "running",
  "waiting",
  "retrying",
  "complete",
  "errored",
  "cancelled",
  "unknown"
)
/**
 * @since 0.1.0
 * @category models
 */
export type Status = typeof Status.Type

/**
 * Normalized status of the run a step belongs to.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RunStatus = Schema.Literal(
  "queued",
  "running",
  "paused",
  "waiting",
  "complete",
  "errored",
  "cancelled",
  "unknown"
)
/**
 * @since 0.1.0
 * @category models
 */
export type RunStatus = typeof RunStatus.Type

/**
 * Run statuses that will not change any more.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isTerminal = (status: RunStatus): boolean =>
  status === "complete" || status === "errored" || status === "cancelled"

/**
 * Step statuses that will not change any more.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isSettled = (status: Status): boolean =>
  status === "complete" || status === "errored" || status === "cancelled"

/**
 * ISO 8601 UTC timestamp, `Z` suffix; fractional seconds as the provider gave them.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Timestamp = Schema.String.pipe(
  Schema.pattern(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/),
  Schema.annotations({ description: "ISO 8601 UTC timestamp" })
)

const Millis = Schema.Int.pipe(Schema.nonNegative(), Schema.annotations({ description: "integer milliseconds" }))

/**
 * @since 0.1.0
 * @category schemas
 */
export const StepError = Schema.Struct({
  name: Schema.String,
  message: Schema.String
})
/**
 * @since 0.1.0
 * @category models
 */
export type StepError = typeof StepError.Type

/**
 * A provider's error value as a record's `error`: a string becomes `{ name: "Error", message }`,
 * an object with a message keeps its name, anything else is kept readable as JSON.
 *
 * @since 0.1.0
 * @category constructors
 */
export const errorOf = (error: unknown): StepError | null => {
  if (error === null || error === undefined || error === "") return null
  if (typeof error === "string") return { name: "Error", message: error }
  if (typeof error === "object" && !Array.isArray(error) && typeof (error as { message?: unknown }).message === "string") {
    const { message, name } = error as { message: string; name?: unknown }
    return { name: typeof name === "string" ? name : "Error", message }
  }
  return { name: "Error", message: Json.stringify(error) }
}

/**
 * One attempt of a retried step (Cloudflare `attempts[]`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Attempt = Schema.Struct({
  started_at: Schema.NullOr(Timestamp),
  ended_at: Schema.NullOr(Timestamp),
  duration_ms: Schema.NullOr(Millis),
  success: Schema.NullOr(Schema.Boolean),
  error: Schema.NullOr(StepError)
})
/**
 * @since 0.1.0
 * @category models
 */
export type Attempt = typeof Attempt.Type

/**
 * The retry configuration a step ran with, as the provider states it (Cloudflare `config`).
 * Durations stay as given (`"10 seconds"`, a number of ms, or `"[dynamic]"`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const RetryConfig = Schema.Struct({
  limit: Schema.NullOr(Schema.Number),
  delay: Schema.NullOr(Schema.Union(Schema.String, Schema.Number)),
  backoff: Schema.NullOr(Schema.String),
  timeout: Schema.NullOr(Schema.Union(Schema.String, Schema.Number))
})
/**
 * @since 0.1.0
 * @category models
 */
export type RetryConfig = typeof RetryConfig.Type

/**
 * Model token usage found in a step's output (Orchestra model nodes).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Usage = Schema.Struct({
  prompt_tokens: Schema.NullOr(Schema.Number),
  completion_tokens: Schema.NullOr(Schema.Number),
  total_tokens: Schema.NullOr(Schema.Number)
})
/**
 * @since 0.1.0
 * @category models
 */
export type Usage = typeof Usage.Type

/**
 * Any JSON value, `null` included, but present: a missing key (or `undefined`, which
 * `JSON.stringify` would drop from the line) is refused, as the JSON Schema requires it.
 */
const JsonValue = Schema.Unknown.pipe(
  Schema.filter((value) => value !== undefined, { message: () => "is missing (null when there is none)", jsonSchema: {} })
)

const field = <S extends Schema.Schema.Any>(schema: S, description: string) =>
  schema.annotations({ description }) as S

/**
 * @since 0.1.0
 * @category schemas
 */
export const StepRecord = Schema.Struct({
  schema_version: field(Schema.Literal(SCHEMA_VERSION), "Record format version."),
  provider: Provider,
  account: field(
    Schema.NullOr(Schema.String),
    "Cloudflare account id, Onepin workspace id where known, otherwise null."
  ),
  workflow: field(Schema.String, "Workflow name or id as the provider names it."),
  run_id: field(Schema.String, "Instance id (Cloudflare) or run id."),
  step_index: field(
    Schema.Int.pipe(Schema.nonNegative()),
    "0-based position of the step in the run's history, oldest first."
  ),
  step_id: field(Schema.NullOr(Schema.String), "The provider's own id of this step execution, where it has one."),
  name: field(
    Schema.NullOr(Schema.String),
    "Step name as logged (Cloudflare, counter suffix included) or node id; null only for a Cloudflare termination."
  ),
  kind: Kind,
  node_type: field(Schema.NullOr(Schema.String), "Node type (Onepin), otherwise null."),
  display_name: field(Schema.NullOr(Schema.String), "Human-readable node name (Onepin), otherwise null."),
  iteration: field(Schema.NullOr(Schema.Int), "Repeat number of a node executed more than once (Onepin), otherwise null."),
  status: Status,
  provider_status: field(Schema.NullOr(Schema.String), "The provider's own status word, or null where it has none."),
  started_at: Schema.NullOr(Timestamp),
  ended_at: Schema.NullOr(Timestamp),
  duration_ms: Schema.NullOr(Millis),
  attempts: field(Schema.NullOr(Schema.Array(Attempt)), "Attempts of a retried step (Cloudflare), otherwise null."),
  retry_config: field(Schema.NullOr(RetryConfig), "Retry configuration of the step (Cloudflare), otherwise null."),
  input: field(JsonValue, "The step's input as the provider gave it (Orchestra inputs), otherwise null."),
  output: field(
    JsonValue,
    "The step's output: JSON value as the provider gave it, base64 text when output_encoding is base64."
  ),
  output_encoding: field(
    Schema.Literal("json", "base64"),
    "json: output is a JSON value; base64: output is the base64 of raw bytes (a binary stream)."
  ),
  output_truncated: field(
    Schema.Boolean,
    "True when output is the provider's preview and the full output was not fetched."
  ),
  output_redacted: field(Schema.Boolean, "True when the provider withheld a sensitive output ('[REDACTED]')."),
  usage: field(Schema.NullOr(Usage), "Model token usage found in the output, otherwise null."),
  error: Schema.NullOr(StepError),
  trigger: field(Schema.NullOr(Schema.String), "What terminated the run (Cloudflare termination), otherwise null."),
  run_status: field(RunStatus, "Normalized status of the run when it was exported."),
  workflow_id: field(
    Schema.NullOr(Schema.String),
    "The workflow id the run belongs to, where a run is addressed by more than its id (Temporal), otherwise null."
  )
}).annotations({
  identifier: "StepRecord",
  title: "steptrail step record",
  description: "One step of one workflow run, normalized across providers (one NDJSON line)."
})

/**
 * @since 0.1.0
 * @category models
 */
export interface StepRecord extends Schema.Schema.Type<typeof StepRecord> {}

/**
 * What a provider must state to make a record: who the run is, where the step sits in it,
 * its kind and status. Every other field is optional and defaults to null, except
 * `schema_version` (the current one), `output_encoding` (`json`) and `output_truncated` /
 * `output_redacted` (false).
 *
 * @since 0.2.0
 * @category models
 */
export type Fields =
  & Pick<StepRecord, "provider" | "workflow" | "run_id" | "step_index" | "kind" | "status" | "run_status">
  & { readonly [K in Exclude<keyof StepRecord, Required>]?: StepRecord[K] | undefined }

type Required = "provider" | "workflow" | "run_id" | "step_index" | "kind" | "status" | "run_status"

/**
 * A record from what the provider knows, every other field at its default, keys in the
 * Schema's order: one `Json.stringify` of it is a contract line, and records built by it
 * share one shape. A whole record goes through unchanged (the NDJSON encoder normalizes
 * every record with it).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (r: Fields): StepRecord => ({
  schema_version: r.schema_version ?? SCHEMA_VERSION,
  provider: r.provider,
  account: r.account ?? null,
  workflow: r.workflow,
  run_id: r.run_id,
  step_index: r.step_index,
  step_id: r.step_id ?? null,
  name: r.name ?? null,
  kind: r.kind,
  node_type: r.node_type ?? null,
  display_name: r.display_name ?? null,
  iteration: r.iteration ?? null,
  status: r.status,
  provider_status: r.provider_status ?? null,
  started_at: r.started_at ?? null,
  ended_at: r.ended_at ?? null,
  duration_ms: r.duration_ms ?? null,
  attempts: r.attempts ?? null,
  retry_config: r.retry_config ?? null,
  input: r.input ?? null,
  output: r.output ?? null,
  output_encoding: r.output_encoding ?? "json",
  output_truncated: r.output_truncated ?? false,
  output_redacted: r.output_redacted ?? false,
  usage: r.usage ?? null,
  error: r.error ?? null,
  trigger: r.trigger ?? null,
  run_status: r.run_status,
  workflow_id: r.workflow_id ?? null
})

/**
 * The run a record belongs to, as a `RunRef` describes it.
 *
 * @since 0.2.0
 * @category models
 */
export interface RunOf {
  readonly provider: string
  readonly account: string | null
  readonly workflow: string
  readonly id: string
  readonly status: RunStatus
}

/**
 * What a step states beside its run, its place and its kind: a status, and whatever else it
 * knows. `duration_ms` left out is derived from `started_at` and `ended_at`.
 *
 * @since 0.2.0
 * @category models
 */
export type StepFields = Omit<Fields, "provider" | "account" | "workflow" | "run_id" | "run_status" | "step_index" | "kind">

/**
 * Builders of a run's records, one per kind: `StepRecord.of(run).sleep(3, { status, ... })`
 * fills in the run's identity and status, the kind, the defaults of `make`, and the duration
 * from the timestamps unless given.
 *
 * @since 0.2.0
 * @category constructors
 */
export const of = (run: RunOf): { readonly [K in Kind]: (index: number, fields: StepFields) => StepRecord } => {
  const build = (kind: Kind) => (index: number, fields: StepFields): StepRecord =>
    make({
      ...fields,
      provider: run.provider,
      account: run.account,
      workflow: run.workflow,
      run_id: run.id,
      step_index: index,
      kind,
      duration_ms: fields.duration_ms !== undefined
        ? fields.duration_ms
        : durationMillis(fields.started_at ?? null, fields.ended_at ?? null),
      run_status: run.status
    })
  return Object.fromEntries(Kind.literals.map((kind) => [kind, build(kind)])) as never
}

/**
 * The key an export never writes twice into one output.
 *
 * @since 0.1.0
 * @category keys
 */
export const key = (record: StepRecord): string =>
  JSON.stringify([record.provider, record.account, record.workflow, record.run_id, record.step_index])

/**
 * The record's JSON Schema, derived from the Schema above.
 *
 * @since 0.1.0
 * @category schemas
 */
export const jsonSchema = (): JSONSchema.JsonSchema7Root => JSONSchema.make(StepRecord)
