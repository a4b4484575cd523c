import { describe, expect, it } from "@effect/vitest"
import { ProviderClient } from "@steptrail/core"
import { Effect, Either } from "effect"
import { readFileSync } from "node:fs"
import * as OrchestraSchema from "../src/OrchestraSchema.js"

/** Seed 003's example body, byte for byte. */
const seedText = readFileSync(new URL("./fixtures/seed-003-steps.json", import.meta.url), "utf8")
const seed = (): Array<Record<string, unknown>> => JSON.parse(seedText)

const decodeSteps = (input: unknown) =>
  Effect.either(ProviderClient.decode(OrchestraSchema.Steps)("orchestra", input))
const decodeLookup = (input: unknown) =>
  Effect.either(ProviderClient.decode(OrchestraSchema.RunLookup)("orchestra", input))

describe("OrchestraSchema.Steps", () => {
  it.effect("decodes seed 003 verbatim", () =>
    Effect.gen(function*() {
      const steps = yield* ProviderClient.decode(OrchestraSchema.Steps)("orchestra", seed())
      expect(steps).toHaveLength(2)
      const [model, slack] = steps
      expect(model!.id).toBe("b2acc986-af06-418a-bf71-c730d5ghaf0b")
      expect(model!.node_id).toBe("model")
      expect(model!.status).toBe("completed")
      expect(model!.start_time).toBe("2025-03-13T02:41:15.144470Z")
      expect(model!.end_time).toBe("2025-03-13T02:41:17.382162Z")
      expect(model!.elapsed_time).toBe(2)
      expect(model!.error).toBeNull()
      expect(model!.tokens).toBe(0)
      expect((model!.outputs as any).usage).toEqual({
        prompt_tokens: 36,
        total_tokens: 84,
        completion_tokens: 48,
        prompt_tokens_details: null
      })
      expect((model!.inputs as any).messages[0].content).toBe("Tell me a joke about the weather")
      expect(slack!.node_id).toBe("slack_integration")
      expect((slack!.outputs as any).result.data.response_metadata.warnings).toEqual(["missing_charset"])
      expect(slack!.step_metadata).toBeNull()
    }))

  it.effect("keeps inputs and outputs exactly as given", () =>
    Effect.gen(function*() {
      const raw = seed()
      const steps = yield* ProviderClient.decode(OrchestraSchema.Steps)("orchestra", raw)
      expect(steps[0]!.outputs).toEqual(raw[0]!["outputs"])
      expect(steps[1]!.inputs).toEqual(raw[1]!["inputs"])
    }))

  it.effect("ignores unknown fields and accepts unknown status words", () =>
    Effect.gen(function*() {
      const raw = seed()
      raw[0]!["brand_new_field"] = { nested: true }
      raw[0]!["status"] = "teleporting"
      const steps = yield* ProviderClient.decode(OrchestraSchema.Steps)("orchestra", raw)
      expect(steps[0]!.status).toBe("teleporting")
    }))

  it.effect("accepts absent and null optional fields", () =>
    Effect.gen(function*() {
      const steps = yield* ProviderClient.decode(OrchestraSchema.Steps)("orchestra", [
        { id: "s1", node_id: "model" },
        {
          id: "s2",
          node_id: "code",
          status: null,
          start_time: null,
          end_time: null,
          elapsed_time: null,
          tokens: null,
          outputs: null,
          inputs: null
        }
      ])
      expect(steps).toHaveLength(2)
    }))

  it.effect("names the bad field of a malformed body", () =>
    Effect.gen(function*() {
      const noNode = seed()
      delete noNode[1]!["node_id"]
      const e1 = yield* decodeSteps(noNode)
      expect(Either.isLeft(e1) && e1.left.path).toBe("$[1].node_id")

      const badElapsed = seed()
      badElapsed[0]!["elapsed_time"] = "2 seconds"
      const e2 = yield* decodeSteps(badElapsed)
      expect(Either.isLeft(e2) && e2.left.path).toBe("$[0].elapsed_time")

      const badStatus = seed()
      badStatus[1]!["status"] = 3
      const e3 = yield* decodeSteps(badStatus)
      expect(Either.isLeft(e3) && e3.left.path).toBe("$[1].status")

      const e4 = yield* decodeSteps({ steps: seed() })
      expect(Either.isLeft(e4) && e4.left._tag).toBe("DecodeFailure")
      expect(Either.isLeft(e4) && e4.left.path).toBe("$")
    }))
})

describe("OrchestraSchema.RunLookup", () => {
  const run = {
    id: "5b69669f-975a-49af-a33a-61ff9ae5a20f",
    status: "completed",
    start_time: "2025-03-13T02:41:15.144470Z",
    end_time: "2025-03-13T02:41:19.179523Z",
    elapsed_time: 4,
    error: null,
    outputs: { model: "..." },
    inputs: { prompt: "Tell me a joke about the weather" }
  }

  it.effect("accepts an object or an array", () =>
    Effect.gen(function*() {
      const one = yield* decodeLookup(run)
      expect(Either.isRight(one) && !Array.isArray(one.right)).toBe(true)
      const many = yield* decodeLookup([run])
      expect(Either.isRight(many) && Array.isArray(many.right) && many.right.length).toBe(1)
    }))

  it.effect("refuses a run without an id", () =>
    Effect.gen(function*() {
      const result = yield* decodeLookup([{ status: "completed" }])
      expect(Either.isLeft(result)).toBe(true)
    }))
})
