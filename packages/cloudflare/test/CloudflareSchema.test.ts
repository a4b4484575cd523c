import { describe, expect, it } from "@effect/vitest"
import { ProviderClient } from "@steptrail/core"
import { Effect, Either } from "effect"
import * as CloudflareSchema from "../src/CloudflareSchema.js"
import { seed000StepBody, seed001StepBody, seed002InstanceBody } from "./fixtures/seeds.js"

const decode = <A, I>(schema: Parameters<typeof ProviderClient.decode<A, I>>[0], value: unknown) =>
  Effect.runSync(Effect.either(ProviderClient.decode(schema)("cloudflare", value)))

const ok = <A, I>(schema: Parameters<typeof ProviderClient.decode<A, I>>[0], value: unknown): A => {
  const result = decode(schema, value)
  if (Either.isLeft(result)) throw new Error(result.left.message)
  return result.right
}

const failurePath = <A, I>(schema: Parameters<typeof ProviderClient.decode<A, I>>[0], value: unknown) => {
  const result = decode(schema, value)
  if (Either.isRight(result)) throw new Error("expected a decode failure")
  expect(result.left._tag).toBe("DecodeFailure")
  return result.left.path
}

const seedInstance = () => JSON.parse(seed002InstanceBody)
const withSteps = (steps: unknown) => {
  const body = seedInstance()
  body.result.steps = steps
  return body
}

