/**
 * An execution as the server shows it at a virtual instant: the events
 * written by then, its status, its `WorkflowExecutionInfo` (list and
 * describe), the describe body with what is pending, and each event's body.
 * Bodies keep payload markers; `payloads.render` writes them.
 *
 * @internal
 */
import { hash, Tag } from "../random.js"
import { duration, timestamp } from "./format.js"
import type { Event } from "./history.js"
import { attributesKey, eventTypeName } from "./history.js"
import { CLOSE_EVENTS, Status, TASK_QUEUE, taskQueue } from "./model.js"
import type { Execution } from "./plan.js"

export interface View {
  readonly execution: Execution
  /** The events written by the cut. */
  readonly events: ReadonlyArray<Event>
  readonly status: string
  /** The closing event's time, when closed. */
  readonly closeMs: number | null
}

/** Live executions follow the virtual now; historic ones are seen whole. */
export const cutOf = (execution: Execution, now: number): number => (execution.live ? now : Infinity)

/** Listed (and found) once started. */
export const visible = (execution: Execution, now: number): boolean => execution.start <= cutOf(execution, now)

export const view = (execution: Execution, now: number): View => {
  const cut = cutOf(execution, now)
  let n = 0
  while (n < execution.events.length && execution.events[n]!.at <= cut) n++
  const events = execution.events.slice(0, n)
  const last = events[events.length - 1]
  const closed = last === undefined ? undefined : CLOSE_EVENTS[last.type]
  return { execution, events, status: closed ?? Status.running, closeMs: closed === undefined ? null : last!.ms }
}

const partCoordinate = (e: Execution): number => (e.key.part === "main" ? 0 : e.key.part === "next" ? 1 : 10 + e.key.part)

/**
 * Sub-millisecond digits, so event times carry 3, 6 or 9 fractional digits;
 * a function of the millisecond, so events written together (a workflow
 * task's commands) share their time exactly.
 */
const nanos = (seed: number, e: Execution, ms: number): number => {
  const h = hash(seed, Tag.tmEvent, e.key.ordinal, partCoordinate(e), ms % 1_000_000_007)
  return h % 4 === 0 ? 0 : h % 4 === 1 ? ((h >>> 2) % 1000) * 1000 : (h >>> 2) % 1_000_000
}

/** Task ids above 2^53: proto3 JSON writes them as strings, and a client must keep them so. */
const taskId = (seed: number, e: Execution, id: number): string =>
  (9_007_199_254_740_993n + BigInt(hash(seed, Tag.tmEvent, e.key.ordinal, partCoordinate(e)) % 1_000_000) * 4096n + BigInt(id) * 3n).toString()

export const eventBody = (seed: number, execution: Execution, e: Event): Record<string, unknown> => ({
  eventId: String(e.id),
  eventTime: timestamp(e.ms, nanos(seed, execution, e.ms)),
  eventType: eventTypeName(e.type),
  taskId: taskId(seed, execution, e.id),
  userMetadata: e.userMetadata,
  [attributesKey(e.type)]: e.attrs
})

const ref = (x: { readonly workflowId: string; readonly runId: string }) => ({ workflowId: x.workflowId, runId: x.runId })

/** `temporal.api.workflow.v1.WorkflowExecutionInfo` at the cut. */
export const info = (seed: number, v: View, namespaceId: string): Record<string, unknown> => {
  const e = v.execution
  const first = e.events[0]!
  const start = timestamp(first.ms, nanos(seed, e, first.ms))
  const closed = v.closeMs !== null
  return {
    execution: ref(e),
    type: { name: e.type },
    startTime: start,
    closeTime: closed ? timestamp(v.closeMs!, nanos(seed, e, v.closeMs!)) : undefined,
    status: v.status,
    historyLength: String(v.events.length),
    parentNamespaceId: e.parent === undefined ? undefined : namespaceId,
    parentExecution: e.parent === undefined ? undefined : ref(e.parent),
    executionTime: start,
    memo: e.memo,
    searchAttributes: e.searchAttributes,
    taskQueue: TASK_QUEUE,
    stateTransitionCount: String(v.events.length + Math.ceil(v.events.length / 3)),
    historySizeBytes: String(v.events.length * 317 + (hash(seed, e.key.ordinal) % 200)),
    executionDuration: closed ? duration(v.closeMs! - first.ms) : undefined,
    rootExecution: ref(e.root),
    firstRunId: e.firstRunId
  }
}

