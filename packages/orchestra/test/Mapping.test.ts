import { describe, expect, it } from "@effect/vitest"
import { ProviderClient, StepRecord, type WorkflowProvider } from "@steptrail/core"
import { Effect, Schema } from "effect"
import { readFileSync } from "node:fs"
import * as mapping from "../src/internal/mapping.js"
import * as OrchestraSchema from "../src/OrchestraSchema.js"

const seedText = readFileSync(new URL("./fixtures/seed-003-steps.json", import.meta.url), "utf8")

const run: WorkflowProvider.RunRef = {
  provider: "orchestra",
  account: null,
  workflow: "wf-1",
  id: "5b69669f-975a-49af-a33a-61ff9ae5a20f",
  status: "complete",
  providerStatus: "completed",
  terminal: true,
  createdAt: "2025-03-13T02:41:15.144470Z",
  updatedAt: "2025-03-13T02:41:19.179523Z"
}

const step = (fields: Partial<OrchestraSchema.Step> = {}): OrchestraSchema.Step => ({
  id: "s",
  node_id: "n",
  ...fields
})

const isRecord = Schema.is(StepRecord.StepRecord)

describe("run status", () => {
  it("a word that names an Object.prototype member is unknown, not that member", () => {
    const words = ["constructor", "__proto__", "toString", "hasOwnProperty"]
    expect(words.map(mapping.runStatus)).toEqual(["unknown", "unknown", "unknown", "unknown"])
  })

  it("maps every known word", () => {
    const cases: Record<string, StepRecord.RunStatus> = {
      completed: "complete",
      running: "running",
      in_progress: "running",
      failed: "errored",
      error: "errored",
      errored: "errored",
      pending: "queued",
      queued: "queued",
      cancelled: "cancelled",
      canceled: "cancelled",
      stopped: "cancelled",
      paused: "paused",
      waiting: "waiting",
      COMPLETED: "complete",
      exploded: "unknown",
      "": "unknown"
    }
    for (const [word, status] of Object.entries(cases)) expect([word, mapping.runStatus(word)]).toEqual([word, status])
    expect(mapping.runStatus(null)).toBe("unknown")
    expect(mapping.runStatus(undefined)).toBe("unknown")
  })

  it("terminal means complete, errored or cancelled", () => {
    const terminal = (word: string) => mapping.toRunRef("wf", { id: "r", status: word }).terminal
    expect(["completed", "failed", "error", "cancelled", "stopped"].map(terminal)).toEqual([true, true, true, true, true])
    expect(["running", "pending", "paused", "waiting", "mystery"].map(terminal)).toEqual([false, false, false, false, false])
  })

  it("builds a RunRef from start and end time, keeping the raw word", () => {
    const ref = mapping.toRunRef("wf", {
      id: "r1",
      status: "Mystery",
      start_time: "2025-03-13T02:41:15.144470Z",
      end_time: null
    })
    expect(ref).toEqual({
      provider: "orchestra",
      account: null,
      workflow: "wf",
      id: "r1",
      status: "unknown",
      providerStatus: "Mystery",
      terminal: false,
      createdAt: "2025-03-13T02:41:15.144470Z",
      updatedAt: null
    })
    expect(mapping.toRunRef("wf", { id: "r2" }).providerStatus).toBeNull()
  })
})

describe("step status", () => {
  it("uses the run words; a paused node is waiting", () => {
    expect(mapping.stepStatus("completed")).toBe("complete")
    expect(mapping.stepStatus("failed")).toBe("errored")
    expect(mapping.stepStatus("running")).toBe("running")
    expect(mapping.stepStatus("queued")).toBe("queued")
    expect(mapping.stepStatus("canceled")).toBe("cancelled")
    expect(mapping.stepStatus("paused")).toBe("waiting")
    expect(mapping.stepStatus("waiting")).toBe("waiting")
    expect(mapping.stepStatus("weird")).toBe("unknown")
  })
})

describe("usage", () => {
  it("reads a chat completion's usage", () => {
    expect(
      mapping.usageOf({ outputs: { usage: { prompt_tokens: 36, total_tokens: 84, completion_tokens: 48 } }, tokens: 0 })
    ).toEqual({ prompt_tokens: 36, completion_tokens: 48, total_tokens: 84 })
  })

  it("keeps the counts that are there", () => {
    expect(mapping.usageOf({ outputs: { usage: { total_tokens: 10 } } })).toEqual({
      prompt_tokens: null,
      completion_tokens: null,
      total_tokens: 10
    })
  })

  it("falls back to tokens when above 0", () => {
    expect(mapping.usageOf({ outputs: { result: 1 }, tokens: 120 })).toEqual({
      prompt_tokens: null,
      completion_tokens: null,
      total_tokens: 120
    })
    expect(mapping.usageOf({ outputs: { usage: "n/a" }, tokens: 7 })?.total_tokens).toBe(7)
  })

  it("is null otherwise", () => {
    expect(mapping.usageOf({ outputs: { result: 1 }, tokens: 0 })).toBeNull()
    expect(mapping.usageOf({ outputs: null, tokens: null })).toBeNull()
    expect(mapping.usageOf({})).toBeNull()
    expect(mapping.usageOf({ outputs: { usage: { prompt_tokens: "36" } } })).toBeNull()
    expect(mapping.usageOf({ outputs: [{ usage: { total_tokens: 3 } }] })).toBeNull()
  })
})

