/**
 * The executions of workflow nodes that node-based providers (Orchestra, Onepin and the like)
 * report, and their records (`kind: "node"`).
 *
 * @since 0.1.0
 */
import * as StepRecord from "./StepRecord.js"
import * as Timestamp from "./Timestamp.js"

/**
 * One execution of a workflow node, as node-based providers (Orchestra, Onepin) report it.
 *
 * @since 0.1.0
 * @category models
 */
export interface NodeExecution {
  /** The provider's id of this execution. */
  readonly id: string | null
  /** The node's id: the record's `name`. */
  readonly node: string
  readonly type?: string | null | undefined
  readonly displayName?: string | null | undefined
  readonly iteration?: number | null | undefined
  readonly status: StepRecord.Status
  readonly providerStatus: string | null
  readonly startedAt: string | null
  readonly endedAt: string | null
  /** Default: from the two timestamps. */
  readonly durationMs?: number | null | undefined
  readonly input?: unknown
  readonly output: unknown
  readonly outputTruncated?: boolean | undefined
  readonly usage?: StepRecord.Usage | null | undefined
  readonly error: StepRecord.StepError | null
}

/**
 * The record of a node execution (`kind: "node"`) of a run, at `index` in its history.
 *
 * @since 0.1.0
 * @category constructors
 */
export const toRecord = (
  run: { readonly provider: string; readonly account: string | null; readonly workflow: string; readonly id: string; readonly status: StepRecord.RunStatus },
  index: number,
  n: NodeExecution
): StepRecord.StepRecord => ({
  schema_version: StepRecord.SCHEMA_VERSION,
  provider: run.provider,
  account: run.account,
  workflow: run.workflow,
  run_id: run.id,
  step_index: index,
  step_id: n.id,
  name: n.node,
  kind: "node",
  node_type: n.type ?? null,
  display_name: n.displayName ?? null,
  iteration: n.iteration ?? null,
  status: n.status,
  provider_status: n.providerStatus,
  started_at: n.startedAt,
  ended_at: n.endedAt,
  duration_ms: n.durationMs !== undefined ? n.durationMs : Timestamp.durationMillis(n.startedAt, n.endedAt),
  attempts: null,
  retry_config: null,
  input: n.input ?? null,
  output: n.output ?? null,
  output_encoding: "json",
  output_truncated: n.outputTruncated ?? false,
  output_redacted: false,
  usage: n.usage ?? null,
  error: n.error,
  trigger: null,
  run_status: run.status
})
