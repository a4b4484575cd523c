import { describe, expect, it } from "@effect/vitest"
import { StepRecord } from "@steptrail/core"
import { Schema } from "effect"
import type * as CloudflareSchema from "../src/CloudflareSchema.js"
import * as mapping from "../src/internal/mapping.js"

const ACCOUNT = "0123456789abcdef0123456789abcdef"
const ctx = (instanceStatus: string, fullOutput = false): mapping.PlanContext => ({
  account: ACCOUNT,
  workflow: "wf",
  id: "inst-1",
  instanceStatus,
  fullOutput
})

const T0 = "2024-05-01T10:00:00.000Z"
const T1 = "2024-05-01T10:00:01.250Z"

const doStep = (over: Partial<CloudflareSchema.DoStep> = {}): CloudflareSchema.DoStep => ({
  type: "step",
  name: "load-1",
  start: T0,
  end: T1,
  success: true,
  output: "{\"ok\":true}",
  attempts: [{ start: T0, end: T1, success: true, error: null }],
  config: { retries: { delay: "10 seconds", limit: 5, backoff: "exponential" }, timeout: "10 minutes" },
  ...over
})

const failed = { start: T0, end: T0, success: false, error: { name: "Error", message: "first" } }
const failed2 = { start: T0, end: T1, success: false, error: { name: "TypeError", message: "second" } }
const running = { start: T1, end: null, success: null, error: null }

const isRecord = Schema.is(StepRecord.StepRecord)
const record = (c: mapping.PlanContext, step: CloudflareSchema.Step, index = 0) => {
  const planned = mapping.plan(c, index, step)
  expect(isRecord(planned.record)).toBe(true)
  return planned
}

