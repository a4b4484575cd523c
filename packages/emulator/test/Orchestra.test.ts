import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Emulator } from "@steptrail/emulator"
import { expectKeys, get, ISO_US, or, request, UUID } from "./helpers.js"

// Seed 003's step entry and the run list item of the provider documents.
const STEP = [
  "id",
  "user_id",
  "organization_id",
  "node_id",
  "status",
  "start_time",
  "end_time",
  "elapsed_time",
  "error",
  "outputs",
  "inputs",
  "step_metadata",
  "tokens"
]
const RUN = ["id", "status", "start_time", "end_time", "elapsed_time", "error", "outputs", "inputs"]

describe("Orchestra", () => {
  it.scoped("lists workflows", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const r = yield* get(em, `${em.info.orchestra.baseUrl}/workflows`)
      expect(r.status).toBe(200)
      expect(Array.isArray(r.json)).toBe(true)
      expect(r.json.map((w: any) => w.workflow_id)).toEqual([em.info.orchestra.workflow, em.fixtures.orchestra.emptyWorkflow])
      for (const w of r.json) expect(w.workflow_id).toMatch(UUID)
    }))

  it.scoped("runs: bare array newest first, default limit 100, two pages with limit=100", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const first = yield* get(em, or(em, "/runs"))
      expect(first.status).toBe(200)
      expect(first.json).toHaveLength(100)
      for (const run of first.json) {
        expectKeys(run, RUN)
        expect(run.start_time).toMatch(ISO_US)
      }
      const starts = first.json.map((r: any) => r.start_time)
      expect([...starts].sort().reverse()).toEqual(starts)
      const second = yield* get(em, or(em, "/runs?limit=100&offset=100"))
      expect(second.json).toHaveLength(51)
      const third = yield* get(em, or(em, "/runs?limit=100&offset=200"))
      expect(third.json).toEqual([])
      const ids = [...first.json, ...second.json].map((r: any) => r.id)
      expect(new Set(ids).size).toBe(151)
      const small = yield* get(em, or(em, "/runs?limit=7&offset=3"))
      expect(small.json.map((r: any) => r.id)).toEqual(ids.slice(3, 10))
      expect((yield* get(em, `${em.info.orchestra.baseUrl}/workflows/${em.fixtures.orchestra.emptyWorkflow}/runs`)).json).toEqual([])
    }))

  it.scoped("one run is a one-element array; steps match seed 003", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const fx = em.fixtures.orchestra
      const run = yield* get(em, or(em, `/runs/${fx.runs.seedLike}`))
      expect(run.status).toBe(200)
      expect(run.json).toHaveLength(1)
      expectKeys(run.json[0], RUN)
      expect(run.json[0]).toMatchObject({ id: fx.runs.seedLike, status: "completed", error: null })

      const steps = yield* get(em, or(em, `/runs/${fx.runs.seedLike}/steps`))
      expect(steps.json.map((s: any) => s.node_id)).toEqual(["model", "slack_integration"])
      for (const s of steps.json) {
        expectKeys(s, STEP)
        expect(s.user_id).toMatch(/^\d\*{17}\d$/)
        expect(s.organization_id).toMatch(/^\d\*{17}\d$/)
        expect(s.start_time).toMatch(ISO_US)
        expect(s.end_time).toMatch(ISO_US)
        expect(Number.isInteger(s.elapsed_time)).toBe(true)
        expect(s.elapsed_time).toBe(Math.floor((Date.parse(s.end_time) - Date.parse(s.start_time)) / 1000))
        expect(s).toMatchObject({ status: "completed", error: null, step_metadata: null, tokens: 0 })
      }
      const model = steps.json[0]
      expect(model.outputs.object).toBe("chat.completion")
      expectKeys(model.outputs.usage, ["prompt_tokens", "total_tokens", "completion_tokens", "prompt_tokens_details"])
      expect(model.outputs.usage.total_tokens).toBe(model.outputs.usage.prompt_tokens + model.outputs.usage.completion_tokens)
      expect(model.inputs.messages[0]).toEqual({ role: "user", content: "Tell me a joke about the weather" })
      expect(model.inputs.run_id).toBe(fx.runs.seedLike)
      expect(steps.json[1].outputs.result.successful).toBe(true)

      const failed = yield* get(em, or(em, `/runs/${fx.runs.failed}/steps`))
      const last = failed.json[failed.json.length - 1]
      expect(last).toMatchObject({ node_id: fx.failedNode, status: "failed", outputs: null })
      expect(typeof last.error).toBe("string")
      const failedRun = (yield* get(em, or(em, `/runs/${fx.runs.failed}`))).json[0]
      expect(failedRun.status).toBe("failed")
      expect(typeof failedRun.error).toBe("string")

      const multi = yield* get(em, or(em, `/runs/${fx.runs.multiModel}/steps`))
      expect(multi.json.filter((s: any) => s.outputs?.usage !== undefined)).toHaveLength(3)
    }))

  it.scoped("a live run is running with an unfinished node", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const live = em.fixtures.orchestra.live[0]!
      const steps = (yield* get(em, or(em, `/runs/${live.id}/steps`))).json
      const last = steps[steps.length - 1]
      expect(last).toMatchObject({ status: "running", end_time: null, elapsed_time: null, outputs: null })
      const run = (yield* get(em, or(em, `/runs/${live.id}`))).json[0]
      expect(run).toMatchObject({ status: "running", end_time: null })
    }))

  it.scoped("401, 404 and 400 are FastAPI detail bodies", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const detail = (r: { json: any }) => {
        expectKeys(r.json, ["detail"])
        expect(typeof r.json.detail).toBe("string")
      }
      const none = yield* request(or(em, "/runs"))
      expect(none.status).toBe(401)
      detail(none)
      const wrong = yield* get(em, or(em, "/runs"), { authorization: "Bearer nope" })
      expect(wrong.status).toBe(401)
      for (const path of [`/workflows/${"1".repeat(8)}/runs`, `/workflows/${em.info.orchestra.workflow}/runs/nope`, `/workflows/${em.info.orchestra.workflow}/runs/nope/steps`]) {
        const r = yield* get(em, `${em.info.orchestra.baseUrl}${path}`)
        expect(r.status, path).toBe(404)
        detail(r)
      }
      const slash = yield* get(em, or(em, `/runs/${em.fixtures.orchestra.runs.seedLike}%2Fsteps`))
      expect(slash.status).toBe(404)
      for (const q of ["limit=0", "limit=abc", "limit=1001", "offset=-1", "offset=x"]) {
        const r = yield* get(em, or(em, `/runs?${q}`))
        expect(r.status, q).toBe(400)
        detail(r)
      }
    }))
})
