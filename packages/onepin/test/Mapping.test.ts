import { describe, expect, it } from "@effect/vitest"
import { ProviderClient, StepRecord, type WorkflowProvider } from "@steptrail/core"
import { Effect, Schema } from "effect"
import { readFileSync } from "node:fs"
import * as mapping from "../src/internal/mapping.js"
import type * as OnepinSchema from "../src/OnepinSchema.js"
import * as Schemas from "../src/OnepinSchema.js"

const seedText = readFileSync(new URL("./fixtures/seed-004-steps.json", import.meta.url), "utf8")
const workspace = "7d0c5e2a-3b4f-4c61-9a8e-1f2d3c4b5a69"

const run: WorkflowProvider.RunRef = {
  provider: "onepin",
  account: workspace,
  workflow: "5a4f0c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
  id: "0b7c2f0e-6a41-4d2b-9f0e-3c1d2e4f5a6b",
  status: "complete",
  providerStatus: "completed",
  terminal: true,
  createdAt: "2024-01-15T09:29:58Z",
  updatedAt: "2024-01-15T09:35:00Z"
}

const step = (fields: Partial<OnepinSchema.Step> = {}): OnepinSchema.Step => ({
  id: "s",
  node_id: "n",
  node_type: "action",
  status: "completed",
  ...fields
})

const isRecord = Schema.is(StepRecord.StepRecord)

describe("run status", () => {
  it("a word that names an Object.prototype member is unknown, not that member", () => {
    const words = ["constructor", "__proto__", "toString", "hasOwnProperty"]
    expect(words.map(mapping.runStatus)).toEqual(["unknown", "unknown", "unknown", "unknown"])
    expect(words.map(mapping.stepStatus)).toEqual(["unknown", "unknown", "unknown", "unknown"])
  })

  it("maps the documented words", () => {
    expect(["pending", "running", "completed", "failed", "cancelled", "paused", "archived"].map(mapping.runStatus))
      .toEqual(["queued", "running", "complete", "errored", "cancelled", "paused", "unknown"])
  })

  it("terminal: completed, failed, cancelled", () => {
    const terminal = (status: string) => mapping.toRunRef(run.workflow, null, { id: "r", status }).terminal
    expect(["completed", "failed", "cancelled"].every(terminal)).toBe(true)
    expect(["pending", "running", "paused", "archived"].some(terminal)).toBe(false)
  })

  it("builds a RunRef: created_at, then completed_at or started_at", () => {
    const ref = mapping.toRunRef(run.workflow, workspace, {
      id: "r1",
      status: "running",
      created_at: "2024-01-15T09:29:58Z",
      started_at: "2024-01-15T09:30:00Z",
      completed_at: null
    })
    expect(ref).toEqual({
      provider: "onepin",
      account: workspace,
      workflow: run.workflow,
      id: "r1",
      status: "running",
      providerStatus: "running",
      terminal: false,
      createdAt: "2024-01-15T09:29:58Z",
      updatedAt: "2024-01-15T09:30:00Z"
    })
    const done = mapping.toRunRef(run.workflow, null, {
      id: "r2",
      status: "completed",
      started_at: "2024-01-15T09:30:00Z",
      completed_at: "2024-01-15T09:35:00Z"
    })
    expect(done.updatedAt).toBe("2024-01-15T09:35:00Z")
    expect(done.account).toBeNull()
  })
})

describe("step status", () => {
  it("maps the likely words and keeps unknown ones", () => {
    const cases: Record<string, StepRecord.Status> = {
      completed: "complete",
      running: "running",
      failed: "errored",
      error: "errored",
      pending: "queued",
      queued: "queued",
      cancelled: "cancelled",
      skipped: "cancelled",
      waiting: "waiting",
      paused: "waiting",
      Completed: "complete",
      levitating: "unknown"
    }
    for (const [word, status] of Object.entries(cases)) expect([word, mapping.stepStatus(word)]).toEqual([word, status])
  })
})

