import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import * as NodeExecution from "../src/NodeExecution.js"
import * as StepRecord from "../src/StepRecord.js"

const run = { provider: "acme", account: null, workflow: "wf", id: "run-1", status: "errored" as const }
const execution: NodeExecution.NodeExecution = {
  id: "exec-7",
  node: "fetch",
  status: "errored",
  providerStatus: "FAILED",
  startedAt: "2026-01-31T12:00:00Z",
  endedAt: "2026-01-31T12:00:01.250Z",
  output: null,
  error: { name: "Timeout", message: "took too long" }
}

describe("NodeExecution.toRecord", () => {
  it("a node record of the run, valid against the record Schema, its duration from the timestamps", () => {
    const record = NodeExecution.toRecord(run, 3, execution)
    expect(Schema.decodeUnknownSync(StepRecord.StepRecord)(record)).toEqual(record)
    expect(record).toMatchObject({
      provider: "acme", run_id: "run-1", step_index: 3, step_id: "exec-7", name: "fetch", kind: "node",
      status: "errored", provider_status: "FAILED", run_status: "errored", duration_ms: 1250,
      attempts: null, output_encoding: "json", output_truncated: false, error: { name: "Timeout", message: "took too long" }
    })
    // the same keys in the same order as every other record
    expect(Object.keys(record)).toEqual(Object.keys(StepRecord.make(record)))
  })

  it("a duration the provider reports wins over the timestamps, null included", () => {
    expect(NodeExecution.toRecord(run, 0, { ...execution, durationMs: 99 }).duration_ms).toBe(99)
    expect(NodeExecution.toRecord(run, 0, { ...execution, durationMs: null }).duration_ms).toBeNull()
    expect(NodeExecution.toRecord(run, 0, { ...execution, endedAt: null }).duration_ms).toBeNull()
  })
})
