import { Json, StatusTable, StepRecord, Timestamp, type WorkflowProvider } from "@steptrail/core"
import type { Event, ExecutionInfo } from "../TemporalSchema.js"

type Obj = Record<string, unknown>
const obj = (u: unknown): Obj => (typeof u === "object" && u !== null && !Array.isArray(u) ? u as Obj : {})
const str = (u: unknown): string | null => (typeof u === "string" && u !== "" ? u : null)
const text = (b64: unknown): string => Buffer.from(typeof b64 === "string" ? b64 : "", "base64").toString("utf8")

const runStatuses = StatusTable.make<StepRecord.RunStatus>({
  Running: "running",
  Completed: "complete",
  ContinuedAsNew: "complete",
  Failed: "errored",
  TimedOut: "errored",
  Canceled: "cancelled",
  Terminated: "cancelled"
})

/**
 * `WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW` as the query's word, `ContinuedAsNew`.
 *
 * @internal
 */
export const statusWord = (status: string | undefined): string | null =>
  status === undefined
    ? null
    : status.replace(/^WORKFLOW_EXECUTION_STATUS_/, "").toLowerCase().replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase())

/** @internal */
export const toRunRef = (namespace: string, workflow: string, info: ExecutionInfo): WorkflowProvider.RunRef => {
  const word = statusWord(info.status)
  const status = runStatuses(word) ?? "unknown"
  const { runId, workflowId } = info.execution
  return {
    provider: "temporal", account: namespace, workflow, id: runId, status, providerStatus: word, terminal: StepRecord.isTerminal(status),
    createdAt: Timestamp.normalize(info.startTime), updatedAt: Timestamp.normalize(info.closeTime), locator: `${workflowId}/${runId}`,
    // every event lengthens the history: an incremental export skips a run that did not grow
    version: info.historyLength === undefined ? null : `${word}/${info.historyLength}`
  }
}

/**
 * A payload decoded: `json/plain` as its JSON (big numbers exact), `binary/null` as null,
 * `binary/plain` as base64, anything else (a codec's encryption) kept whole with its encoding.
 *
 * @internal
 */
export const payload = (p: unknown): { readonly value: unknown; readonly base64: boolean } => {
  const { data, metadata } = obj(p)
  const encoding = text(obj(metadata)["encoding"])
  if (encoding === "json/plain") {
    try {
      return { value: Json.parse(text(data)), base64: false }
    } catch {
      // not JSON after all: kept whole, as an unknown encoding is
    }
  }
  if (encoding === "binary/null") return { value: null, base64: false }
  if (encoding === "binary/plain") return { value: data ?? "", base64: true }
  return { value: { encoding, payload: p }, base64: false }
}

/**
 * A `Payloads`: one payload as its value, several as an array (a base64 one inside kept whole).
 *
 * @internal
 */
export const payloads = (u: unknown): { readonly output: unknown; readonly output_encoding: "json" | "base64" } => {
  const list = obj(u)["payloads"]
  if (!Array.isArray(list) || list.length === 0) return { output: null, output_encoding: "json" }
  if (list.length === 1) {
    const one = payload(list[0])
    return { output: one.value, output_encoding: one.base64 ? "base64" : "json" }
  }
  return { output: list.map((p) => (payload(p).base64 ? { encoding: "binary/plain", payload: p } : payload(p).value)), output_encoding: "json" }
}

const input = (u: unknown) => payloads(u).output

/** A Temporal `Failure`: its type (or the failure info's kind) and message. */
const failure = (u: unknown): StepRecord.StepError | null => {
  const f = obj(u)
  if (str(f["message"]) === null) return null
  const info = Object.keys(f).find((k) => k.endsWith("FailureInfo"))
  const type = str(obj(f["applicationFailureInfo"])["type"]) ?? (info === undefined ? null : info[0]!.toUpperCase() + info.slice(1, -4))
  return { name: type ?? "Failure", message: f["message"] as string }
}

interface Item {
  readonly kind: StepRecord.Kind
  fields: StepRecord.StepFields
  open: boolean
  /** An activity's last attempt: its number, start, and the failure of the one before. */
  attempt?: { readonly n: number; readonly at: string | null; readonly lastFailure: StepRecord.StepError | null }
}
type Fields = Partial<StepRecord.StepFields>