describe("duration", () => {
  it("comes from the timestamps, microseconds included", () => {
    expect(mapping.durationOf("2025-03-13T02:41:15.144470Z", "2025-03-13T02:41:17.382162Z", 2)).toBe(2238)
  })

  it("falls back to elapsed_time seconds when a timestamp is missing", () => {
    expect(mapping.durationOf("2025-03-13T02:41:15.144470Z", null, 2)).toBe(2000)
    expect(mapping.durationOf(null, null, 1.5)).toBe(1500)
    expect(mapping.durationOf(null, null, null)).toBeNull()
    expect(mapping.durationOf(null, null, -1)).toBeNull()
  })
})

describe("error", () => {
  const errorOf = (error: unknown) => mapping.toRecord(run, step({ error }), 0).error

  it("turns a string into {name: Error, message}", () => {
    expect(errorOf("KeyError: 'customer_email'")).toEqual({ name: "Error", message: "KeyError: 'customer_email'" })
  })

  it("is null for null, absent or empty", () => {
    expect(errorOf(null)).toBeNull()
    expect(errorOf(undefined)).toBeNull()
    expect(errorOf("")).toBeNull()
    expect(mapping.toRecord(run, step(), 0).error).toBeNull()
  })

  it("keeps an undocumented object readable", () => {
    expect(errorOf({ name: "TimeoutError", message: "too slow" })).toEqual({
      name: "TimeoutError",
      message: "too slow"
    })
    expect(errorOf({ code: 7 })).toEqual({ name: "Error", message: "{\"code\":7}" })
    expect(isRecord(mapping.toRecord(run, step({ error: { code: 7 } }), 0))).toBe(true)
  })
})

describe("records", () => {
  it.effect("maps seed 003 to valid records", () =>
    Effect.gen(function*() {
      const steps = yield* ProviderClient.decode(OrchestraSchema.Steps)("orchestra", JSON.parse(seedText))
      const records = mapping.toRecords(run, steps)
      expect(records).toHaveLength(2)
      for (const record of records) expect(isRecord(record)).toBe(true)
      const [model, slack] = records
      expect(model).toMatchObject({
        schema_version: 2,
        provider: "orchestra",
        account: null,
        workflow: "wf-1",
        run_id: run.id,
        step_index: 0,
        step_id: "b2acc986-af06-418a-bf71-c730d5ghaf0b",
        name: "model",
        kind: "node",
        node_type: null,
        display_name: null,
        iteration: null,
        status: "complete",
        provider_status: "completed",
        started_at: "2025-03-13T02:41:15.144470Z",
        ended_at: "2025-03-13T02:41:17.382162Z",
        duration_ms: 2238,
        attempts: null,
        retry_config: null,
        output_encoding: "json",
        output_truncated: false,
        output_redacted: false,
        usage: { prompt_tokens: 36, completion_tokens: 48, total_tokens: 84 },
        error: null,
        trigger: null,
        run_status: "complete",
        workflow_id: null
      })
      expect(model!.input).toEqual(steps[0]!.inputs)
      expect(model!.output).toEqual(steps[0]!.outputs)
      expect(slack).toMatchObject({ step_index: 1, name: "slack_integration", usage: null, duration_ms: 1776 })
    }))

  it("orders by start time, stable, never-started entries last", () => {
    const records = mapping.toRecords(run, [
      step({ id: "late", start_time: "2025-03-13T02:41:20.000001Z" }),
      step({ id: "none-1" }),
      step({ id: "early", start_time: "2025-03-13T02:41:15.000002Z" }),
      step({ id: "same-a", start_time: "2025-03-13T02:41:17.5Z" }),
      step({ id: "none-2", start_time: null }),
      step({ id: "same-b", start_time: "2025-03-13T02:41:17.500Z" }),
      step({ id: "earliest", start_time: "2025-03-13T02:41:15.000001Z" })
    ])
    expect(records.map((r) => r.step_id)).toEqual(["earliest", "early", "same-a", "same-b", "late", "none-1", "none-2"])
    expect(records.map((r) => r.step_index)).toEqual([0, 1, 2, 3, 4, 5, 6])
  })

  it("records a failed node with its error and the run's status", () => {
    const failedRun = { ...run, status: "errored" as const, providerStatus: "failed" }
    const [record] = mapping.toRecords(failedRun, [
      step({ status: "failed", error: "Tool execution failed: SLACK_CHANNEL_NOT_FOUND", elapsed_time: 3, outputs: null })
    ])
    expect(record).toMatchObject({
      status: "errored",
      provider_status: "failed",
      error: { name: "Error", message: "Tool execution failed: SLACK_CHANNEL_NOT_FOUND" },
      duration_ms: 3000,
      output: null,
      input: null,
      run_status: "errored"
    })
    expect(isRecord(record)).toBe(true)
  })

  it("keeps an unknown status word and offset timestamps are converted", () => {
    const [record] = mapping.toRecords(run, [
      step({ status: "teleporting", start_time: "2025-03-13T04:41:15+02:00", end_time: "2025-03-13 02:41:16" })
    ])
    expect(record).toMatchObject({
      status: "unknown",
      provider_status: "teleporting",
      started_at: "2025-03-13T02:41:15.000Z",
      ended_at: "2025-03-13T02:41:16.000Z",
      duration_ms: 1000
    })
    expect(isRecord(record)).toBe(true)
  })
})
