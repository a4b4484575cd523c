import { describe, expect, it } from "@effect/vitest"
import { Json, RateBudget, StepRecord, WorkflowProvider } from "@steptrail/core"
import * as TestHttpClient from "@steptrail/core/TestHttpClient"
import { Chunk, Effect, Fiber, Redacted, Schema, Stream, TestClock } from "effect"
import { Temporal } from "../src/index.js"

const { json } = TestHttpClient
const isRecord = Schema.is(StepRecord.StepRecord)
const base = "https://ns.acct.tmprl.cloud"
const b64 = (s: string) => Buffer.from(s).toString("base64")
const payload = (encoding: string, data: string) => ({ metadata: { encoding: b64(encoding) }, data })
const jsonPayloads = (text: string) => ({ payloads: [payload("json/plain", b64(text))] })
const T = (s: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, s)).toISOString()

let id = 0
const event = (eventType: string, attributes: Record<string, unknown>, at = 0) => {
  id += 1
  const key = eventType.replace(/^EVENT_TYPE_/, "").toLowerCase().replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()) + "EventAttributes"
  return { eventId: String(id), eventTime: T(at), eventType, taskId: "9007199551889412", [key]: attributes }
}

/** A history of every kind of event the mapping knows, in the order a server writes them. */
const history = () => {
  id = 0
  return [
    event("EVENT_TYPE_WORKFLOW_EXECUTION_STARTED", { workflowType: { name: "OrderWorkflow" } }),
    event("EVENT_TYPE_ACTIVITY_TASK_SCHEDULED", {
      activityId: "1", activityType: { name: "Charge" }, input: jsonPayloads(`{"cents":18446744073709551617}`), startToCloseTimeout: "30s",
      retryPolicy: { initialInterval: "1s", backoffCoefficient: 2, maximumAttempts: 5 }
    }, 1),
    event("EVENT_TYPE_ACTIVITY_TASK_STARTED", { scheduledEventId: "2", attempt: 3, lastFailure: { message: "gateway 502", applicationFailureInfo: { type: "GatewayError" } } }, 5),
    event("EVENT_TYPE_ACTIVITY_TASK_COMPLETED", { scheduledEventId: "2", startedEventId: "3", result: { payloads: [payload("binary/plain", b64("\u0000\u0001raw"))] } }, 7),
    event("EVENT_TYPE_TIMER_STARTED", { timerId: "t1", startToFireTimeout: "20s" }, 7),
    event("EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED", { signalName: "addItem", input: jsonPayloads(`{"sku":"A"}`) }, 9),
    event("EVENT_TYPE_TIMER_FIRED", { timerId: "t1", startedEventId: "5" }, 27),
    event("EVENT_TYPE_MARKER_RECORDED", { markerName: "SideEffect", details: { data: jsonPayloads(`{"promo":"X"}`) } }, 27),
    event("EVENT_TYPE_START_CHILD_WORKFLOW_EXECUTION_INITIATED", { workflowId: "child-1", workflowType: { name: "Ship" }, input: jsonPayloads("1") }, 28),
    event("EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_STARTED", { initiatedEventId: "9", workflowExecution: { workflowId: "child-1", runId: "c" } }, 28),
    event("EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED", { initiatedEventId: "9", failure: { message: "no carrier", applicationFailureInfo: { type: "NoCarrier" } } }, 30),
    event("EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_ACCEPTED", {
      acceptedRequest: { meta: { updateId: "u-1" }, input: { name: "setAddress", args: { payloads: [payload("binary/encrypted", "AAEC")] } } }
    }, 31),
    event("EVENT_TYPE_WORKFLOW_EXECUTION_UPDATE_COMPLETED", { acceptedEventId: "12", outcome: { success: jsonPayloads("true") } }, 31),
    event("EVENT_TYPE_ACTIVITY_TASK_SCHEDULED", { activityId: "2", activityType: { name: "Notify" } }, 32),
    event("EVENT_TYPE_ACTIVITY_TASK_TIMED_OUT", { scheduledEventId: "14", failure: { message: "activity ScheduleToStart timeout", timeoutFailureInfo: {} } }, 40),
    event("EVENT_TYPE_WORKFLOW_EXECUTION_FAILED", { failure: { message: "Activity task failed", activityFailureInfo: {} } }, 41)
  ]
}

