import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Emulator } from "@steptrail/emulator"
import { bearer, expectKeys, get, ISO_S, op, request, UUID } from "./helpers.js"

const RUN = ["id", "workflow_id", "status", "run_number", "total_steps", "finished_steps", "started_at", "completed_at", "created_at"]
// Seed 004 plus the optional fields the provider documents name.
const STEP = ["id", "node_id", "node_type", "status", "node_display_name", "iteration", "started_at", "completed_at", "result", "has_result", "active_ports", "error"]
const META = ["request_id", "timestamp"]

const onepinError = (r: { json: any }, code: string) => {
  expectKeys(r.json, ["error", "meta"])
  expect(r.json.error.code).toBe(code)
  expect(typeof r.json.error.message).toBe("string")
  expectKeys(r.json.meta, META)
}

describe("Onepin", () => {
  it.scoped("lists runs in the data/meta/pagination envelope and pages by offset", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const r = yield* get(em, op(em, "/runs?limit=100"))
      expect(r.status).toBe(200)
      expectKeys(r.json, ["data", "meta", "pagination"])
      expectKeys(r.json.meta, META)
      expect(r.json.meta.request_id).toMatch(/^req_/)
      expect(r.json.meta.timestamp).toMatch(ISO_S)
      expect(r.json.pagination).toEqual({ next: 100, prev: null, limit: 100, total: 151 })
      for (const run of r.json.data) {
        expectKeys(run, RUN)
        expect(run.id).toMatch(UUID)
        expect(["pending", "running", "completed", "failed", "cancelled", "paused"]).toContain(run.status)
        expect(run.created_at).toMatch(ISO_S)
      }
      const numbers = r.json.data.map((x: any) => x.run_number)
      expect(numbers[0]).toBe(151) // newest first by default
      const next = yield* get(em, op(em, "/runs?limit=100&offset=100"))
      expect(next.json.pagination).toEqual({ next: null, prev: 0, limit: 100, total: 151 })
      const ids = [...r.json.data, ...next.json.data].map((x: any) => x.id)
      expect(new Set(ids).size).toBe(151)
      const def = yield* get(em, op(em, "/runs"))
      expect(def.json.data).toHaveLength(Emulator.defaults.onepin.limit)
      const asc = yield* get(em, op(em, "/runs?order=asc&limit=3"))
      expect(asc.json.data.map((x: any) => x.run_number)).toEqual([1, 2, 3])
      const mid = yield* get(em, op(em, "/runs?offset=30&limit=20"))
      expect(mid.json.pagination).toMatchObject({ next: 50, prev: 10 })
    }))

  it.scoped("filters runs by a comma list of statuses and sorts", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const r = yield* get(em, op(em, "/runs?status=failed,cancelled&limit=100"))
      expect(r.json.data).toHaveLength(22)
      expect(r.json.data.every((x: any) => x.status === "failed" || x.status === "cancelled")).toBe(true)
      expect(r.json.pagination.total).toBe(r.json.data.length)
      const byStatus = yield* get(em, op(em, "/runs?sort=status&order=asc&limit=100"))
      const statuses = byStatus.json.data.map((x: any) => x.status)
      expect([...statuses].sort()).toEqual(statuses)
      const byCompleted = yield* get(em, op(em, "/runs?sort=completed_at&order=desc&limit=100"))
      const done = byCompleted.json.data.map((x: any) => x.completed_at).filter((x: any) => x !== null)
      expect([...done].sort().reverse()).toEqual(done)
    }))

  it.scoped("steps: execution order, iterations, include_result, filters, failures", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const fx = em.fixtures.onepin
      const plain = yield* get(em, op(em, `/runs/${fx.runs.iterations}/steps`))
      expect(plain.status).toBe(200)
      expectKeys(plain.json, ["data", "meta"])
      for (const s of plain.json.data) {
        expectKeys(s, s.node_type === "trigger" ? STEP.filter((k) => k !== "node_display_name") : STEP)
        expect(s.result).toBeNull()
        expect(s.has_result).toBe(true)
        expect(s.started_at).toMatch(ISO_S)
      }
      const starts = plain.json.data.map((s: any) => s.started_at)
      expect([...starts].sort()).toEqual(starts)
      const process = plain.json.data.filter((s: any) => s.node_id === fx.iterationNodes.process)
      expect(process.map((s: any) => s.iteration)).toEqual([1, 2, 3])

      const full = yield* get(em, op(em, `/runs/${fx.runs.iterations}/steps?include_result=true`))
      expect(full.json.data.every((s: any) => s.result !== null)).toBe(true)
      const action = full.json.data.find((s: any) => s.node_type === "action")
      expect(action.result).toMatchObject({ output: "Step executed successfully" })

      const onlyLoop = yield* get(em, op(em, `/runs/${fx.runs.iterations}/steps?node_type=loop`))
      expect(onlyLoop.json.data.map((s: any) => s.node_id)).toEqual([fx.iterationNodes.loop])
      const onlySave = yield* get(em, op(em, `/runs/${fx.runs.iterations}/steps?node_id=${fx.iterationNodes.save}`))
      expect(onlySave.json.data).toHaveLength(3)

      const failed = yield* get(em, op(em, `/runs/${fx.runs.failed}/steps?include_result=true`))
      const last = failed.json.data[failed.json.data.length - 1]
      expect(last).toMatchObject({ status: "failed", has_result: false, result: null })
      expect(typeof last.error).toBe("string")
      const run = yield* get(em, op(em, `/runs/${fx.runs.failed}`))
      expect(run.json.data.status).toBe("failed")
      const live = yield* get(em, op(em, `/runs/${fx.live[0]!.id}/steps`))
      const inflight = live.json.data[live.json.data.length - 1]
      expect(inflight).toMatchObject({ status: "running", completed_at: null, has_result: false })
    }))

  it.scoped("auth 401, workspace 403, 404s as {error, meta}", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const none = yield* request(op(em, "/runs"))
      expect(none.status).toBe(401)
      onepinError(none, "unauthorized")
      const ok = yield* get(em, op(em, "/runs"), { ...bearer(em.info.token), "x-workspace-id": em.info.onepin.workspaceId })
      expect(ok.status).toBe(200)
      const other = yield* get(em, op(em, "/runs"), { ...bearer(em.info.token), "x-workspace-id": "00000000-0000-4000-8000-000000000000" })
      expect(other.status).toBe(403)
      onepinError(other, "forbidden")
      const wf = yield* get(em, `${em.info.onepin.baseUrl}/workflows/00000000-0000-4000-8000-000000000000/runs`)
      expect(wf.status).toBe(404)
      onepinError(wf, "not_found")
      const run = yield* get(em, op(em, "/runs/00000000-0000-4000-8000-000000000000/steps"))
      expect(run.status).toBe(404)
      onepinError(run, "not_found")
    }))

  it.scoped("422 in both shapes: FastAPI for path UUIDs, Onepin for query values", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const path = yield* get(em, op(em, "/runs/not-a-uuid/steps"))
      expect(path.status).toBe(422)
      expectKeys(path.json, ["detail"])
      expect(path.json.detail[0]).toMatchObject({ loc: ["path", "run_id"], type: "uuid_parsing" })
      expect(typeof path.json.detail[0].msg).toBe("string")
      const wf = yield* get(em, `${em.info.onepin.baseUrl}/workflows/xyz/runs`)
      expect(wf.json.detail[0].loc).toEqual(["path", "workflow_id"])
      // %2F keeps the run id one segment, which then is not a UUID
      const slash = yield* get(em, op(em, `/runs/${em.fixtures.onepin.runs.iterations}%2Fsteps`))
      expect(slash.status).toBe(422)
      for (const q of ["limit=0", "limit=101", "offset=-2", "status=done", "sort=name", "order=up"]) {
        const r = yield* get(em, op(em, `/runs?${q}`))
        expect(r.status, q).toBe(422)
        onepinError(r, "validation_error")
        expect(r.json.error.details[0]).toHaveProperty("field")
        expect(r.json.error.details[0]).toHaveProperty("message")
      }
      const bad = yield* get(em, op(em, `/runs/${em.fixtures.onepin.runs.iterations}/steps?include_result=maybe`))
      expect(bad.status).toBe(422)
      expect(bad.json.error.details).toEqual([{ field: "include_result", message: "must be a boolean" }])
    }))

  it.scoped("426 with X-OnePin-Required-Version when a version is required", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start({ onepin: { requiredVersion: "2.1.0" } })
      const r = yield* get(em, op(em, "/runs"))
      expect(r.status).toBe(426)
      expect(r.headers.get("x-onepin-required-version")).toBe("2.1.0")
      onepinError(r, "upgrade_required")
      const cfStill = yield* get(em, `${em.info.cloudflare.baseUrl}/accounts/${em.info.cloudflare.accountId}/workflows`)
      expect(cfStill.status).toBe(200)
    }))
})