// Events that open a record, with the attributes they carry
const OPENERS: Record<string, { readonly kind: StepRecord.Kind; readonly open: (a: Obj) => StepRecord.StepFields }> = {
  ACTIVITY_TASK_SCHEDULED: {
    kind: "step",
    open: (a) => {
      const r = obj(a["retryPolicy"])
      const n = (k: string) => (typeof r[k] === "number" ? r[k] as number : null)
      const backoff = n("backoffCoefficient")
      return {
        name: str(obj(a["activityType"])["name"]),
        step_id: str(a["activityId"]),
        status: "queued",
        input: input(a["input"]),
        retry_config: { limit: n("maximumAttempts"), delay: str(r["initialInterval"]), backoff: backoff === null ? null : String(backoff), timeout: str(a["startToCloseTimeout"]) }
      }
    }
  },
  TIMER_STARTED: { kind: "sleep", open: (a) => ({ name: str(a["timerId"]), status: "waiting", input: str(a["startToFireTimeout"]) }) },
  START_CHILD_WORKFLOW_EXECUTION_INITIATED: {
    kind: "child_workflow",
    open: (a) => ({ name: str(obj(a["workflowType"])["name"]), step_id: str(a["workflowId"]), status: "queued", input: input(a["input"]) })
  },
  WORKFLOW_EXECUTION_UPDATE_ACCEPTED: {
    kind: "update",
    open: (a) => {
      const request = obj(a["acceptedRequest"])
      return { name: str(obj(request["input"])["name"]), step_id: str(obj(request["meta"])["updateId"]), status: "running", input: input(obj(request["input"])["args"]) }
    }
  }
}

// Events that move an open record on: the attribute naming the opening event, the status, the rest
const CLOSERS: Record<string, { readonly ref: string; readonly status: StepRecord.Status; readonly done: (a: Obj) => Fields }> = {}
const closer = (types: ReadonlyArray<string>, ref: string, status: StepRecord.Status, done: (a: Obj) => Fields = () => ({})) => {
  for (const type of types) CLOSERS[type] = { ref, status, done }
}
const result = (key: string) => (a: Obj): Fields => payloads(a[key])
const failed = (a: Obj): Fields => ({ error: failure(a["failure"]) })
closer(["ACTIVITY_TASK_STARTED"], "scheduledEventId", "running")
closer(["ACTIVITY_TASK_COMPLETED"], "scheduledEventId", "complete", result("result"))
closer(["ACTIVITY_TASK_FAILED", "ACTIVITY_TASK_TIMED_OUT"], "scheduledEventId", "errored", failed)
closer(["ACTIVITY_TASK_CANCELED"], "scheduledEventId", "cancelled", result("details"))
closer(["TIMER_FIRED"], "startedEventId", "complete")
closer(["TIMER_CANCELED"], "startedEventId", "cancelled")
closer(["CHILD_WORKFLOW_EXECUTION_STARTED"], "initiatedEventId", "running")
closer(["CHILD_WORKFLOW_EXECUTION_COMPLETED"], "initiatedEventId", "complete", result("result"))
closer(["CHILD_WORKFLOW_EXECUTION_FAILED", "CHILD_WORKFLOW_EXECUTION_TIMED_OUT"], "initiatedEventId", "errored", failed)
closer(["CHILD_WORKFLOW_EXECUTION_CANCELED", "CHILD_WORKFLOW_EXECUTION_TERMINATED"], "initiatedEventId", "cancelled", result("details"))
closer(["START_CHILD_WORKFLOW_EXECUTION_FAILED"], "initiatedEventId", "errored", (a) => ({ error: { name: "StartChildWorkflowExecutionFailed", message: String(a["cause"]) } }))
closer(["WORKFLOW_EXECUTION_UPDATE_COMPLETED"], "acceptedEventId", "complete", (a) => {
  const outcome = obj(a["outcome"])
  return outcome["failure"] !== undefined ? { status: "errored", error: failure(outcome["failure"]) } : payloads(outcome["success"])
})