/** Activities scheduled and not closed by the cut; their started event (written later) says whether a worker has them. */
const ACTIVITY_CLOSES = new Set(["ActivityTaskCompleted", "ActivityTaskFailed", "ActivityTaskTimedOut", "ActivityTaskCanceled"])

const pendingActivities = (seed: number, v: View, now: number): Array<unknown> => {
  const closedIds = new Set<string>()
  for (const e of v.events) if (ACTIVITY_CLOSES.has(e.type)) closedIds.add(e.attrs["scheduledEventId"] as string)
  const out: Array<unknown> = []
  for (const e of v.events) {
    if (e.type !== "ActivityTaskScheduled" || closedIds.has(String(e.id))) continue
    const started = v.execution.events.find((x) => x.type === "ActivityTaskStarted" && x.attrs["scheduledEventId"] === String(e.id))
    const running = started !== undefined && started.ms <= now
    const policy = e.attrs["retryPolicy"] as { maximumAttempts: number }
    out.push({
      activityId: e.attrs["activityId"],
      activityType: e.attrs["activityType"],
      state: running ? "PENDING_ACTIVITY_STATE_STARTED" : "PENDING_ACTIVITY_STATE_SCHEDULED",
      lastStartedTime: running ? timestamp(started.ms, nanos(seed, v.execution, started.ms)) : undefined,
      attempt: running ? started.attrs["attempt"] : 1,
      maximumAttempts: policy.maximumAttempts,
      scheduledTime: timestamp(e.ms, nanos(seed, v.execution, e.ms)),
      lastWorkerIdentity: running ? started.attrs["identity"] : undefined
    })
  }
  return out
}

/** Children initiated and not closed by the cut. */
const pendingChildren = (v: View): Array<unknown> => {
  const out: Array<unknown> = []
  for (const e of v.events) {
    if (e.type !== "StartChildWorkflowExecutionInitiated") continue
    const id = String(e.id)
    const closed = v.events.some((x) => x.type.startsWith("ChildWorkflowExecution") && x.type !== "ChildWorkflowExecutionStarted" && x.attrs["initiatedEventId"] === id)
    if (closed) continue
    const started = v.events.find((x) => x.type === "ChildWorkflowExecutionStarted" && x.attrs["initiatedEventId"] === id)
    out.push({
      workflowId: e.attrs["workflowId"],
      runId: started === undefined ? undefined : (started.attrs["workflowExecution"] as { runId: string }).runId,
      workflowTypeName: (e.attrs["workflowType"] as { name: string }).name,
      initiatedId: id,
      parentClosePolicy: e.attrs["parentClosePolicy"]
    })
  }
  return out
}

const nonEmpty = <A>(xs: ReadonlyArray<A>): ReadonlyArray<A> | undefined => (xs.length === 0 ? undefined : xs)

/** `DescribeWorkflowExecutionResponse` at the cut. */
export const describe = (seed: number, v: View, namespaceId: string, now: number): Record<string, unknown> => {
  const e = v.execution
  const running = v.status === Status.running
  return {
    executionConfig: {
      taskQueue,
      workflowExecutionTimeout: e.timeoutMs === undefined ? undefined : duration(e.timeoutMs),
      defaultWorkflowTaskTimeout: "10s"
    },
    workflowExecutionInfo: info(seed, v, namespaceId),
    pendingActivities: running ? nonEmpty(pendingActivities(seed, v, now)) : undefined,
    pendingChildren: running ? nonEmpty(pendingChildren(v)) : undefined,
    workflowExtendedInfo: {
      executionExpirationTime: e.timeoutMs === undefined ? undefined : timestamp(e.start + e.timeoutMs),
      originalStartTime: timestamp(e.start, nanos(seed, e, e.start))
    }
  }
}
