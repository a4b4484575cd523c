import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Emulator } from "@steptrail/emulator"
import { bearer, expectKeys, get, manualClock, request, tm as path } from "./helpers.js"

/** A path of the emulator's namespace with query parameters (encoded, as page tokens need). */
const tm = (em: Emulator.Emulator, rest = "", params: Record<string, string> = {}) => {
  const q = new URLSearchParams(params).toString()
  return `${path(em, rest)}${q === "" ? "" : `?${q}`}`
}

const NOT_FOUND = "type.googleapis.com/temporal.api.errordetails.v1.NotFoundFailure"

/** Every page of a listing, following `nextPageToken` (bounded). */
const listAll = (em: Emulator.Emulator, params: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const pages: Array<any> = []
    let token: string | undefined
    for (let i = 0; i < 100; i++) {
      const r = yield* get(em, tm(em, "/workflows", { ...params, ...(token === undefined ? {} : { nextPageToken: token }) }))
      expect(r.status).toBe(200)
      pages.push(r.json)
      token = r.json.nextPageToken
      if (token === undefined) return pages
    }
    throw new Error("listing did not end")
  })

/** Every event of a run's history, following `nextPageToken` (bounded). */
const historyAll = (em: Emulator.Emulator, workflowId: string, params: Record<string, string> = {}) =>
  Effect.gen(function*() {
    const pages: Array<Array<any>> = []
    let token: string | undefined
    for (let i = 0; i < 200; i++) {
      const r = yield* get(em, tm(em, `/workflows/${encodeURIComponent(workflowId)}/history`, { ...params, ...(token === undefined ? {} : { nextPageToken: token }) }))
      expect(r.status).toBe(200)
      pages.push(r.json.history.events ?? [])
      token = r.json.nextPageToken
      if (token === undefined) return pages
    }
    throw new Error("history did not end")
  })

const attrs = (event: any) => event[Object.keys(event).find((k) => k.endsWith("EventAttributes"))!]

/** The encodings of every payload in a body written with `noPayloadShorthand`. */
const encodings = (value: unknown, out = new Set<string>()): Set<string> => {
  if (value === null || typeof value !== "object") return out
  const o = value as any
  if (o.metadata !== undefined && typeof o.metadata.encoding === "string") out.add(Buffer.from(o.metadata.encoding, "base64").toString())
  for (const v of Object.values(o)) encodings(v, out)
  return out
}

