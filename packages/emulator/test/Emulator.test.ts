import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Exit from "effect/Exit"
import * as Layer from "effect/Layer"
import { Emulator } from "@steptrail/emulator"
import { cf, get, op, or, request } from "./helpers.js"

describe("Emulator", () => {
  it.scoped("startup line carries the contract's keys, listening on 127.0.0.1", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start({ seed: 3, token: "t0k" })
      const line = Emulator.startupLine(em.info)
      expect(line).not.toContain("\n")
      const parsed = JSON.parse(line)
      expect(Object.keys(parsed).slice(0, 5)).toEqual(["token", "cloudflare", "orchestra", "onepin", "temporal"])
      expect(parsed.token).toBe("t0k")
      expect(parsed.cloudflare.baseUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/cloudflare\/client\/v4$/)
      expect(parsed.cloudflare.accountId).toMatch(/^[0-9a-f]{32}$/)
      expect(parsed.cloudflare.workflow).toBe("order-pipeline")
      expect(parsed.orchestra.baseUrl).toMatch(/\/orchestra\/api\/v1\/workflow$/)
      expect(parsed.onepin.baseUrl).toMatch(/\/onepin\/api\/v1$/)
      expect(parsed.onepin.workspaceId).toBe(Emulator.defaults.onepin.workspaceId)
      expect(parsed.temporal).toEqual({ baseUrl: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/temporal$/), namespace: Emulator.defaults.temporal.namespace, workflow: "OrderWorkflow" })
      expect(Emulator.fixtures({ seed: 3, token: "t0k" })).toEqual(em.fixtures)
    }))

  it.scoped("same seed, byte-identical bodies; another seed differs", () =>
    Effect.gen(function*() {
      const a = yield* Emulator.start({ seed: 42 })
      const b = yield* Emulator.start({ seed: 42 })
      const c = yield* Emulator.start({ seed: 43 })
      const paths = (em: Emulator.Emulator) => [
        cf(em, "/instances?per_page=100"),
        cf(em, `/instances/${em.fixtures.cloudflare.instances.showcase}`),
        cf(em, `/instances/${em.fixtures.cloudflare.instances.showcase}/step?name=load-2&type=step`),
        cf(em, `/instances/${em.fixtures.cloudflare.instances.showcase}/step?name=export-report-1&type=step`),
        or(em, "/runs"),
        or(em, `/runs/${em.fixtures.orchestra.runs.multiModel}/steps`),
        op(em, "/runs?limit=100"),
        op(em, `/runs/${em.fixtures.onepin.runs.iterations}/steps?include_result=true`)
      ]
      const bodies = (em: Emulator.Emulator) => Effect.forEach(paths(em), (p) => get(em, p).pipe(Effect.map((r) => r.bytes)))
      const [ba, bb, bc] = [yield* bodies(a), yield* bodies(b), yield* bodies(c)]
      for (let i = 0; i < ba.length; i++) {
        expect(ba[i]!.equals(bb[i]!), paths(a)[i]).toBe(true)
        expect(ba[i]!.equals(bc[i]!)).toBe(false)
      }
    }))

  it.scoped("live runs progress with the virtual clock and become terminal", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const fx = em.fixtures
      const [cf0, cf1] = fx.cloudflare.live
      expect(cf0!.visibleAtEpoch).toBe(true)
      expect(cf1!.visibleAtEpoch).toBe(false)
      const inst = (id: string) => get(em, cf(em, `/instances/${id}`)).pipe(Effect.map((r) => r.json.result))
      const before = yield* inst(cf0!.id)
      expect(["running", "waiting"]).toContain(before.status)
      expect(before.end).toBeNull()
      expect((yield* get(em, cf(em, `/instances/${cf1!.id}`))).status).toBe(404)
      expect((yield* get(em, cf(em, "/instances"))).json.result_info.total_count).toBe(151)
      expect((yield* get(em, or(em, "/runs?limit=1000"))).json).toHaveLength(151)
      expect((yield* get(em, op(em, "/runs"))).json.pagination.total).toBe(151)

      yield* em.advance(3_000)
      const later = yield* inst(cf0!.id)
      // seed 1: 4 entries at the epoch (the 4th in flight), the 5th starts within 3 s
      expect([before.step_count, later.step_count]).toEqual([4, 5])
      expect(JSON.stringify(later.steps.slice(0, before.steps.length - 1))).toBe(JSON.stringify(before.steps.slice(0, -1)))

      // past every live run's settle time: all terminal, new runs listed
      const settle = Math.max(
        ...[...fx.cloudflare.live, ...fx.orchestra.live, ...fx.onepin.live].map((l) => Date.parse(l.settledAt))
      )
      yield* em.advance(settle - (yield* em.now) + 1)
      for (const l of fx.cloudflare.live) {
        const done = yield* inst(l.id)
        expect(done.status).toBe("complete")
        expect(done.success).toBe(true)
        expect(done.end).not.toBeNull()
        expect(done.steps.every((s: any) => s.end !== null)).toBe(true)
      }
      const list = yield* get(em, cf(em, "/instances?per_page=5"))
      expect(list.json.result_info.total_count).toBe(152)
      expect(list.json.result[0].id).toBe(cf1!.id)
      expect(list.json.result[0].ended_on).not.toBeNull()
      const orRuns = (yield* get(em, or(em, "/runs?limit=2"))).json
      expect(orRuns.map((r: any) => r.id)).toEqual([fx.orchestra.live[1]!.id, fx.orchestra.live[0]!.id])
      expect(orRuns.every((r: any) => r.status === "completed")).toBe(true)
      const steps = (yield* get(em, or(em, `/runs/${fx.orchestra.live[0]!.id}/steps`))).json
      expect(steps.every((s: any) => s.status === "completed")).toBe(true)
      const opRuns = (yield* get(em, op(em, "/runs?limit=2"))).json
      expect(opRuns.pagination.total).toBe(152)
      expect(opRuns.data.every((r: any) => r.status === "completed" && r.finished_steps === r.total_steps)).toBe(true)
    }))

  it.scoped("admin endpoints: advance, clock, stats, reset-stats", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const adv = yield* request(`${em.info.adminUrl}/advance?ms=60000`, { method: "POST" })
      expect(adv.json).toEqual({ now: "2026-01-01T00:01:00.000Z", offset_ms: 60_000 })
      expect(yield* em.now).toBe(Date.parse("2026-01-01T00:01:00.000Z"))
      expect((yield* request(`${em.info.adminUrl}/advance?ms=-1`, { method: "POST" })).status).toBe(400)
      yield* get(em, cf(em, "/instances"))
      yield* get(em, cf(em, "/instances/nope"))
      yield* request(or(em, "/runs"))
      const stats = (yield* request(`${em.info.adminUrl}/stats`)).json
      expect(stats.requests).toBe(3)
      expect(stats.providers.cloudflare.routes.listInstances).toEqual({ requests: 1, byStatus: { "200": 1 } })
      expect(stats.providers.cloudflare.routes.getInstance).toEqual({ requests: 1, byStatus: { "404": 1 } })
      expect(stats.providers.orchestra.byStatus).toEqual({ "401": 1 })
      expect(yield* em.stats).toMatchObject({ requests: 3 })
      yield* request(`${em.info.adminUrl}/reset-stats`, { method: "POST" })
      expect((yield* em.stats).requests).toBe(0)
      const info = (yield* request(`${em.info.adminUrl}/info`)).json
      expect(info).toEqual(JSON.parse(JSON.stringify(em.info)))
    }))

  // how fast (startup, requests per second) is measured by `pnpm bench`, not here
  it.scoped("20,000 instances x 20 steps serve pages lazily", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start({ cloudflare: { instances: 20_000, steps: 20, outputBytes: 4096, live: 0 } })
      const page = yield* get(em, cf(em, "/instances?per_page=100"))
      expect(page.json.result).toHaveLength(100)
      expect(page.json.result_info.total_count).toBe(20_000)
      const last = yield* get(em, cf(em, `/instances/${page.json.result[0].id}`))
      expect(last.json.result.step_count).toBe(20)
      const first = yield* get(em, cf(em, `/instances/${em.fixtures.cloudflare.instances.showcase}`))
      expect(first.json.result.step_count).toBe(20)
      const pages = yield* Effect.forEach(
        Array.from({ length: 20 }, (_, i) => i * 10 + 1),
        (page) => get(em, cf(em, `/instances?per_page=100&page=${page}&status=complete`))
      )
      const totals = new Set(pages.map((p) => p.json.result_info.total_count))
      expect(totals.size).toBe(1)
      const total = [...totals][0]
      expect(pages.map((p) => p.json.result.length)).toEqual(pages.map((_, i) => Math.max(0, Math.min(100, total - i * 1000))))
      expect(pages.every((p) => p.json.result.every((r: any) => r.status === "complete"))).toBe(true)
    }))

  it.effect("a taken port is an EmulatorError; bad options too", () =>
    Effect.gen(function*() {
      const exit = yield* Effect.scoped(
        Effect.gen(function*() {
          const em = yield* Emulator.start()
          const port = Number(new URL(em.info.adminUrl).port)
          return yield* Effect.exit(Emulator.start({ port }))
        })
      )
      expect(Exit.isFailure(exit)).toBe(true)
      if (Exit.isFailure(exit)) expect(JSON.stringify(exit.cause)).toContain("PortInUse")
      const bad = yield* Effect.scoped(Effect.flip(Emulator.start({ cloudflare: { instances: -1 } })))
      expect(bad._tag).toBe("EmulatorError")
      expect(bad.reason).toBe("InvalidOptions")
    }))

  it.effect("layer provides the emulator and closes it with the scope", () =>
    Effect.gen(function*() {
      const url = yield* Effect.gen(function*() {
        const em = yield* Emulator.EmulatorTag
        const r = yield* get(em, `${em.info.orchestra.baseUrl}/workflows`)
        expect(r.status).toBe(200)
        return em.info.adminUrl
      }).pipe(Effect.provide(Layer.fresh(Emulator.layer({ seed: 5 }))))
      const after = yield* Effect.either(request(`${url}/clock`))
      expect(after._tag).toBe("Left")
    }))
})