describe("records", () => {
  it.effect("maps seed 004 to a valid record", () =>
    Effect.gen(function*() {
      const body = yield* ProviderClient.decode(Schemas.Steps)("onepin", JSON.parse(seedText))
      const [record] = mapping.toRecords(run, body.data)
      expect(record).toEqual({
        schema_version: 2,
        provider: "onepin",
        account: workspace,
        workflow: run.workflow,
        run_id: run.id,
        step_index: 0,
        step_id: "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        name: "node-12345",
        kind: "node",
        node_type: "action",
        display_name: null,
        iteration: 1,
        status: "complete",
        provider_status: "completed",
        started_at: "2024-01-15T09:30:00Z",
        ended_at: "2024-01-15T09:35:00Z",
        duration_ms: 300_000,
        attempts: null,
        retry_config: null,
        input: null,
        output: { output: "Step executed successfully", recordsProcessed: 150 },
        output_encoding: "json",
        output_truncated: false,
        output_redacted: false,
        usage: null,
        error: null,
        trigger: null,
        run_status: "complete",
        workflow_id: null
      })
      expect(isRecord(record)).toBe(true)
    }))

  it("keeps API order and numbers repeats with iteration", () => {
    const records = mapping.toRecords(run, [
      step({ id: "1", node_id: "loop", node_type: "loop", iteration: 1, started_at: "2024-01-15T09:30:05Z" }),
      step({ id: "2", node_id: "process", iteration: 1, started_at: "2024-01-15T09:30:06Z" }),
      step({ id: "3", node_id: "process", iteration: 2, started_at: "2024-01-15T09:30:07Z" }),
      step({ id: "4", node_id: "process", iteration: 3, node_display_name: "Process record" })
    ])
    expect(records.map((r) => [r.step_index, r.name, r.iteration])).toEqual([
      [0, "loop", 1],
      [1, "process", 1],
      [2, "process", 2],
      [3, "process", 3]
    ])
    expect(records[3]!.display_name).toBe("Process record")
    for (const record of records) expect(isRecord(record)).toBe(true)
  })

  it("a non-integer or absent iteration is null", () => {
    expect(mapping.iterationOf(1.5)).toBeNull()
    expect(mapping.iterationOf(undefined)).toBeNull()
    expect(mapping.iterationOf(null)).toBeNull()
    expect(mapping.iterationOf(0)).toBe(0)
  })

  it("a withheld result is marked truncated", () => {
    const [withheld, none, given] = mapping.toRecords(run, [
      step({ result: null, has_result: true }),
      step({ result: null, has_result: false }),
      step({ result: { ok: 1 }, has_result: true })
    ])
    expect([withheld!.output_truncated, none!.output_truncated, given!.output_truncated]).toEqual([true, false, false])
    expect(withheld!.output).toBeNull()
    expect(given!.output).toEqual({ ok: 1 })
  })

  it("an error string becomes {name: Error, message}", () => {
    const [failed] = mapping.toRecords({ ...run, status: "errored", providerStatus: "failed" }, [
      step({ status: "failed", error: "Transform failed: unexpected token", completed_at: null })
    ])
    expect(failed).toMatchObject({
      status: "errored",
      error: { name: "Error", message: "Transform failed: unexpected token" },
      ended_at: null,
      duration_ms: null,
      run_status: "errored"
    })
    const errorOf = (error: unknown) => mapping.toRecord(run, step({ error }), 0).error
    expect(errorOf("")).toBeNull()
    expect(errorOf(null)).toBeNull()
    expect(errorOf({ message: "boom" })).toEqual({ name: "Error", message: "boom" })
    expect(errorOf({ code: "E1" })).toEqual({ name: "Error", message: "{\"code\":\"E1\"}" })
    expect(isRecord(failed)).toBe(true)
  })
})
