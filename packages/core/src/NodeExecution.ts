/**
 * The executions of workflow nodes that node-based providers (Orchestra, Onepin and the like)
 * report, and their records (`kind: "node"`).
 *
 * @since 0.1.0
 */
import * as StepRecord from "./StepRecord.js"

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
export const toRecord = (run: StepRecord.RunOf, index: number, n: NodeExecution): StepRecord.StepRecord =>
  StepRecord.of(run).node(index, {
    step_id: n.id,
    name: n.node,
    node_type: n.type,
    display_name: n.displayName,
    iteration: n.iteration,
    status: n.status,
    provider_status: n.providerStatus,
    started_at: n.startedAt,
    ended_at: n.endedAt,
    duration_ms: n.durationMs,
    input: n.input,
    output: n.output,
    output_truncated: n.outputTruncated,
    usage: n.usage,
    error: n.error
  })
