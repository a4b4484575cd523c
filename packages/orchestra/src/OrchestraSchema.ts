/**
 * The raw shapes of the Arcee Orchestra API, as its documents print them.
 *
 * Lenient on purpose: only the ids a record cannot do without are required, every other field
 * may be absent or null, status words are plain strings (an unknown word is data, not a
 * failure) and excess properties are ignored by the decoder.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

const opt = <S extends Schema.Schema.Any>(schema: S) => Schema.optional(Schema.NullOr(schema))

/** What a step and a run both report: status, timing, error, outputs and inputs. */
const execution = {
  id: Schema.String,
  status: opt(Schema.String),
  start_time: opt(Schema.String),
  end_time: opt(Schema.String),
  /** Whole seconds, per the document. */
  elapsed_time: opt(Schema.Number),
  error: Schema.optional(Schema.Unknown),
  outputs: Schema.optional(Schema.Unknown),
  inputs: Schema.optional(Schema.Unknown)
}

/**
 * One executed node of a run (`GET /workflows/{workflow_id}/runs/{run_id}/steps`, seed 003).
 *
 * `error` is documented as a string; anything else is kept and stringified by the mapping
 * rather than refused. `inputs`/`outputs` vary by node type, so they stay `unknown`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Step = Schema.Struct({
  ...execution,
  user_id: opt(Schema.String),
  organization_id: opt(Schema.String),
  node_id: Schema.String,
  step_metadata: Schema.optional(Schema.Unknown),
  /** Documented as always 0 for now; model usage lives in `outputs.usage`. */
  tokens: opt(Schema.Number)
})
/**
 * @since 0.1.0
 * @category models
 */
export interface Step extends Schema.Schema.Type<typeof Step> {}

/**
 * The steps endpoint: a bare array, one entry per executed node.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Steps = Schema.Array(Step)

/**
 * One run, as the run listing and the run lookup describe it.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Run = Schema.Struct(execution)
/**
 * @since 0.1.0
 * @category models
 */
export interface Run extends Schema.Schema.Type<typeof Run> {}

/**
 * The run listing (`GET /workflows/{workflow_id}/runs`): a bare array, newest first.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Runs = Schema.Array(Run)

/**
 * The run lookup: the documented example is a one-element array, so an object or an array
 * (of one, or none for a run that is not there) are both accepted.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RunLookup = Schema.Union(Run, Schema.Array(Run))
