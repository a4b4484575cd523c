import { describe, expect, it } from "@effect/vitest"
import { ProviderClient } from "@steptrail/core"
import { Effect, Either } from "effect"
import { readFileSync } from "node:fs"
import * as OnepinSchema from "../src/OnepinSchema.js"

/** Seed 004's example body, byte for byte (the page's line numbers taken off). */
const seedText = readFileSync(new URL("./fixtures/seed-004-steps.json", import.meta.url), "utf8")
const seed = (): { data: Array<Record<string, unknown>>; meta: Record<string, unknown> } => JSON.parse(seedText)

const decodeSteps = (input: unknown) => Effect.either(ProviderClient.decode(OnepinSchema.Steps)("onepin", input))
const decodeRuns = (input: unknown) => Effect.either(ProviderClient.decode(OnepinSchema.Runs)("onepin", input))

const runsPage = () => ({
  data: [
    {
      id: "0b7c2f0e-6a41-4d2b-9f0e-3c1d2e4f5a6b",
      workflow_id: "5a4f0c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b",
      status: "completed",
      run_number: 12,
      total_steps: 5,
      finished_steps: 5,
      started_at: "2024-01-15T09:30:00Z",
      completed_at: "2024-01-15T09:35:00Z",
      created_at: "2024-01-15T09:29:58Z"
    }
  ],
  meta: { request_id: "req_1", timestamp: "2024-01-15T09:40:00Z" },
  pagination: { next: null, prev: null, limit: 100, total: 1 }
})

describe("OnepinSchema.Steps", () => {
  it.effect("decodes seed 004 verbatim", () =>
    Effect.gen(function*() {
      const body = yield* ProviderClient.decode(OnepinSchema.Steps)("onepin", seed())
      expect(body.data).toHaveLength(1)
      expect(body.data[0]).toEqual({
        id: "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        node_id: "node-12345",
        node_type: "action",
        status: "completed",
        iteration: 1,
        started_at: "2024-01-15T09:30:00Z",
        completed_at: "2024-01-15T09:35:00Z",
        result: { output: "Step executed successfully", recordsProcessed: 150 },
        error: null
      })
      expect(body.meta).toEqual({
        request_id: "req_7f8e9d6c-1234-4b56-8a9b-0cdef1234567",
        timestamp: "2024-01-15T09:40:00Z"
      })
    }))

  it.effect("reads the optional fields and ignores unknown ones", () =>
    Effect.gen(function*() {
      const raw = seed()
      Object.assign(raw.data[0]!, {
        node_display_name: "Fetch records",
        has_result: true,
        active_ports: ["output"],
        status: "levitating",
        brand_new: { x: 1 }
      })
      raw.meta["extra"] = true
      const body = yield* ProviderClient.decode(OnepinSchema.Steps)("onepin", raw)
      expect(body.data[0]!.node_display_name).toBe("Fetch records")
      expect(body.data[0]!.has_result).toBe(true)
      expect(body.data[0]!.status).toBe("levitating")
    }))

  it.effect("accepts nulls and absences where the document allows them", () =>
    Effect.gen(function*() {
      const body = yield* ProviderClient.decode(OnepinSchema.Steps)("onepin", {
        data: [
          { id: "a", node_id: "n", node_type: "action", status: "running" },
          {
            id: "b",
            node_id: "n",
            node_type: "action",
            status: "pending",
            node_display_name: null,
            iteration: null,
            started_at: null,
            completed_at: null,
            result: null,
            has_result: null,
            error: null
          }
        ]
      })
      expect(body.data).toHaveLength(2)
    }))

  it.effect("names the bad field of a malformed body", () =>
    Effect.gen(function*() {
      const noType = seed()
      delete noType.data[0]!["node_type"]
      const e1 = yield* decodeSteps(noType)
      expect(Either.isLeft(e1) && e1.left.path).toBe("$.data[0].node_type")

      const badIteration = seed()
      badIteration.data[0]!["iteration"] = "1"
      const e2 = yield* decodeSteps(badIteration)
      expect(Either.isLeft(e2) && e2.left.path).toBe("$.data[0].iteration")

      const bare = seed().data
      const e3 = yield* decodeSteps(bare)
      expect(Either.isLeft(e3) && e3.left.path).toBe("$")

      const noData = { meta: seed().meta }
      const e4 = yield* decodeSteps(noData)
      expect(Either.isLeft(e4) && e4.left.path).toBe("$.data")
    }))
})

describe("OnepinSchema.Runs", () => {
  it.effect("decodes the run listing envelope", () =>
    Effect.gen(function*() {
      const page = yield* ProviderClient.decode(OnepinSchema.Runs)("onepin", runsPage())
      expect(page.data[0]!.status).toBe("completed")
      expect(page.pagination?.total).toBe(1)
    }))

  it.effect("next may be an offset or a URL; pagination may be absent", () =>
    Effect.gen(function*() {
      const asUrl = { ...runsPage(), pagination: { next: "/api/v1/workflows/x/runs?offset=100", limit: 100, total: 500 } }
      expect(Either.isRight(yield* decodeRuns(asUrl))).toBe(true)
      const asNumber = { ...runsPage(), pagination: { next: 100, prev: 0, limit: 100, total: 500 } }
      expect(Either.isRight(yield* decodeRuns(asNumber))).toBe(true)
      const { pagination: _, ...without } = runsPage()
      expect(Either.isRight(yield* decodeRuns(without))).toBe(true)
    }))

  it.effect("names the bad field", () =>
    Effect.gen(function*() {
      const page = runsPage()
      ;(page.data[0] as Record<string, unknown>)["id"] = 12
      const e1 = yield* decodeRuns(page)
      expect(Either.isLeft(e1) && e1.left.path).toBe("$.data[0].id")
      const e2 = yield* decodeRuns({ ...runsPage(), pagination: { total: "many" } })
      expect(Either.isLeft(e2) && e2.left.path).toBe("$.pagination.total")
    }))
})
