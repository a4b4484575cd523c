/**
 * The raw shapes of the Onepin API, as its documents print them.
 *
 * Lenient on purpose: the fields the document lists as always present are required, every
 * other field may be absent or null, status words are plain strings (an unknown word is
 * data, not a failure) and excess properties are ignored by the decoder.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

const opt = <S extends Schema.Schema.Any>(schema: S) => Schema.optional(Schema.NullOr(schema))

/**
 * One node execution (`GET /workflows/{workflow_id}/runs/{run_id}/steps`, seed 004).
 *
 * `result` is null unless `include_result=true` was asked for (`has_result` then says
 * whether there was one). `error` is documented as a string; anything else is kept and
 * stringified by the mapping rather than refused.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Step = Schema.Struct({
  id: Schema.String,
  node_id: Schema.String,
  node_type: Schema.String,
  status: Schema.String,
  node_display_name: opt(Schema.String),
  /** Numbers the repeats of a node executed more than once. */
  iteration: opt(Schema.Number),
  started_at: opt(Schema.String),
  completed_at: opt(Schema.String),
  result: Schema.optional(Schema.Unknown),
  has_result: opt(Schema.Boolean),
  active_ports: Schema.optional(Schema.Unknown),
  error: Schema.optional(Schema.Unknown)
})
/**
 * @since 0.1.0
 * @category models
 */
export interface Step extends Schema.Schema.Type<typeof Step> {}

/**
 * @since 0.1.0
 * @category schemas
 */
export const Meta = Schema.Struct({
  request_id: opt(Schema.String),
  timestamp: opt(Schema.String)
})

/**
 * The steps endpoint: `{data, meta}`, entries in execution order, no pagination.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Steps = Schema.Struct({
  data: Schema.Array(Step),
  meta: opt(Meta)
})
/**
 * @since 0.1.0
 * @category models
 */
export interface Steps extends Schema.Schema.Type<typeof Steps> {}

/**
 * One run of the run listing.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Run = Schema.Struct({
  id: Schema.String,
  status: opt(Schema.String),
  run_number: opt(Schema.Number),
  total_steps: opt(Schema.Number),
  finished_steps: opt(Schema.Number),
  started_at: opt(Schema.String),
  completed_at: opt(Schema.String),
  created_at: opt(Schema.String)
})
/**
 * @since 0.1.0
 * @category models
 */
export interface Run extends Schema.Schema.Type<typeof Run> {}

/**
 * The listing's pagination block. `next`/`prev` are an offset or a URL depending on the
 * version of the API, so they are not relied on: `total` and the page length decide.
 *
 * @since 0.1.0
 * @category schemas
 */
export const PageInfo = Schema.Struct({
  next: Schema.optional(Schema.Unknown),
  prev: Schema.optional(Schema.Unknown),
  limit: opt(Schema.Number),
  total: opt(Schema.Number)
})

/**
 * The run listing (`GET /workflows/{workflow_id}/runs`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Runs = Schema.Struct({
  data: Schema.Array(Run),
  meta: opt(Meta),
  pagination: opt(PageInfo)
})
/**
 * @since 0.1.0
 * @category models
 */
export interface Runs extends Schema.Schema.Type<typeof Runs> {}

/**
 * Onepin's own error body: `{error: {code, message, details?: [{field, message}]}, meta}`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ErrorBody = Schema.Struct({
  error: Schema.Struct({
    code: opt(Schema.String),
    message: opt(Schema.String),
    details: opt(
      Schema.Array(
        Schema.Struct({
          field: opt(Schema.String),
          message: opt(Schema.String)
        })
      )
    )
  }),
  meta: Schema.optional(Schema.Unknown)
})