describe("Temporal", () => {
  it.scoped("lists executions in pages; a full page always carries a token; the count agrees", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const pages = yield* listAll(em, { pageSize: "40" })
      const executions = pages.flatMap((p) => p.executions ?? [])
      const count = (yield* get(em, tm(em, "/workflow-count"))).json.count
      expect(String(executions.length)).toBe(count)
      expect(pages.length).toBe(Math.ceil(executions.length / 40) + (executions.length % 40 === 0 ? 1 : 0))
      expect(new Set(executions.map((e: any) => e.execution.runId)).size).toBe(executions.length)
      for (const e of executions) {
        expect(typeof e.historyLength).toBe("string")
        expect(e.startTime).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{3}|\.\d{6}|\.\d{9})?Z$/)
      }
      // visibility's order: open executions first, then the latest closed
      const closeKey = (e: any) => (e.closeTime === undefined ? Infinity : Date.parse(e.closeTime))
      for (let i = 1; i < executions.length; i++) expect(closeKey(executions[i - 1])).toBeGreaterThanOrEqual(closeKey(executions[i]))
      expect(executions[0].status).toBe("WORKFLOW_EXECUTION_STATUS_RUNNING")
      expect(new Set(executions.map((e: any) => e.type.name))).toEqual(new Set(["OrderWorkflow", "ShipmentWorkflow"]))
      // a page exactly as long as what is left still has a token, and the next page is empty
      const children = Number((yield* get(em, tm(em, "/workflow-count", { query: "WorkflowType = 'ShipmentWorkflow'" }))).json.count)
      const exact = yield* listAll(em, { query: "WorkflowType = 'ShipmentWorkflow'", pageSize: String(children) })
      expect(exact.map((p) => p.executions?.length ?? 0)).toEqual([children, 0])
      expect(exact[1]).toEqual({})
      // no page size: up to 1000 at once
      expect((yield* get(em, tm(em, "/workflows"))).json.executions).toHaveLength(executions.length)
      // the route without /api/v1 is the same API
      const bare = yield* get(em, `${em.info.temporal.baseUrl}/namespaces/${em.info.temporal.namespace}/workflow-count`)
      expect(bare.json.count).toBe(count)
    }))

  it.scoped("pages a history by maximumPageSize; the default page is 256 events", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const fx = em.fixtures.temporal.runs
      const whole = (yield* historyAll(em, fx.showcase!.workflowId)).flat()
      const paged = yield* historyAll(em, fx.showcase!.workflowId, { maximumPageSize: "7" })
      expect(paged.slice(0, -1).every((p) => p.length === 7)).toBe(true)
      expect(paged.flat()).toEqual(whole)
      expect(whole.map((e) => e.eventId)).toEqual(whole.map((_, i) => String(i + 1)))
      const long = yield* historyAll(em, fx.longHistory!.workflowId)
      expect(long.length).toBeGreaterThan(2)
      expect(long[0]).toHaveLength(256)
      expect(long.flat().at(-1).eventType).toBe("EVENT_TYPE_WORKFLOW_EXECUTION_COMPLETED")
      const closeOnly = yield* get(em, tm(em, `/workflows/${fx.longHistory!.workflowId}/history`, { historyEventFilterType: "HISTORY_EVENT_FILTER_TYPE_CLOSE_EVENT" }))
      expect(closeOnly.json.history.events.map((e: any) => e.eventId)).toEqual([long.flat().at(-1).eventId])
    }))

  it.scoped("the seeded histories hold every event kind, retries, every close status and every payload encoding", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const executions = (yield* listAll(em)).flatMap((p) => p.executions ?? [])
      const types = new Set<string>()
      const seen = new Set<string>()
      const events: Array<any> = []
      for (const e of executions) {
        const history = (yield* historyAll(em, e.execution.workflowId, { "execution.runId": e.execution.runId, noPayloadShorthand: "" })).flat()
        for (const event of history) {
          types.add(event.eventType)
          events.push(event)
        }
        encodings(history, seen)
      }
      const kinds = [
        "WORKFLOW_EXECUTION_STARTED", "WORKFLOW_TASK_SCHEDULED", "WORKFLOW_TASK_STARTED", "WORKFLOW_TASK_COMPLETED",
        "ACTIVITY_TASK_SCHEDULED", "ACTIVITY_TASK_STARTED", "ACTIVITY_TASK_COMPLETED", "ACTIVITY_TASK_FAILED",
        "ACTIVITY_TASK_TIMED_OUT", "ACTIVITY_TASK_CANCEL_REQUESTED", "ACTIVITY_TASK_CANCELED",
        "TIMER_STARTED", "TIMER_FIRED", "TIMER_CANCELED", "WORKFLOW_EXECUTION_SIGNALED", "MARKER_RECORDED",
        "START_CHILD_WORKFLOW_EXECUTION_INITIATED", "CHILD_WORKFLOW_EXECUTION_STARTED", "CHILD_WORKFLOW_EXECUTION_COMPLETED",
        "CHILD_WORKFLOW_EXECUTION_FAILED", "WORKFLOW_EXECUTION_UPDATE_ACCEPTED", "WORKFLOW_EXECUTION_UPDATE_COMPLETED",
        "WORKFLOW_EXECUTION_COMPLETED", "WORKFLOW_EXECUTION_FAILED", "WORKFLOW_EXECUTION_TIMED_OUT",
        "WORKFLOW_EXECUTION_TERMINATED", "WORKFLOW_EXECUTION_CONTINUED_AS_NEW", "WORKFLOW_EXECUTION_CANCEL_REQUESTED",
        "WORKFLOW_EXECUTION_CANCELED"
      ]
      for (const kind of kinds) expect(types, kind).toContain(`EVENT_TYPE_${kind}`)
      expect(new Set(executions.map((e: any) => e.status))).toEqual(new Set([
        "WORKFLOW_EXECUTION_STATUS_RUNNING", "WORKFLOW_EXECUTION_STATUS_COMPLETED", "WORKFLOW_EXECUTION_STATUS_FAILED",
        "WORKFLOW_EXECUTION_STATUS_CANCELED", "WORKFLOW_EXECUTION_STATUS_TERMINATED",
        "WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW", "WORKFLOW_EXECUTION_STATUS_TIMED_OUT"
      ]))
      for (const encoding of ["json/plain", "binary/plain", "binary/encrypted", "binary/null"]) expect(seen).toContain(encoding)
      const retried = events.filter((e) => e.eventType === "EVENT_TYPE_ACTIVITY_TASK_STARTED" && attrs(e).attempt > 1)
      expect(retried.length).toBeGreaterThan(0)
      for (const e of retried) expect(attrs(e).lastFailure.message).toEqual(expect.any(String))
      const markers = new Set(events.filter((e) => e.eventType === "EVENT_TYPE_MARKER_RECORDED").map((e) => attrs(e).markerName))
      expect(markers).toEqual(new Set(["Version", "SideEffect", "LocalActivity"]))
      // 64-bit integers are strings, some beyond 2^53
      for (const e of events) expect(typeof e.eventId === "string" && typeof e.taskId === "string").toBe(true)
      expect(events.some((e) => BigInt(e.taskId) > BigInt(Number.MAX_SAFE_INTEGER))).toBe(true)
      expect(events.some((e) => /\.\d{9}Z$/.test(e.eventTime))).toBe(true)
    }))

  it.scoped("payloads: shorthand by default, proto3's base64 form with noPayloadShorthand", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const id = em.fixtures.temporal.runs.showcase!.workflowId
      const short = (yield* historyAll(em, id)).flat()
      const full = (yield* historyAll(em, id, { noPayloadShorthand: "" })).flat()
      expect(attrs(short[0]).input).toEqual([expect.objectContaining({ orderId: expect.any(String) })])
      const input = attrs(full[0]).input.payloads[0]
      expect(Buffer.from(input.metadata.encoding, "base64").toString()).toBe("json/plain")
      expect(JSON.parse(Buffer.from(input.data, "base64").toString())).toEqual(attrs(short[0]).input[0])
      // the charge result keeps an integer beyond 2^53 exactly only in the base64 form
      const charge = full.find((e) => attrs(e).result?.payloads?.[0] && Buffer.from(attrs(e).result.payloads[0].data ?? "", "base64").toString().includes("ledgerSequence"))
      expect(Buffer.from(attrs(charge).result.payloads[0].data, "base64").toString()).toContain('"ledgerSequence":18446744073709551557')
      // binary payloads have no shorthand: the same base64 form either way
      const pdf = (events: Array<any>) => events.find((e) => attrs(e).result?.payloads !== undefined && Buffer.from(attrs(e).result.payloads[0].metadata.encoding, "base64").toString() === "binary/plain")
      expect(attrs(pdf(short)).result).toEqual(attrs(pdf(full)).result)
      // search attributes carry a `type` besides the encoding, so stay in the base64 form
      const described = yield* get(em, tm(em, `/workflows/${id}`))
      expect(described.json.workflowExecutionInfo.searchAttributes.indexedFields.CustomerTier.metadata.type).toBe(Buffer.from("Keyword").toString("base64"))
      expect(described.json.workflowExecutionInfo.memo.fields.customer).toEqual({ id: expect.stringMatching(/^cus_/) })
      // ?pretty indents, nothing else changes
      const pretty = yield* get(em, tm(em, `/workflows/${id}`, { pretty: "" }))
      expect(pretty.text).toContain('\n  "executionConfig"')
      expect(pretty.json).toEqual(described.json)
    }))

  it.scoped("the visibility query: type, status, start time range, AND; count agrees; anything else is refused", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const all = (yield* listAll(em)).flatMap((p) => p.executions ?? [])
      const check = (query: string, expected: (e: any) => boolean) =>
        Effect.gen(function*() {
          const got = (yield* listAll(em, { query, pageSize: "50" })).flatMap((p) => p.executions ?? [])
          const want = all.filter(expected)
          expect(got.map((e: any) => e.execution.runId), query).toEqual(want.map((e: any) => e.execution.runId))
          expect(want.length, query).toBeGreaterThan(0)
          const count = (yield* get(em, tm(em, "/workflow-count", { query }))).json.count
          expect(count, query).toBe(String(want.length))
        })
      yield* check("WorkflowType = 'ShipmentWorkflow'", (e) => e.type.name === "ShipmentWorkflow")
      yield* check("ExecutionStatus = 'Failed'", (e) => e.status === "WORKFLOW_EXECUTION_STATUS_FAILED")
      yield* check("ExecutionStatus = 'ContinuedAsNew'", (e) => e.status === "WORKFLOW_EXECUTION_STATUS_CONTINUED_AS_NEW")
      const from = Date.parse("2025-12-31T00:00:00Z")
      const to = Date.parse("2025-12-31T12:00:00Z")
      yield* check(
        "WorkflowType = 'OrderWorkflow' AND StartTime >= '2025-12-31T00:00:00Z' and StartTime <= \"2025-12-31T12:00:00.000Z\"",
        (e) => e.type.name === "OrderWorkflow" && Date.parse(e.startTime) >= from && Date.parse(e.startTime) <= to
      )
      yield* check("ExecutionStatus != 'Completed' AND WorkflowType = 'OrderWorkflow'", (e) => e.status !== "WORKFLOW_EXECUTION_STATUS_COMPLETED" && e.type.name === "OrderWorkflow")
      const none = yield* get(em, tm(em, "/workflows", { query: `WorkflowType = '${Emulator.constants.temporal.emptyWorkflow}'` }))
      expect(none.json).toEqual({})
      expect((yield* get(em, tm(em, "/workflow-count", { query: `WorkflowType = '${Emulator.constants.temporal.emptyWorkflow}'` }))).json).toEqual({})
      for (const query of ["WorkflowType = 'A' OR WorkflowType = 'B'", "Foo = 'x'", "ExecutionStatus = 'Sleeping'", "StartTime > 'yesterday'", "WorkflowType 'A'", "ORDER BY StartTime"]) {
        const r = yield* get(em, tm(em, "/workflows", { query }))
        expect(r.status, query).toBe(400)
        expect(r.json.code).toBe(3)
        expect(r.json.message).toMatch(/^invalid query: /)
        expect(r.json.details).toBeUndefined()
      }
    }))

  it.scoped("404 for an unknown workflow or run, and for a path that is no route", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const fx = em.fixtures.temporal.runs
      for (const url of [
        tm(em, "/workflows/order-99999-000000"),
        tm(em, `/workflows/${fx.showcase!.workflowId}`, { "execution.runId": fx.failed!.runId }),
        tm(em, "/workflows/no-such-workflow/history"),
        tm(em, `/workflows/${fx.showcase!.workflowId}/history`, { "execution.runId": "00000000-0000-4000-8000-000000000000" })
      ]) {
        const r = yield* get(em, url)
        expect(r.status, url).toBe(404)
        expectKeys(r.json, ["code", "message", "details"])
        expect(r.json.code).toBe(5)
        expect(r.json.details).toEqual([{ "@type": NOT_FOUND }])
        expect(r.json.message).toMatch(url.includes("runId") ? /^workflow execution not found for workflow ID "[^"]+" and run ID "[^"]+"$/ : /^workflow not found for ID: /)
      }
      const route = yield* get(em, tm(em, "/schedules"))
      expect(route.status).toBe(404)
      expect(route.json).toEqual({ code: 5, message: "Not Found" })
      const post = yield* request(tm(em, "/workflows"), { method: "POST", headers: bearer(em.info.token) })
      expect(post.status).toBe(501)
      expect(post.json.code).toBe(12)
    }))

  it.scoped("a bad key is 401, another namespace 403; without auth (a dev server) no key is needed", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      for (const headers of [{}, bearer("wrong"), { authorization: em.info.token }]) {
        const r = yield* get(em, tm(em, "/workflows"), headers)
        expect(r.status).toBe(401)
        expect(r.json).toEqual({ code: 16, message: "Request unauthorized." })
      }
      const other = yield* get(em, `${em.info.temporal.baseUrl}/api/v1/namespaces/someone-else.x9y8z/workflows`)
      expect(other.status).toBe(403)
      expect(other.json).toEqual({
        code: 7,
        message: "Request unauthorized.",
        details: [{ "@type": "type.googleapis.com/temporal.api.errordetails.v1.PermissionDeniedFailure" }]
      })
      const dev = yield* Emulator.start({ temporal: { auth: "none", namespace: "default" } })
      expect(dev.info.temporal.namespace).toBe("default")
      expect((yield* get(dev, tm(dev, "/workflow-count"), {})).status).toBe(200)
      const missing = yield* get(dev, `${dev.info.temporal.baseUrl}/api/v1/namespaces/nope/workflows`, {})
      expect(missing.status).toBe(404)
      expect(missing.json.details).toEqual([{ "@type": "type.googleapis.com/temporal.api.errordetails.v1.NamespaceNotFoundFailure", namespace: "nope" }])
    }))

  it.scoped("429: RESOURCE_EXHAUSTED with Temporal's details and no Retry-After (rate limit, storm); injected 5xx are gRPC statuses", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start({ rateLimit: { limit: 1, windowMs: 60_000 } })
      expect((yield* get(em, tm(em, "/workflow-count"))).status).toBe(200)
      const r = yield* get(em, tm(em, "/workflow-count"))
      expect(r.status).toBe(429)
      expect(r.headers.get("retry-after")).toBeNull()
      expect(r.json).toEqual({
        code: 8,
        message: "namespace rate limit exceeded",
        details: [{
          "@type": "type.googleapis.com/temporal.api.errordetails.v1.ResourceExhaustedFailure",
          cause: "RESOURCE_EXHAUSTED_CAUSE_RPS_LIMIT",
          scope: "RESOURCE_EXHAUSTED_SCOPE_NAMESPACE"
        }]
      })
      const stats = yield* em.stats
      expect(stats.providers.temporal.routes["countWorkflowExecutions"]).toEqual({ requests: 2, byStatus: { "200": 1, "429": 1 } })
      expect(stats.credentials.temporal["0"]).toMatchObject({ requests: 2, rateLimited: 1 })
      const wall = manualClock()
      const stormy = yield* Emulator.start({ storm: { durationMs: 1_000, retryAfterSeconds: 5 }, wallClock: wall.clock })
      const stormed = yield* get(stormy, tm(stormy, "/workflow-count"))
      expect([stormed.status, stormed.json.code, stormed.headers.get("retry-after")]).toEqual([429, 8, null])
      wall.tick(1_000)
      expect((yield* get(stormy, tm(stormy, "/workflow-count"))).status).toBe(200)
      const faulty = yield* Emulator.start({ faults: { serverError: 1 } })
      const e = yield* get(faulty, tm(faulty, "/workflows"))
      expect([500, 502, 503]).toContain(e.status)
      expect(e.json.code).toBe(e.status === 500 ? 13 : 14)
    }))

  it.scoped("page tokens are opaque: a token altered in transit is refused", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const first = yield* get(em, tm(em, "/workflows", { pageSize: "3" }))
      const token: string = first.json.nextPageToken
      expect(token).toMatch(/^[A-Za-z0-9+/]+=*$/)
      for (const bad of [token.replace(/[A-Za-z]/, (c) => (c === "A" ? "B" : "A")), "not base64!", "AAAA"]) {
        const r = yield* get(em, tm(em, "/workflows", { pageSize: "3", nextPageToken: bad }))
        expect(r.status, bad).toBe(400)
        expect(r.json.code).toBe(3)
      }
      const history = yield* get(em, tm(em, `/workflows/${em.fixtures.temporal.runs.showcase!.workflowId}/history`, { maximumPageSize: "5" }))
      const other = yield* get(em, tm(em, `/workflows/${em.fixtures.temporal.runs.showcase!.workflowId}/history`, {
        "execution.runId": em.fixtures.temporal.runs.failed!.runId,
        nextPageToken: history.json.nextPageToken
      }))
      expect(other.status).toBe(400)
      expect((yield* get(em, tm(em, "/workflows", { pageSize: "ten" }))).json.message).toMatch(/^type mismatch, parameter: pageSize/)
    }))

  it.scoped("a live execution's history grows with the virtual clock; describe shows what is pending", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const [first, second] = em.fixtures.temporal.live
      const length = () => Effect.map(historyAll(em, first!.id), (pages) => pages.flat().length)
      const before = yield* length()
      const described = yield* get(em, tm(em, `/workflows/${first!.id}`))
      expect(described.json.workflowExecutionInfo.status).toBe("WORKFLOW_EXECUTION_STATUS_RUNNING")
      expect(described.json.workflowExecutionInfo.closeTime).toBeUndefined()
      expect((yield* get(em, tm(em, `/workflows/${second!.id}`))).status).toBe(404)
      let grew = false
      let pendingSeen = false
      for (let i = 0; i < 30; i++) {
        yield* em.advance(5_000)
        const d = (yield* get(em, tm(em, `/workflows/${first!.id}`))).json
        if (d.pendingActivities !== undefined) {
          pendingSeen = true
          expect(d.pendingActivities[0].activityType.name).toEqual(expect.any(String))
        }
        if ((yield* length()) > before) grew = true
        if (d.workflowExecutionInfo.status !== "WORKFLOW_EXECUTION_STATUS_RUNNING") break
      }
      expect(grew && pendingSeen).toBe(true)
      const done = (yield* get(em, tm(em, `/workflows/${first!.id}`))).json.workflowExecutionInfo
      expect(done.status).toBe("WORKFLOW_EXECUTION_STATUS_COMPLETED")
      expect(Date.parse(done.closeTime)).toBe(Date.parse(first!.settledAt))
      expect((yield* get(em, tm(em, `/workflows/${second!.id}`))).status).toBe(200)
    }))

  it.scoped("continued as new: one workflow id, two runs; children are executions of their own", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const fx = em.fixtures.temporal
      const current = (yield* get(em, tm(em, `/workflows/${fx.runs.continuedAsNew!.workflowId}`))).json.workflowExecutionInfo
      expect(current.execution).toEqual(fx.continuedRun)
      expect(current.firstRunId).toBe(fx.runs.continuedAsNew!.runId)
      const old = (yield* historyAll(em, fx.runs.continuedAsNew!.workflowId, { "execution.runId": fx.runs.continuedAsNew!.runId })).flat()
      expect(attrs(old.at(-1)).newExecutionRunId).toBe(fx.continuedRun!.runId)
      const next = (yield* historyAll(em, fx.continuedRun!.workflowId)).flat()
      expect(attrs(next[0]).continuedExecutionRunId).toBe(fx.runs.continuedAsNew!.runId)
      const child = (yield* get(em, tm(em, `/workflows/${fx.children.failed!.workflowId}`))).json.workflowExecutionInfo
      expect(child.status).toBe("WORKFLOW_EXECUTION_STATUS_FAILED")
      expect(child.parentExecution).toEqual(fx.runs.childFailed)
      const parent = (yield* historyAll(em, fx.runs.childFailed!.workflowId)).flat()
      const failed = parent.find((e) => e.eventType === "EVENT_TYPE_CHILD_WORKFLOW_EXECUTION_FAILED")
      expect(attrs(failed).workflowExecution).toEqual(fx.children.failed)
    }))

  it.scoped("same seed, same bytes; another seed differs", () =>
    Effect.gen(function*() {
      const bodies = (em: Emulator.Emulator) =>
        Effect.forEach([tm(em, "/workflows"), tm(em, `/workflows/${em.fixtures.temporal.runs.showcase!.workflowId}/history`)], (url) => Effect.map(get(em, url), (r) => r.text))
      const a = yield* bodies(yield* Emulator.start({ seed: 5 }))
      expect(yield* bodies(yield* Emulator.start({ seed: 5 }))).toEqual(a)
      expect(yield* bodies(yield* Emulator.start({ seed: 6 }))).not.toEqual(a)
    }))
})
