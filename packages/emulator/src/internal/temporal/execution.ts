/**
 * Executions as histories: how one starts (its started event and first
 * workflow task), and the children an execution starts, written into the
 * parent's history from initiated to their outcome while their own history is
 * built beside it.
 *
 * @internal
 */
import { Rng, Tag } from "../random.js"
import { Builder, type Event } from "./history.js"
import type { Key, Part } from "./model.js"
import { CHILD_TYPE, runIdOf, taskQueue, workflowIdOf } from "./model.js"
import type { Payloads } from "./payloads.js"
import { Scenes } from "./scenes.js"

export interface Execution {
  readonly key: Key
  readonly live: boolean
  readonly workflowId: string
  readonly runId: string
  readonly type: string
  readonly start: number
  readonly events: ReadonlyArray<Event>
  readonly firstRunId: string
  readonly parent?: { readonly workflowId: string; readonly runId: string }
  readonly root: { readonly workflowId: string; readonly runId: string }
  readonly memo?: unknown
  readonly searchAttributes?: unknown
  /** The workflow execution timeout, when one is set. */
  readonly timeoutMs?: number
}

export const MAIN_WORKER = "4711@orders-worker-5d8f7c9b4-x2kqp@"
const CHILD_WORKER = "1@shipments-worker-0@"

/** Which run an execution belongs to, and how its data is written. */
export interface Ids {
  readonly seed: number
  readonly ordinal: number
  readonly live: boolean
  readonly encrypted: boolean
}

/** An execution being written: its scenes and its ids. */
export interface Started {
  readonly s: Scenes
  readonly workflowId: string
  readonly runId: string
}

/** A builder with the execution's started event (its attributes made with the run's data converter) and first workflow task written. */
export const begin = (
  ids: Ids,
  part: Part,
  start: number,
  attrs: (s: Scenes) => Record<string, unknown>,
  worker: string,
  sdk: string
): Started => {
  const b = new Builder(start, Rng.at(ids.seed, Tag.tmEvent, ids.ordinal, typeof part === "number" ? 10 + part : part === "main" ? 0 : 1), worker)
  const s = new Scenes(b, ids.encrypted, ids.live, sdk)
  const workflowId = workflowIdOf(ids.seed, ids.ordinal, part)
  const runId = runIdOf(ids.seed, ids.ordinal, part)
  b.add("WorkflowExecutionStarted", {
    taskQueue,
    workflowTaskTimeout: "10s",
    originalExecutionRunId: runId,
    identity: "api-gateway@checkout-7f9c",
    firstExecutionRunId: runId,
    attempt: 1,
    workflowId,
    ...attrs(s)
  })
  b.wft()
  return { s, workflowId, runId }
}

export const execution = (ids: Ids, part: Part, started: Started, type: string, extra: Partial<Execution> = {}): Execution => ({
  key: { ordinal: ids.ordinal, part },
  live: ids.live,
  workflowId: started.workflowId,
  runId: started.runId,
  type,
  start: started.s.b.events[0]!.ms,
  events: started.s.b.events,
  firstRunId: started.runId,
  root: { workflowId: started.workflowId, runId: started.runId },
  ...extra
})

export interface ChildResult {
  readonly execution: Execution
  readonly result?: Payloads
  readonly failure?: Record<string, unknown>
}

/** Child `k`: packs and books a carrier, and fails when the carrier refuses. */
const child = (ids: Ids, k: number, start: number, parent: Started, initiatedId: number, namespace: string, fails: boolean): ChildResult => {
  const parentRef = { workflowId: parent.workflowId, runId: parent.runId }
  const c = begin(ids, k, start, (s) => ({
    workflowType: { name: CHILD_TYPE },
    parentWorkflowNamespace: namespace,
    parentWorkflowExecution: parentRef,
    parentInitiatedEventId: String(initiatedId),
    taskQueue: { name: "shipments", kind: "TASK_QUEUE_KIND_NORMAL" },
    input: s.values({ parcels: k + 1 }),
    rootWorkflowExecution: parentRef
  }), CHILD_WORKER, "TypeScriptSDK")
  c.s.activity("PackItems", c.s.values({ parcels: k + 1 }), { kind: "completed", result: c.s.value({ boxes: k + 1 }) })
  const booked = c.s.activity("BookCarrier", c.s.values({ carrier: "ups" }), fails
    ? { kind: "failed", attempts: 3 }
    : { kind: "completed", result: c.s.value({ tracking: `1Z${c.s.rng.hex(12).toUpperCase()}` }) })
  let result: Payloads | undefined
  let failure: Record<string, unknown> | undefined
  if (fails) {
    failure = c.s.activityTaskFailed(booked, "BookCarrier")
    c.s.failed(failure)
  } else {
    result = c.s.values({ shipped: true, parcels: k + 1 })
    c.s.completed(result)
  }
  return { execution: execution(ids, k, c, CHILD_TYPE, { parent: parentRef, root: parentRef }), result, failure }
}

/** Writes a child workflow into the parent's history, from initiated to its outcome; returns its execution. */
export const spawn = (ids: Ids, run: Started, k: number, namespace: string, fails: boolean): ChildResult => {
  const b = run.s.b
  const workflowId = workflowIdOf(ids.seed, ids.ordinal, k)
  const initiated = b.add("StartChildWorkflowExecutionInitiated", {
    namespace,
    workflowId,
    workflowType: { name: CHILD_TYPE },
    taskQueue: { name: "shipments", kind: "TASK_QUEUE_KIND_NORMAL" },
    input: run.s.values({ parcels: k + 1 }),
    workflowTaskTimeout: "10s",
    parentClosePolicy: "PARENT_CLOSE_POLICY_TERMINATE",
    workflowTaskCompletedEventId: String(b.wftDone),
    workflowIdReusePolicy: "WORKFLOW_ID_REUSE_POLICY_ALLOW_DUPLICATE"
  }, { after: 1 })
  const c = child(ids, k, b.t + run.s.rng.int(8, 40), run, initiated, namespace, fails)
  const execution_ = { workflowId, runId: c.execution.runId }
  const common = { namespace, workflowExecution: execution_, workflowType: { name: CHILD_TYPE }, initiatedEventId: String(initiated) }
  b.t = c.execution.start + run.s.rng.int(3, 15)
  const started = b.add("ChildWorkflowExecutionStarted", { namespace, initiatedEventId: String(initiated), workflowExecution: execution_, workflowType: { name: CHILD_TYPE } })
  b.wft()
  b.t = Math.max(b.t, c.execution.events[c.execution.events.length - 1]!.at) + run.s.rng.int(5, 30)
  if (fails) b.add("ChildWorkflowExecutionFailed", { failure: c.failure, ...common, startedEventId: String(started), retryState: "RETRY_STATE_RETRY_POLICY_NOT_SET" })
  else b.add("ChildWorkflowExecutionCompleted", { result: c.result, ...common, startedEventId: String(started) })
  b.wft()
  return c
}
