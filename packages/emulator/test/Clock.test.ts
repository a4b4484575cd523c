import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Emulator } from "@steptrail/emulator"
import { cf, get, manualClock, op, or, request } from "./helpers.js"

const options = { cloudflare: { live: 3 }, orchestra: { live: 3 }, onepin: { live: 3 } } as const

/** The ids a provider lists now, newest first, and whether one run can be fetched. */
const listed = (em: Emulator.Emulator) => ({
  cloudflare: get(em, cf(em, "/instances?per_page=100")).pipe(Effect.map((r) => r.json.result.map((i: any) => i.id) as Array<string>)),
  orchestra: get(em, or(em, "/runs?limit=1000")).pipe(Effect.map((r) => (r.json as Array<any>).map((x) => x.id) as Array<string>)),
  onepin: get(em, op(em, "/runs?limit=100")).pipe(Effect.map((r) => r.json.data.map((x: any) => x.id) as Array<string>))
})
const fetched = (em: Emulator.Emulator, id: string) => ({
  cloudflare: get(em, cf(em, `/instances/${id}`)).pipe(Effect.map((r) => r.status)),
  orchestra: get(em, or(em, `/runs/${id}`)).pipe(Effect.map((r) => r.status)),
  onepin: get(em, op(em, `/runs/${id}`)).pipe(Effect.map((r) => r.status))
})
const providers = ["cloudflare", "orchestra", "onepin"] as const

describe("new runs", () => {
  it.scoped("a live run is listed, and found by id, from the instant it is created, for every provider", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start(options)
      // in the order the second live runs are created: Orchestra, Cloudflare, Onepin
      const byCreation = [...providers].sort((a, b) => Date.parse(em.fixtures[a].live[1]!.createdAt) - Date.parse(em.fixtures[b].live[1]!.createdAt))
      expect(byCreation).toEqual(["orchestra", "cloudflare", "onepin"])
      for (const p of byCreation) {
        const live = em.fixtures[p].live
        expect(live.map((l) => l.visibleAtEpoch)).toEqual([true, false, false])
        const created = Date.parse(live[1]!.createdAt)
        yield* em.advance(created - (yield* em.now) - 1)
        const before = yield* listed(em)[p]
        expect(before).not.toContain(live[1]!.id)
        expect(before[0]).toBe(live[0]!.id)
        expect(yield* fetched(em, live[1]!.id)[p]).toBe(404)
        yield* em.advance(1)
        const after = yield* listed(em)[p]
        expect(after[0]).toBe(live[1]!.id)
        expect(after.slice(1)).toEqual(before.slice(0, after.length - 1))
        expect(yield* fetched(em, live[1]!.id)[p]).toBe(200)
        expect(yield* fetched(em, live[2]!.id)[p]).toBe(404)
      }
      expect((yield* get(em, cf(em, "/instances?per_page=1"))).json.result_info.total_count).toBe(152)
      expect((yield* get(em, op(em, "/runs?limit=1"))).json.pagination.total).toBe(152)
    }))

  it.scoped("a Cloudflare cursor walk is not shifted by an instance created during it", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start(options)
      const first = (yield* get(em, cf(em, "/instances?per_page=100"))).json
      yield* em.advance(Date.parse(em.fixtures.cloudflare.live[2]!.createdAt) - (yield* em.now))
      const second = (yield* get(em, cf(em, `/instances?per_page=100&cursor=${first.result_info.cursor}`))).json
      const ids = [...first.result, ...second.result].map((i: any) => i.id)
      expect(ids).toHaveLength(151)
      expect(new Set(ids).size).toBe(151)
      expect(second.result_info.total_count).toBe(153)
      expect(second.result_info.cursor).toBeUndefined()
    }))
})

describe("clock speed", () => {
  it.scoped("the virtual clock runs N virtual ms per real ms, on top of advance", () =>
    Effect.gen(function*() {
      const wall = manualClock()
      const em = yield* Emulator.start({ ...options, clockSpeed: 1000, wallClock: wall.clock })
      const epoch = Emulator.epoch.getTime()
      expect(yield* em.now).toBe(epoch)
      wall.tick(10)
      expect(yield* em.now).toBe(epoch + 10_000)
      yield* em.advance(5_000)
      expect(yield* em.now).toBe(epoch + 15_000)
      expect((yield* request(`${em.info.adminUrl}/clock`)).json).toEqual({ now: "2026-01-01T00:00:15.000Z", offset_ms: 15_000 })
      const slow = manualClock()
      const half = yield* Emulator.start({ clockSpeed: 0.5, wallClock: slow.clock })
      slow.tick(3)
      expect(yield* half.now).toBe(epoch + 1)
    }))

  it.scoped("new runs appear and live runs settle without anyone calling advance", () =>
    Effect.gen(function*() {
      const wall = manualClock()
      const em = yield* Emulator.start({ ...options, clockSpeed: 1000, wallClock: wall.clock })
      const epoch = Emulator.epoch.getTime()
      for (const p of providers) expect(yield* listed(em)[p]).not.toContain(em.fixtures[p].live[1]!.id)
      const lastCreated = Math.max(...providers.map((p) => Date.parse(em.fixtures[p].live[2]!.createdAt)))
      wall.tick(Math.ceil((lastCreated - epoch) / 1000))
      for (const p of providers) {
        const ids = yield* listed(em)[p]
        expect(ids.slice(0, 3)).toEqual(em.fixtures[p].live.map((l) => l.id).reverse())
      }
      const settled = Math.max(...providers.flatMap((p) => em.fixtures[p].live.map((l) => Date.parse(l.settledAt))))
      wall.tick(Math.ceil((settled - (yield* em.now)) / 1000))
      for (const l of em.fixtures.cloudflare.live) expect((yield* get(em, cf(em, `/instances/${l.id}`))).json.result.status).toBe("complete")
      for (const l of em.fixtures.orchestra.live) expect((yield* get(em, or(em, `/runs/${l.id}`))).json[0].status).toBe("completed")
      for (const l of em.fixtures.onepin.live) expect((yield* get(em, op(em, `/runs/${l.id}`))).json.data.status).toBe("completed")
    }))

  it.effect("a negative or non-finite speed is an InvalidOptions error", () =>
    Effect.gen(function*() {
      for (const clockSpeed of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
        const e = yield* Effect.scoped(Effect.flip(Emulator.start({ clockSpeed })))
        expect(e.reason).toBe("InvalidOptions")
      }
    }))
})