describe("CloudflareSchema", () => {
  describe("seed example bodies, verbatim", () => {
    it("seed 002 decodes as an instance with its steps", () => {
      const body = ok(CloudflareSchema.InstanceResponse, JSON.parse(seed002InstanceBody))
      expect(body.success).toBe(true)
      expect(body.errors).toEqual([{ code: 0, message: "message" }])
      expect(body.result_info?.cursor).toBe("cursor")
      const r = body.result
      expect(r.status).toBe("queued")
      expect(r.end).toBe("2019-12-27T18:11:19.117Z")
      expect(r.queued).toBe("2019-12-27T18:11:19.117Z")
      expect(r.output).toBe("string")
      expect(r.params).toEqual({})
      expect(r.step_count).toBe(0)
      expect(r.success).toBe(true)
      expect(r.trigger).toEqual({ source: "unknown" })
      expect(r.versionId).toBe("182bd5e5-6e1a-4fe4-a799-aa6d9a6ab26e")
      expect(r.error).toEqual({ message: "message", name: "name" })
      expect(r.steps).toHaveLength(1)
      const step = r.steps[0]!
      expect(step.type).toBe("step")
      if (step.type !== "step") return
      expect(step.name).toBe("name")
      expect(step.output).toBe("output")
      expect(step.success).toBe(true)
      expect(step.start).toBe("2019-12-27T18:11:19.117Z")
      expect(step.attempts).toEqual([{
        end: "2019-12-27T18:11:19.117Z",
        error: { message: "message", name: "name" },
        start: "2019-12-27T18:11:19.117Z",
        success: true
      }])
      expect(step.config).toEqual({ retries: { delay: "string", limit: 0, backoff: "constant" }, timeout: "string" })
    })

    it("seed 002 decodes as a summary (simple=true) too", () => {
      const body = ok(CloudflareSchema.InstanceSummaryResponse, JSON.parse(seed002InstanceBody))
      expect(body.result.status).toBe("queued")
    })

    it("seed 000 decodes as an enveloped /step body", () => {
      const body = ok(CloudflareSchema.StepOutputResponse, JSON.parse(seed000StepBody))
      expect("result" in body).toBe(true)
      if (!("result" in body)) return
      expect(body.result).toEqual({ error: { message: "message", name: "name" }, status: "queued", output: {} })
      expect(body.result_info).toEqual({ count: 0, per_page: 0, total_count: 0, cursor: "cursor", page: 0, total_pages: 0 })
    })

    it("seed 001 decodes as an enveloped /step body", () => {
      const body = ok(CloudflareSchema.StepOutputResponse, JSON.parse(seed001StepBody))
      if (!("result" in body)) throw new Error("expected the envelope")
      expect(body.success).toBe(true)
      expect(body.messages).toEqual([{ code: 0, message: "message" }])
      expect(body.result.status).toBe("queued")
      expect(body.result.output).toEqual({})
    })
  })

  describe("/step bodies", () => {
    it("accepts the flat shape the prose describes", () => {
      const body = ok(CloudflareSchema.StepOutputResponse, { status: "complete", error: null, output: { a: [1, 2] } })
      expect(body).toEqual({ status: "complete", error: null, output: { a: [1, 2] } })
    })

    it("accepts a running body without output and with the retry's error", () => {
      const body = ok(CloudflareSchema.StepOutputResponse, { status: "running", error: { name: "Error", message: "boom" } })
      expect(body).toEqual({ status: "running", error: { name: "Error", message: "boom" } })
    })

    it("keeps an unknown status word", () => {
      const body = ok(CloudflareSchema.StepOutputResponse, { status: "hibernating", error: null, output: null })
      expect("status" in body && body.status).toBe("hibernating")
    })

    it("refuses a body that is neither shape", () => {
      failurePath(CloudflareSchema.StepOutputResponse, { output: 1 })
    })
  })

  describe("instance logs", () => {
    it("decodes every step kind with running values as null", () => {
      const body = ok(CloudflareSchema.InstanceResponse, withSteps([
        {
          type: "step",
          name: "load-1",
          start: "2024-01-01T00:00:00.000Z",
          end: null,
          success: null,
          output: null,
          attempts: [{ start: "2024-01-01T00:00:00.000Z", end: null, success: null, error: null }],
          config: { retries: { delay: "[dynamic]", limit: 5 }, timeout: 60000, sensitive: "output" }
        },
        {
          type: "rollback",
          name: "load-1",
          start: "2024-01-01T00:00:00.000Z",
          end: "2024-01-01T00:00:01.000Z",
          success: true,
          output: "1",
          attempts: [],
          config: { retries: { delay: 1000, limit: 0, backoff: "exponential" }, timeout: "1 minute" }
        },
        { type: "sleep", name: "nap-1", start: "2024-01-01T00:00:00Z", end: "2024-01-01T00:01:00Z", finished: true, error: null },
        {
          type: "waitForEvent",
          name: "approval-1",
          start: "2024-01-01T00:00:00Z",
          end: null,
          finished: false,
          error: null,
          event_type: "approved"
        },
        { type: "termination", trigger: { source: "api" } }
      ]))
      const types = body.result.steps.map((s) => s.type)
      expect(types).toEqual(["step", "rollback", "sleep", "waitForEvent", "termination"])
      const first = body.result.steps[0]!
      if (first.type !== "step") throw new Error("step")
      expect(first.config?.retries?.delay).toBe("[dynamic]")
      expect(first.config?.timeout).toBe(60000)
      expect(first.config?.sensitive).toBe("output")
      expect(first.config?.retries?.backoff).toBeUndefined()
    })

    it("ignores unknown fields everywhere", () => {
      const body = seedInstance()
      body.extra = 1
      body.result.newField = { deep: true }
      body.result.steps[0].newField = "x"
      body.result.steps[0].attempts[0].newField = "x"
      body.result.steps[0].config.newField = "x"
      const decoded = ok(CloudflareSchema.InstanceResponse, body)
      expect(decoded.result.steps[0]!.type).toBe("step")
      expect(decoded.result.steps).toHaveLength(body.result.steps.length)
    })

    it("keeps an unknown instance status, backoff or trigger source as a plain string", () => {
      const body = seedInstance()
      body.result.status = "hibernating"
      body.result.trigger.source = "carrier-pigeon"
      body.result.steps[0].config.retries.backoff = "fibonacci"
      const decoded = ok(CloudflareSchema.InstanceResponse, body)
      expect(decoded.result.status).toBe("hibernating")
      expect(decoded.result.trigger?.source).toBe("carrier-pigeon")
    })

    it("accepts a step with no attempts or config at all", () => {
      const decoded = ok(CloudflareSchema.InstanceResponse, withSteps([{ type: "step", name: "a-1" }]))
      const step = decoded.result.steps[0]!
      expect(step.type === "step" && step.attempts).toBeUndefined()
    })

    it("refuses a step of an unknown type, naming its path", () => {
      const path = failurePath(
        CloudflareSchema.InstanceResponse,
        withSteps([{ type: "sleep", name: "a-1", finished: true }, { type: "teleport", name: "x-1" }])
      )
      expect(path).toBe("$.result.steps[1].type")
    })

    it("refuses steps that are not an array", () => {
      expect(failurePath(CloudflareSchema.InstanceResponse, withSteps({ type: "step" }))).toBe("$.result.steps")
    })

    it("refuses a missing steps array when the steps were asked for", () => {
      const body = seedInstance()
      delete body.result.steps
      expect(failurePath(CloudflareSchema.InstanceResponse, body)).toBe("$.result.steps")
    })

    it("refuses a step whose name is not a string", () => {
      expect(failurePath(CloudflareSchema.InstanceResponse, withSteps([{ type: "step", name: 3 }]))).toBe(
        "$.result.steps[0].name"
      )
    })

    it("refuses a delay that is neither a string nor a number", () => {
      const body = seedInstance()
      body.result.steps[0].config.retries.delay = true
      expect(failurePath(CloudflareSchema.InstanceResponse, body)).toBe("$.result.steps[0].config.retries.delay")
    })

    it("refuses a termination without a trigger", () => {
      expect(failurePath(CloudflareSchema.InstanceResponse, withSteps([{ type: "termination" }]))).toBe(
        "$.result.steps[0].trigger"
      )
    })

    it("refuses a body without a result", () => {
      expect(failurePath(CloudflareSchema.InstanceResponse, { success: true, errors: [], messages: [] })).toBe("$.result")
    })
  })

  describe("instance listing", () => {
    it("decodes a page with its cursor", () => {
      const decoded = ok(CloudflareSchema.InstanceListResponse, {
        success: true,
        errors: [],
        messages: [],
        result: [{
          id: "i-1",
          status: "complete",
          created_on: "2024-01-01T00:00:00Z",
          modified_on: "2024-01-01T00:00:01Z",
          ended_on: "2024-01-01T00:00:01Z",
          workflow_id: "w",
          version_id: "v",
          extra: 1
        }],
        result_info: { count: 1, per_page: 100, total_count: 3, cursor: "abc" }
      })
      expect(decoded.result[0]!.id).toBe("i-1")
      expect(decoded.result_info?.cursor).toBe("abc")
    })

    it("refuses an item without an id", () => {
      expect(failurePath(CloudflareSchema.InstanceListResponse, { success: true, result: [{ status: "queued" }] })).toBe(
        "$.result[0].id"
      )
    })
  })
})