const run: WorkflowProvider.RunRef = {
  provider: "temporal", account: "payments", workflow: "OrderWorkflow", id: "run-1", status: "errored", providerStatus: "Failed",
  terminal: true, createdAt: T(0), updatedAt: T(41), locator: "order/7/run-1"
}

/** The provider over a test client answering `answer`. */
const provider = (answer: TestHttpClient.Answer, config: Partial<Temporal.Config> = {}) =>
  Effect.gen(function*() {
    const http = yield* TestHttpClient.make(answer)
    const service = yield* Temporal.make({ apiKey: Redacted.make("test-key-0123"), baseUrl: base, namespace: "payments", retry: { times: 0 }, ...config }).pipe(
      Effect.provide(http.layer)
    )
    return { service, seen: http.seen }
  }).pipe(Effect.provide(RateBudget.layer()))

/** A history served `size` events a page. */
const paged = (events: ReadonlyArray<unknown>, size: number): TestHttpClient.Answer => (url) => {
  const at = Number(url.searchParams.get("nextPageToken") ?? "0")
  const next = at + size < events.length ? { nextPageToken: String(at + size) } : {}
  return json(200, { history: { events: events.slice(at, at + size) }, ...next })
}

describe("Temporal", () => {
  it.scoped("maps every kind of event, one record per activity, timer, signal, marker, child, update and the close", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(paged(history(), 100))
      const records = yield* service.steps(run)
      expect(records.every(isRecord)).toBe(true)
      expect(records.map((r) => [r.step_index, r.kind, r.name, r.status])).toEqual([
        [0, "step", "Charge", "complete"],
        [1, "sleep", "t1", "complete"],
        [2, "signal", "addItem", "complete"],
        [3, "marker", "SideEffect", "complete"],
        [4, "child_workflow", "Ship", "errored"],
        [5, "update", "setAddress", "complete"],
        [6, "step", "Notify", "errored"],
        [7, "close", null, "errored"]
      ])
      for (const r of records) expect(r).toMatchObject({ provider: "temporal", account: "payments", workflow: "OrderWorkflow", run_id: "run-1", workflow_id: "order/7" })
      const [charge, timer, signal, marker, child, update, notify, close] = records
      expect(charge).toMatchObject({
        step_id: "1", provider_status: "COMPLETED", started_at: T(1), ended_at: T(7), duration_ms: 6000,
        retry_config: { limit: 5, delay: "1s", backoff: "2", timeout: "30s" },
        output: b64("\u0000\u0001raw"), output_encoding: "base64", error: null
      })
      expect(charge!.attempts).toEqual([
        { started_at: null, ended_at: null, duration_ms: null, success: false, error: null },
        { started_at: null, ended_at: null, duration_ms: null, success: false, error: { name: "GatewayError", message: "gateway 502" } },
        { started_at: T(5), ended_at: T(7), duration_ms: 2000, success: true, error: null }
      ])
      // a number past 2^53 keeps its digits
      expect(Json.stringify(charge!.input)).toBe(`{"cents":18446744073709551617}`)
      expect(timer).toMatchObject({ kind: "sleep", input: "20s", duration_ms: 20000, provider_status: "FIRED" })
      expect(signal).toMatchObject({ output: { sku: "A" }, duration_ms: 0 })
      expect(marker).toMatchObject({ output: { data: { promo: "X" } } })
      expect(child).toMatchObject({ step_id: "child-1", input: 1, error: { name: "NoCarrier", message: "no carrier" }, ended_at: T(30) })
      expect(update).toMatchObject({ step_id: "u-1", output: true, input: { encoding: "binary/encrypted", payload: payload("binary/encrypted", "AAEC") } })
      expect(notify).toMatchObject({ provider_status: "TIMED_OUT", error: { name: "TimeoutFailure", message: "activity ScheduleToStart timeout" }, attempts: null })
      expect(close).toMatchObject({ provider_status: "FAILED", error: { name: "ActivityFailure", message: "Activity task failed" } })
      const [request] = yield* seen
      expect(request!.url.pathname).toBe("/api/v1/namespaces/payments/workflows/order%2F7/history")
      expect(request!.url.searchParams.get("execution.runId")).toBe("run-1")
      expect(request!.url.searchParams.get("noPayloadShorthand")).toBe("true")
      expect(request!.headers.authorization).toBe("Bearer test-key-0123")
    }))

  it.scoped("follows the history's pages, a chunk per page, with records indexed by their first event", () =>
    Effect.gen(function*() {
      const events = history()
      const whole = yield* Effect.flatMap(provider(paged(events, 100)), ({ service }) => service.steps(run))
      const { seen, service } = yield* provider(paged(events, 3))
      const chunks = yield* Stream.runCollect(Stream.mapChunks(service.stepStream!(run), (c) => Chunk.of(Chunk.toReadonlyArray(c))))
      expect(Chunk.toReadonlyArray(chunks).flat()).toEqual(whole)
      expect((yield* seen).map((s) => s.url.searchParams.get("nextPageToken"))).toEqual([null, "3", "6", "9", "12", "15"])
      // the activity open across the first page's end waits for its close, and keeps index 0
      expect(Chunk.toReadonlyArray(chunks)[0]).toEqual([])
    }))

  it.scoped("an open history ends with its open records, running", () =>
    Effect.gen(function*() {
      const { service } = yield* provider(paged(history().slice(0, 5), 100))
      const records = yield* service.steps({ ...run, status: "running" })
      expect(records.map((r) => [r.kind, r.status, r.ended_at, r.run_status])).toEqual([
        ["step", "complete", T(7), "running"],
        ["sleep", "waiting", null, "running"]
      ])
    }))

  it.scoped("lists runs with the visibility query, paged, and looks runs up by WORKFLOW_ID/RUN_ID or their locator", () =>
    Effect.gen(function*() {
      const exec = (n: number, status = "WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW") => ({
        execution: { workflowId: `order/${n}`, runId: `r-${n}` }, type: { name: "OrderWorkflow" }, startTime: T(n), closeTime: T(n + 1), status,
        historyLength: String(10 + n)
      })
      const { seen, service } = yield* provider((url) =>
        url.pathname.endsWith("/workflows")
          ? json(200, url.searchParams.has("nextPageToken") ? { executions: [exec(2)] } : { executions: [exec(1)], nextPageToken: "p2" })
          : json(200, { workflowExecutionInfo: exec(9, "WORKFLOW_EXECUTION_STATUS_RUNNING") }), { query: "CustomerTier = 'gold'" })
      const runs = Chunk.toReadonlyArray(yield* Stream.runCollect(service.runs("OrderWorkflow", {
        status: ["ContinuedAsNew"], since: new Date(T(0)), until: new Date(T(60))
      })))
      expect(runs.map((r) => [r.id, r.locator, r.status, r.providerStatus, r.account, r.createdAt, r.version])).toEqual([
        ["r-1", "order/1/r-1", "complete", "ContinuedAsNew", "payments", T(1), "ContinuedAsNew/11"],
        ["r-2", "order/2/r-2", "complete", "ContinuedAsNew", "payments", T(2), "ContinuedAsNew/12"]
      ])
      const looked = yield* service.lookup("OrderWorkflow", ["order/9/r-9", "r-5", "order-latest"], { locators: new Map([["r-5", "order/5/r-5"]]) })
      expect(looked.map((r) => [r.id, r.status])).toEqual([["r-9", "running"], ["r-9", "running"], ["r-9", "running"]])
      const urls = (yield* seen).map((s) => s.url)
      expect(urls[0]!.searchParams.get("query")).toBe(
        "WorkflowType = 'OrderWorkflow' AND ExecutionStatus = 'ContinuedAsNew' AND StartTime >= '2026-01-01T00:00:00.000Z' AND StartTime < '2026-01-01T00:01:00.000Z' AND CustomerTier = 'gold'"
      )
      expect(urls[1]!.searchParams.get("nextPageToken")).toBe("p2")
      expect(urls.slice(2).map((u) => [u.pathname, u.searchParams.get("execution.runId")])).toEqual([
        ["/api/v1/namespaces/payments/workflows/order%2F9", "r-9"],
        ["/api/v1/namespaces/payments/workflows/order%2F5", "r-5"],
        ["/api/v1/namespaces/payments/workflows/order-latest", null]
      ])
    }))

  it.scoped("keeps a json/plain payload that is not JSON whole, and a Payloads of several as an array", () =>
    Effect.gen(function*() {
      id = 0
      const bad = payload("json/plain", b64("{oops"))
      const events = [
        event("EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED", { signalName: "s", input: { payloads: [bad] } }),
        event("EVENT_TYPE_WORKFLOW_EXECUTION_SIGNALED", {
          signalName: "t", input: { payloads: [payload("json/plain", b64("1")), payload("binary/null", ""), payload("binary/plain", "AQI=")] }
        })
      ]
      const { service } = yield* provider(paged(events, 10))
      const [s, t] = yield* service.steps(run)
      expect(s!.output).toEqual({ encoding: "json/plain", payload: bad })
      expect(t).toMatchObject({ output: [1, null, { encoding: "binary/plain", payload: payload("binary/plain", "AQI=") }], output_encoding: "json" })
    }))

  it("quotes the workflow type in the query, and keeps a raw query's OR inside it", () => {
    expect(Temporal.listQuery("it's")).toBe("WorkflowType = 'it\\'s'")
    expect(Temporal.listQuery("W", undefined, "WorkflowId = 'a' OR WorkflowId = 'b'")).toBe("WorkflowType = 'W' AND (WorkflowId = 'a' OR WorkflowId = 'b')")
  })

  it.scoped("needs no key on a loopback address, and one elsewhere", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(paged([], 10), { apiKey: undefined, baseUrl: "http://127.0.0.1:7243" })
      yield* service.steps(run)
      expect((yield* seen)[0]!.headers.authorization).toBeUndefined()
      const refused = yield* Effect.flip(provider(paged([], 10), { apiKey: undefined }))
      expect(refused._tag).toBe("Unauthorized")
    }))

  it.scoped("RESOURCE_EXHAUSTED (429, no Retry-After) pauses the key and is sent again, without using a retry", () =>
    Effect.gen(function*() {
      const events = history()
      const { seen, service } = yield* provider((url, count) =>
        count === 0 ? json(429, { code: 8, message: "namespace rate limit exceeded" }) : paged(events, 100)(url, count)
      )
      const fiber = yield* Effect.fork(service.steps(run))
      yield* TestClock.adjust("500 millis")
      expect(yield* seen).toHaveLength(1)
      yield* TestClock.adjust("2 seconds")
      expect(yield* Fiber.join(fiber)).toHaveLength(8)
      expect(yield* seen).toHaveLength(2)
    }))

  it.scoped("describes an error from grpc-gateway's body", () =>
    Effect.gen(function*() {
      const { service } = yield* provider(() => json(404, { code: 5, message: "workflow not found for ID: nope" }))
      const error = yield* Effect.flip(service.lookup("OrderWorkflow", ["nope"]))
      expect(error._tag).toBe("NotFound")
      expect(error.message).toContain("workflow not found for ID: nope")
    }))
})