describe("mapping", () => {
  describe("run status", () => {
    it.each([
      ["queued", "queued", false],
      ["running", "running", false],
      ["paused", "paused", false],
      ["waitingForPause", "running", false],
      ["waiting", "waiting", false],
      ["complete", "complete", true],
      ["errored", "errored", true],
      ["terminated", "cancelled", true],
      ["rollingBack", "running", false],
      ["hibernating", "unknown", false]
    ])("%s -> %s (terminal %s)", (word, status, terminal) => {
      expect(mapping.runStatus(word)).toBe(status)
      expect(mapping.isTerminal(word)).toBe(terminal)
    })

    it("builds a RunRef from a list item", () => {
      const ref = mapping.fromListItem(ACCOUNT, "wf", {
        id: "i",
        status: "terminated",
        created_on: "2024-05-01 10:00:00",
        modified_on: "2024-05-01T12:00:00+02:00"
      })
      expect(ref).toEqual({
        provider: "cloudflare",
        account: ACCOUNT,
        workflow: "wf",
        id: "i",
        status: "cancelled",
        providerStatus: "terminated",
        terminal: true,
        createdAt: "2024-05-01T10:00:00.000Z",
        updatedAt: "2024-05-01T10:00:00.000Z",
        version: "terminated@2024-05-01T12:00:00+02:00"
      })
    })

    it("builds a RunRef from an instance summary", () => {
      const ref = mapping.fromSummary({ account: ACCOUNT, workflow: "wf", id: "i" }, {
        status: "running",
        queued: T0,
        start: T1,
        end: null
      })
      expect(ref.createdAt).toBe(T0)
      expect(ref.updatedAt).toBe(T1)
      expect(ref.terminal).toBe(false)
      // no step_count: nothing tells a change, the run is fetched
      expect(ref.steps).toBeUndefined()
    })

    it("a summary's step_count is the run's count of records, what tells a change with the status", () => {
      const summary = { status: "waiting", queued: T0, start: T1, end: null, step_count: 4 }
      const ref = mapping.fromSummary({ account: ACCOUNT, workflow: "wf", id: "i" }, summary)
      expect([ref.providerStatus, ref.steps, ref.version]).toEqual(["waiting", 4, undefined])
      expect(mapping.fromSummary({ account: ACCOUNT, workflow: "wf", id: "i" }, { ...summary, step_count: 0 }).steps).toBe(0)
      expect(mapping.fromSummary({ account: ACCOUNT, workflow: "wf", id: "i" }, { ...summary, step_count: 2.5 }).steps).toBeUndefined()
      expect(mapping.fromSummary({ account: ACCOUNT, workflow: "wf", id: "i" }, { ...summary, step_count: null }).steps).toBeUndefined()
    })
  })

  describe("step.do status", () => {
    it("success true is complete", () => {
      expect(record(ctx("running"), doStep()).record.status).toBe("complete")
    })

    it("success false is errored, with the last failed attempt's error", () => {
      const r = record(ctx("errored"), doStep({ success: false, attempts: [failed, failed2], output: null })).record
      expect(r.status).toBe("errored")
      expect(r.error).toEqual({ name: "TypeError", message: "second" })
    })

    it("unfinished with the last attempt failed is retrying, with that error", () => {
      const r = record(ctx("running"), doStep({ success: null, end: null, output: null, attempts: [failed] })).record
      expect(r.status).toBe("retrying")
      expect(r.error).toEqual({ name: "Error", message: "first" })
      expect(r.ended_at).toBeNull()
      expect(r.duration_ms).toBeNull()
    })

    it("unfinished with an attempt under way is running", () => {
      const r = record(ctx("running"), doStep({ success: null, end: null, output: null, attempts: [failed, running] }))
        .record
      expect(r.status).toBe("running")
      expect(r.error).toBeNull()
    })

    it("unfinished without attempts is running", () => {
      const step = doStep({ end: null, output: null, attempts: [] })
      delete (step as { success?: unknown }).success
      expect(record(ctx("waiting"), step).record.status).toBe("running")
    })

    it.each(["complete", "errored", "terminated"])("unfinished in a %s instance is cancelled", (status) => {
      const r = record(ctx(status), doStep({ success: null, end: null, output: null, attempts: [failed] })).record
      expect(r.status).toBe("cancelled")
      expect(r.error).toBeNull()
    })

    it("ended without a verdict takes the last attempt's", () => {
      expect(record(ctx("complete"), doStep({ success: null })).record.status).toBe("complete")
      expect(record(ctx("errored"), doStep({ success: null, attempts: [failed] })).record.status).toBe("errored")
      expect(record(ctx("errored"), doStep({ success: null, attempts: [] })).record.status).toBe("unknown")
    })

    it("rollback follows the same rules with kind rollback", () => {
      const r = record(ctx("rollingBack"), { ...doStep({ success: null, end: null, attempts: [failed] }), type: "rollback" })
        .record
      expect(r.kind).toBe("rollback")
      expect(r.status).toBe("retrying")
    })
  })

  describe("step.do fields", () => {
    it("maps every field of a complete step", () => {
      const r = record(ctx("complete"), doStep(), 3).record
      expect(r).toEqual({
        schema_version: 2,
        provider: "cloudflare",
        account: ACCOUNT,
        workflow: "wf",
        run_id: "inst-1",
        step_index: 3,
        step_id: null,
        name: "load-1",
        kind: "step",
        node_type: null,
        display_name: null,
        iteration: null,
        status: "complete",
        provider_status: null,
        started_at: T0,
        ended_at: T1,
        duration_ms: 1250,
        attempts: [{ started_at: T0, ended_at: T1, duration_ms: 1250, success: true, error: null }],
        retry_config: { limit: 5, delay: "10 seconds", backoff: "exponential", timeout: "10 minutes" },
        input: null,
        output: { ok: true },
        output_encoding: "json",
        output_truncated: false,
        output_redacted: false,
        usage: null,
        error: null,
        trigger: null,
        run_status: "complete",
        workflow_id: null
      })
    })

    it("keeps the counter suffix of the logged name", () => {
      expect(record(ctx("complete"), doStep({ name: "fetch user-12" })).record.name).toBe("fetch user-12")
    })

    it("maps attempts with their errors and missing ends", () => {
      const r = record(ctx("running"), doStep({ success: null, end: null, attempts: [failed, running] })).record
      expect(r.attempts).toEqual([
        { started_at: T0, ended_at: T0, duration_ms: 0, success: false, error: { name: "Error", message: "first" } },
        { started_at: T1, ended_at: null, duration_ms: null, success: null, error: null }
      ])
    })

    it("an error without a name is named Error", () => {
      const r = record(ctx("errored"), doStep({ success: false, attempts: [{ ...failed, error: { message: "m" } }] }))
        .record
      expect(r.error).toEqual({ name: "Error", message: "m" })
    })

    it("retry config: numbers, [dynamic], absent backoff, absent config", () => {
      const dynamic = record(ctx("complete"), doStep({ config: { retries: { delay: "[dynamic]", limit: 3 }, timeout: 30000 } }))
      expect(dynamic.record.retry_config).toEqual({ limit: 3, delay: "[dynamic]", backoff: null, timeout: 30000 })
      const numeric = record(ctx("complete"), doStep({ config: { retries: { delay: 500, limit: 0, backoff: "constant" } } }))
      expect(numeric.record.retry_config).toEqual({ limit: 0, delay: 500, backoff: "constant", timeout: null })
      expect(record(ctx("complete"), doStep({ config: null })).record.retry_config).toBeNull()
    })

    it("normalizes offsets and zone-less times to UTC", () => {
      const r = record(ctx("complete"), doStep({ start: "2024-05-01T12:00:00+02:00", end: "2024-05-01 10:00:02" })).record
      expect(r.started_at).toBe("2024-05-01T10:00:00.000Z")
      expect(r.ended_at).toBe("2024-05-01T10:00:02.000Z")
      expect(r.duration_ms).toBe(2000)
    })
  })

  describe("outputs", () => {
    it("parses a logged JSON value", () => {
      expect(record(ctx("complete"), doStep({ output: "42" })).record.output).toBe(42)
      expect(record(ctx("complete"), doStep({ output: "\"text\"" })).record.output).toBe("text")
      expect(record(ctx("complete"), doStep({ output: "null" })).record.output).toBeNull()
    })

    it("keeps a logged string that is not JSON as it is", () => {
      const r = record(ctx("complete"), doStep({ output: "hello world" })).record
      expect(r.output).toBe("hello world")
      expect(r.output_truncated).toBe(false)
    })

    it("an absent output is null, and is fetched only with fullOutput on a complete step", () => {
      const without = record(ctx("complete"), doStep({ output: null }))
      expect(without.record.output).toBeNull()
      expect(without.fetch).toBeNull()
      const withFull = record(ctx("complete", true), doStep({ output: undefined }))
      expect(withFull.fetch).toEqual({ name: "load-1", type: "step" })
      const running = record(ctx("running", true), doStep({ success: null, end: null, output: null }))
      expect(running.fetch).toBeNull()
    })

    it("a truncated preview stays as-is without fullOutput", () => {
      const preview = `{"a":"${"x".repeat(1000)}[truncated output]`
      const planned = record(ctx("complete"), doStep({ output: preview }))
      expect(planned.fetch).toBeNull()
      expect(planned.record.output).toBe(preview)
      expect(planned.record.output_truncated).toBe(true)
      expect(planned.record.output_encoding).toBe("json")
    })

    it("a truncated preview is fetched with fullOutput when the step is complete", () => {
      const planned = record(ctx("complete", true), doStep({ name: "big-3", output: "{\"a\":[truncated output]" }))
      expect(planned.fetch).toEqual({ name: "big-3", type: "step" })
      const done = mapping.finish(planned.record, { _tag: "Json", status: "complete", error: null, output: { a: "full" } })
      expect(isRecord(done)).toBe(true)
      expect(done.output).toEqual({ a: "full" })
      expect(done.output_truncated).toBe(false)
      expect(done.provider_status).toBe("complete")
    })

    it("a preview of an unfinished step is not fetched", () => {
      const planned = record(ctx("errored", true), doStep({ success: false, attempts: [failed], output: "x[truncated output]" }))
      expect(planned.fetch).toBeNull()
      expect(planned.record.output_truncated).toBe(true)
    })

    it("a binary preview is fetched and becomes base64", () => {
      const planned = record(ctx("complete", true), doStep({ output: "[ReadableStream (binary): 5 bytes]" }))
      expect(planned.fetch).toEqual({ name: "load-1", type: "step" })
      const done = mapping.finish(planned.record, {
        _tag: "Bytes",
        contentType: "application/octet-stream",
        bytes: new Uint8Array([104, 101, 108, 108, 111])
      })
      expect(done.output).toBe("aGVsbG8=")
      expect(done.output_encoding).toBe("base64")
      expect(done.output_truncated).toBe(false)
      expect(isRecord(done)).toBe(true)
    })

    it("a binary preview without fullOutput is kept and marked truncated", () => {
      const r = record(ctx("complete"), doStep({ output: "[ReadableStream (binary): 5 bytes]" })).record
      expect(r.output).toBe("[ReadableStream (binary): 5 bytes]")
      expect(r.output_truncated).toBe(true)
      expect(r.output_encoding).toBe("json")
    })

    it("a string that only looks like a binary preview is not one", () => {
      const r = record(ctx("complete"), doStep({ output: "[ReadableStream (binary): many bytes]" })).record
      expect(r.output_truncated).toBe(false)
    })

    it("[REDACTED] in the logs stays redacted and is never fetched", () => {
      const planned = record(ctx("complete", true), doStep({ output: "[REDACTED]" }))
      expect(planned.fetch).toBeNull()
      expect(planned.record.output).toBe("[REDACTED]")
      expect(planned.record.output_redacted).toBe(true)
    })

    it("config.sensitive output is redacted whatever the log shows", () => {
      const planned = record(
        ctx("complete", true),
        doStep({ output: "{\"secret\":1}[truncated output]", config: { sensitive: "output" } })
      )
      expect(planned.fetch).toBeNull()
      expect(planned.record.output).toBe("[REDACTED]")
      expect(planned.record.output_redacted).toBe(true)
      expect(planned.record.output_truncated).toBe(false)
    })

    it("[REDACTED] from /step is redacted", () => {
      const planned = record(ctx("complete", true), doStep({ output: "x[truncated output]" }))
      const done = mapping.finish(planned.record, { _tag: "Json", status: "complete", error: null, output: "[REDACTED]" })
      expect(done.output).toBe("[REDACTED]")
      expect(done.output_redacted).toBe(true)
      expect(done.output_truncated).toBe(false)
    })

    it("a /step answer without output leaves the preview in place", () => {
      const planned = record(ctx("complete", true), doStep({ output: "x[truncated output]" }))
      const done = mapping.finish(planned.record, { _tag: "Json", status: "running", error: null, output: undefined })
      expect(done.output).toBe("x[truncated output]")
      expect(done.output_truncated).toBe(true)
      expect(done.provider_status).toBe("running")
    })

    it("a rollback preview is not fetched: /step addresses step.do entries only", () => {
      const planned = record(ctx("complete", true), { ...doStep({ output: "x[truncated output]" }), type: "rollback" })
      expect(planned.fetch).toBeNull()
      expect(planned.record.output_truncated).toBe(true)
    })
  })

  describe("sleep", () => {
    const sleep = (over: Partial<CloudflareSchema.SleepStep> = {}): CloudflareSchema.SleepStep => ({
      type: "sleep",
      name: "nap-1",
      start: T0,
      end: T1,
      finished: true,
      error: null,
      ...over
    })

    it("finished is complete", () => {
      const r = record(ctx("running"), sleep()).record
      expect(r).toMatchObject({ kind: "sleep", status: "complete", output: null, attempts: null, retry_config: null })
    })

    it("an error is errored", () => {
      const r = record(ctx("running"), sleep({ finished: false, error: { name: "Error", message: "woke" } })).record
      expect(r.status).toBe("errored")
      expect(r.error).toEqual({ name: "Error", message: "woke" })
    })

    it("unfinished is waiting, or cancelled in a terminal instance", () => {
      expect(record(ctx("running"), sleep({ finished: false, end: null })).record.status).toBe("waiting")
      expect(record(ctx("terminated"), sleep({ finished: false, end: null })).record.status).toBe("cancelled")
    })
  })

  describe("waitForEvent", () => {
    const wait = (over: Partial<CloudflareSchema.WaitForEventStep> = {}): CloudflareSchema.WaitForEventStep => ({
      type: "waitForEvent",
      name: "approval-1",
      start: T0,
      end: T1,
      finished: true,
      error: null,
      output: "{\"approved\":true}",
      ...over
    })

    it("finished is complete, with its payload", () => {
      const r = record(ctx("complete"), wait()).record
      expect(r).toMatchObject({ kind: "wait_for_event", status: "complete", output: { approved: true } })
    })

    it("an error is errored, even when finished", () => {
      const r = record(ctx("errored"), wait({ error: { name: "TimeoutError", message: "no event" } })).record
      expect(r.status).toBe("errored")
      expect(r.error).toEqual({ name: "TimeoutError", message: "no event" })
    })

    it("unfinished is waiting, or cancelled in a terminal instance", () => {
      expect(record(ctx("waiting"), wait({ finished: false, end: null, output: null })).record.status).toBe("waiting")
      expect(record(ctx("complete"), wait({ finished: false, end: null, output: null })).record.status).toBe(
        "cancelled"
      )
    })

    it("a preview is fetched with type waitForEvent", () => {
      const planned = record(ctx("complete", true), wait({ output: "{\"a\":[truncated output]" }))
      expect(planned.fetch).toEqual({ name: "approval-1", type: "waitForEvent" })
    })

    it("a missing payload of a complete wait is fetched with fullOutput", () => {
      const planned = record(ctx("complete", true), wait({ output: undefined }))
      expect(planned.fetch).toEqual({ name: "approval-1", type: "waitForEvent" })
    })
  })

  describe("termination", () => {
    it("is cancelled, nameless, with its trigger", () => {
      const r = record(ctx("terminated"), { type: "termination", trigger: { source: "api" } }, 4).record
      expect(r).toMatchObject({
        kind: "termination",
        name: null,
        status: "cancelled",
        trigger: "api",
        step_index: 4,
        started_at: null,
        ended_at: null,
        duration_ms: null,
        output: null,
        error: null,
        run_status: "cancelled"
      })
    })
  })

  describe("planAll", () => {
    const entries: Array<CloudflareSchema.Step> = [
      doStep(),
      { ...doStep({ name: "undo-1", output: "{\"a\":[truncated output]" }), type: "rollback" },
      doStep({ success: false, attempts: [failed, failed2], output: null }),
      { type: "sleep", name: "nap-1", start: T0, end: T1, finished: true, error: null },
      { type: "waitForEvent", name: "approval-1", start: T0, end: null, finished: false, error: null },
      { type: "termination", trigger: { source: "api" } }
    ]

    it.each(["running", "complete", "terminated"])("is plan of each entry, in order (%s instance)", (status) => {
      for (const fullOutput of [false, true]) {
        const c = ctx(status, fullOutput)
        expect(mapping.planAll(c, entries)).toEqual(entries.map((step, index) => mapping.plan(c, index, step)))
      }
    })

    it("builds every record with its keys in the Schema's order", () => {
      for (const planned of mapping.planAll(ctx("running"), entries)) {
        expect(isRecord(planned.record)).toBe(true)
        expect(Object.keys(planned.record)).toEqual(Object.keys(StepRecord.StepRecord.fields))
      }
    })

    it("takes absent attempts as none", () => {
      const { attempts: _, ...step } = doStep({ success: null, end: null, output: null })
      const r = record(ctx("running"), step as CloudflareSchema.DoStep).record
      expect(r.attempts).toEqual([])
      expect(r.status).toBe("running")
    })
  })
})