// Events that are a record of their own, settled when written
const INSTANT: Record<string, { readonly kind: StepRecord.Kind; readonly status: StepRecord.Status; readonly make: (a: Obj) => Fields }> = {
  WORKFLOW_EXECUTION_SIGNALED: { kind: "signal", status: "complete", make: (a) => ({ name: str(a["signalName"]), output: input(a["input"]) }) },
  MARKER_RECORDED: {
    kind: "marker",
    status: "complete",
    make: (a) => ({ name: str(a["markerName"]), output: Object.fromEntries(Object.entries(obj(a["details"])).map(([k, v]) => [k, input(v)])) })
  },
  WORKFLOW_EXECUTION_COMPLETED: { kind: "close", status: "complete", make: result("result") },
  WORKFLOW_EXECUTION_FAILED: { kind: "close", status: "errored", make: failed },
  WORKFLOW_EXECUTION_TIMED_OUT: { kind: "close", status: "errored", make: (a) => ({ error: { name: "TimedOut", message: String(a["retryState"] ?? "timed out") } }) },
  WORKFLOW_EXECUTION_CANCELED: { kind: "close", status: "cancelled", make: result("details") },
  WORKFLOW_EXECUTION_TERMINATED: {
    kind: "close",
    status: "cancelled",
    make: (a) => ({ ...payloads(a["details"]), error: str(a["reason"]) === null ? null : { name: "Terminated", message: a["reason"] as string }, trigger: str(a["identity"]) })
  },
  WORKFLOW_EXECUTION_CONTINUED_AS_NEW: { kind: "close", status: "complete", make: (a) => ({ output: { newExecutionRunId: str(a["newExecutionRunId"]) }, input: input(a["input"]) }) }
}

/**
 * An activity's attempts: those before the last are known only to have failed (the one just
 * before with its failure); the last has its times and outcome.
 *
 * @internal
 */
export const attemptsOf = (item: Item): Array<StepRecord.Attempt> | null => {
  if (item.attempt === undefined) return null
  const { at, lastFailure, n } = item.attempt
  const { ended_at = null, error = null, status } = item.fields
  const earlier = Array.from({ length: Math.max(0, n - 1) }, (_, i): StepRecord.Attempt => ({
    started_at: null, ended_at: null, duration_ms: null, success: false, error: i === n - 2 ? lastFailure : null
  }))
  const settled = StepRecord.isSettled(status)
  return [...earlier, { started_at: at, ended_at, duration_ms: Timestamp.durationMillis(at, ended_at), success: settled ? status === "complete" : null, error }]
}

/**
 * A run's history, fed a page at a time: `add` gives the records settled in order so far (a
 * record's index is its opening event's place), `flush` the rest once the history ends.
 *
 * @internal
 */
export const history = (run: WorkflowProvider.RunRef, workflowId: string) => {
  const records = StepRecord.of(run)
  const items: Array<Item> = []
  const byEvent = new Map<string, Item>()
  let emitted = 0
  const ready = (all: boolean): Array<StepRecord.StepRecord> => {
    const out: Array<StepRecord.StepRecord> = []
    while (emitted < items.length && (all || !items[emitted]!.open)) {
      const item = items[emitted]!
      out.push(records[item.kind](emitted++, { ...item.fields, attempts: attemptsOf(item), workflow_id: workflowId }))
    }
    return out
  }
  const add = (events: ReadonlyArray<Event>): Array<StepRecord.StepRecord> => {
    for (const event of events) {
      const type = event.eventType.replace(/^EVENT_TYPE_/, "")
      const attrs = obj(Object.entries(event).find(([k]) => k.endsWith("EventAttributes"))?.[1])
      const at = Timestamp.normalize(event.eventTime)
      const word = type.replace(/^(ACTIVITY_TASK|TIMER|CHILD_WORKFLOW_EXECUTION|WORKFLOW_EXECUTION_UPDATE|WORKFLOW_EXECUTION)_/, "")
      const opener = OPENERS[type]
      const closer = CLOSERS[type]
      const instant = INSTANT[type]
      if (opener !== undefined) {
        const item: Item = { kind: opener.kind, fields: { ...opener.open(attrs), provider_status: word, started_at: at }, open: true }
        items.push(item)
        byEvent.set(event.eventId, item)
      } else if (instant !== undefined) {
        items.push({ kind: instant.kind, fields: { status: instant.status, ...instant.make(attrs), provider_status: word, started_at: at, ended_at: at }, open: false })
      } else if (closer !== undefined) {
        const item = byEvent.get(String(attrs[closer.ref]))
        if (item === undefined) continue
        item.fields = { ...item.fields, status: closer.status, ...closer.done(attrs), provider_status: word }
        if (typeof attrs["attempt"] === "number") item.attempt = { n: attrs["attempt"], at, lastFailure: failure(attrs["lastFailure"]) }
        item.open = !StepRecord.isSettled(item.fields.status!)
        if (!item.open) item.fields = { ...item.fields, ended_at: at }
      }
    }
    return ready(false)
  }
  return { add, flush: () => ready(true) }
}
