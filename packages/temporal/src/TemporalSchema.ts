/**
 * The raw shapes of Temporal's HTTP API (proto3 JSON as grpc-gateway writes it: camelCase,
 * 64-bit integers as strings, enums by name, fields at their default left out).
 *
 * Lenient on purpose: only what a record cannot do without is required; an event's attributes
 * stay `unknown` and are read by the mapping, so an event type it does not know is skipped,
 * not refused.
 *
 * @since 0.3.0
 */
import { Schema } from "effect"

const Execution = Schema.Struct({ workflowId: Schema.String, runId: Schema.String })

/**
 * One execution, as ListWorkflowExecutions lists it and DescribeWorkflowExecution describes it.
 *
 * @since 0.3.0
 * @category schemas
 */
export const ExecutionInfo = Schema.Struct({
  execution: Execution,
  type: Schema.optional(Schema.Struct({ name: Schema.optional(Schema.String) })),
  startTime: Schema.optional(Schema.String),
  closeTime: Schema.optional(Schema.String),
  status: Schema.optional(Schema.String),
  historyLength: Schema.optional(Schema.String)
})
/**
 * @since 0.3.0
 * @category models
 */
export interface ExecutionInfo extends Schema.Schema.Type<typeof ExecutionInfo> {}

/**
 * @since 0.3.0
 * @category schemas
 */
export const ListPage = Schema.Struct({
  executions: Schema.optional(Schema.Array(ExecutionInfo)),
  nextPageToken: Schema.optional(Schema.String)
})

/**
 * @since 0.3.0
 * @category schemas
 */
export const Describe = Schema.Struct({ workflowExecutionInfo: ExecutionInfo })

/**
 * CountWorkflowExecutions: `{count}` (left out when 0).
 *
 * @since 0.3.0
 * @category schemas
 */
export const Count = Schema.Struct({ count: Schema.optional(Schema.String) })

/**
 * One history event: its id, time and type, and its `<type>EventAttributes` field.
 *
 * @since 0.3.0
 * @category schemas
 */
export const Event = Schema.Record({ key: Schema.String, value: Schema.Unknown }).pipe(
  Schema.extend(Schema.Struct({ eventId: Schema.String, eventTime: Schema.optional(Schema.String), eventType: Schema.String }))
)
/**
 * @since 0.3.0
 * @category models
 */
export type Event = typeof Event.Type

/**
 * @since 0.3.0
 * @category schemas
 */
export const HistoryPage = Schema.Struct({
  history: Schema.optional(Schema.Struct({ events: Schema.optional(Schema.Array(Event)) })),
  nextPageToken: Schema.optional(Schema.String)
})

/**
 * grpc-gateway's error body: `{code, message, details?}`.
 *
 * @since 0.3.0
 * @category schemas
 */
export const ErrorStatus = Schema.Struct({ code: Schema.optional(Schema.Number), message: Schema.String })
