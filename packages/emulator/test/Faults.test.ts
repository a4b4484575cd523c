import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Fiber from "effect/Fiber"
import { Emulator, Faults, RateLimit } from "@steptrail/emulator"
import { Generator } from "../src/internal/faults.js"
import { answered, arrivals, cf, expectKeys, get, manualClock, op, or, request } from "./helpers.js"

describe("Faults.parse", () => {
  it("parses the full flag syntax", () => {
    expect(
      Faults.parse("5xx=0.1,429=0.05,reset=0.02,truncated=0.01,malformed=0.01,content-type=0.01,slow=0.01,slow-ms=3000,retry-after=1,seed=7")
    ).toEqual(Either.right({
      serverError: 0.1,
      tooManyRequests: 0.05,
      reset: 0.02,
      truncated: 0.01,
      malformed: 0.01,
      contentType: 0.01,
      slow: 0.01,
      slowMs: 3000,
      retryAfter: 1,
      seed: 7
    }))
    expect(Faults.parse("")).toEqual(Either.right({}))
    expect(Faults.parse(" 5xx = 1 ")).toEqual(Either.right({ serverError: 1 }))
  })
  it("rejects unknown keys, bad rates and bad parameters", () => {
    for (const bad of ["boom=0.1", "5xx=1.5", "429=-0.1", "reset", "slow=abc", "slow-ms=1.5", "retry-after=-1", "5xx="]) {
      expect(Either.isLeft(Faults.parse(bad)), bad).toBe(true)
    }
  })
})

describe("RateLimit.parse", () => {
  it("parses limit/window", () => {
    expect(RateLimit.parse("100/5s")).toEqual(Either.right({ limit: 100, windowMs: 5_000 }))
    expect(RateLimit.parse("1200/5m")).toEqual(Either.right({ limit: 1200, windowMs: 300_000 }))
    expect(RateLimit.parse("10/250ms")).toEqual(Either.right({ limit: 10, windowMs: 250 }))
    expect(RateLimit.parse("50/s")).toEqual(Either.right({ limit: 50, windowMs: 1_000 }))
    for (const bad of ["100", "0/5s", "a/5s", "100/5x", "100/"]) expect(Either.isLeft(RateLimit.parse(bad)), bad).toBe(true)
  })
})

describe("fault injection", () => {
  const at = (faults: Faults.Options) => Emulator.start({ faults })

  it.scoped("5xx with each provider's error body", () =>
    Effect.gen(function*() {
      const em = yield* at({ serverError: 1 })
      const c = yield* get(em, cf(em, "/instances"))
      expect([500, 502, 503]).toContain(c.status)
      expect(c.json).toMatchObject({ success: false, result: null })
      expect(c.json.errors[0].code).toBe(10001)
      const o = yield* get(em, or(em, "/runs"))
      expectKeys(o.json, ["detail"])
      const p = yield* get(em, op(em, "/runs"))
      expectKeys(p.json, ["error", "meta"])
      const stats = yield* em.stats
      expect(stats.faults.serverError).toBe(3)
      // admin routes are never faulted
      expect((yield* request(`${em.info.adminUrl}/clock`)).status).toBe(200)
    }))

  it.scoped("429 with Retry-After", () =>
    Effect.gen(function*() {
      const em = yield* at({ tooManyRequests: 1, retryAfter: 2 })
      const r = yield* get(em, cf(em, "/instances"))
      expect(r.status).toBe(429)
      expect(r.headers.get("retry-after")).toBe("2")
      const p = yield* get(em, op(em, "/runs"))
      expect(p.status).toBe(429)
      expect(p.json.error.code).toBe("rate_limited")
      expect((yield* em.stats).tooManyRequests).toBe(2)
    }))

  it.scoped("connection reset and truncated body fail the client", () =>
    Effect.gen(function*() {
      const reset = yield* at({ reset: 1 })
      expect((yield* Effect.either(get(reset, cf(reset, "/instances"))))._tag).toBe("Left")
      expect((yield* reset.stats).faults.reset).toBe(1)
      const truncated = yield* at({ truncated: 1 })
      const t = yield* Effect.either(get(truncated, cf(truncated, "/instances")))
      expect(t._tag).toBe("Left")
      expect((yield* truncated.stats).faults.truncated).toBe(1)
    }))

  it.scoped("malformed JSON and wrong content type arrive as 200", () =>
    Effect.gen(function*() {
      const malformed = yield* at({ malformed: 1 })
      const clean = yield* Emulator.start()
      const m = yield* get(malformed, cf(malformed, "/instances"))
      const full = yield* get(clean, cf(clean, "/instances"))
      expect(m.status).toBe(200)
      expect(m.headers.get("content-type")).toMatch(/^application\/json/)
      expect(m.bytes.equals(full.bytes.subarray(0, Math.floor(full.bytes.length / 2)))).toBe(true)
      expect(() => JSON.parse(m.text)).toThrow()
      const html = yield* at({ contentType: 1 })
      const h = yield* get(html, or(html, "/runs"))
      expect(h.status).toBe(200)
      expect(h.headers.get("content-type")).toMatch(/^text\/html/)
      expect(h.text).toContain("<html")
    }))

  it.scoped("slow answers wait slow-ms, on top of the latency", () =>
    Effect.gen(function*() {
      const wall = manualClock()
      const em = yield* Emulator.start({ faults: { slow: 1, slowMs: 80 }, latency: { minMs: 20, maxMs: 20 }, wallClock: wall.clock })
      const fiber = yield* Effect.fork(get(em, cf(em, "/instances")))
      yield* arrivals(em, 1)
      expect((yield* em.stats).faults.slow).toBe(1)
      wall.tick(99)
      expect(answered(yield* em.stats)).toBe(0)
      wall.tick(1)
      expect(answered(yield* em.stats)).toBe(1)
      expect((yield* Fiber.join(fiber)).status).toBe(200)
    }))

  it.scoped("fault sequences are seeded", () =>
    Effect.gen(function*() {
      const run = (seed: number) =>
        Effect.gen(function*() {
          const em = yield* at({ serverError: 0.5, seed })
          const out: Array<number> = []
          for (let i = 0; i < 20; i++) out.push((yield* get(em, or(em, "/runs?limit=1"))).status)
          return out
        })
      // the generator's draws, in request order, decide every answer
      const expected = (seed: number) => {
        const generator = new Generator({ serverError: 0.5, seed }, Emulator.defaults.seed)
        return Array.from({ length: 20 }, () => {
          const draw = generator.draw()
          return draw.hit === "serverError" ? draw.status5xx : 200
        })
      }
      expect(yield* run(9)).toEqual(expected(9))
      expect(yield* run(10)).toEqual(expected(10))
      expect(expected(9)).not.toEqual(expected(10))
      expect(new Set(expected(9))).toEqual(new Set([200, 500, 502, 503]))
    }))
})

describe("rate limit", () => {
  it.scoped("429 + Retry-After past the limit; Cloudflare blocks the whole window", () =>
    Effect.gen(function*() {
      const wall = manualClock()
      const em = yield* Emulator.start({ rateLimit: { limit: 3, windowMs: 60_000 }, wallClock: wall.clock })
      for (let i = 0; i < 3; i++) expect((yield* get(em, cf(em, "/instances?per_page=1"))).status).toBe(200)
      const limited = yield* get(em, cf(em, "/instances?per_page=1"))
      expect(limited.status).toBe(429)
      expect(limited.headers.get("retry-after")).toBe("60")
      expect(limited.json.errors[0].code).toBe(971)
      // per provider: Orchestra has its own window
      for (let i = 0; i < 3; i++) expect((yield* get(em, or(em, "/runs?limit=1"))).status).toBe(200)
      wall.tick(15_500)
      const o = yield* get(em, or(em, "/runs?limit=1"))
      expect(o.status).toBe(429)
      // the oldest request leaves the window 44.5 s from now
      expect(o.headers.get("retry-after")).toBe("45")
      wall.tick(44_499)
      expect((yield* get(em, or(em, "/runs?limit=1"))).headers.get("retry-after")).toBe("1")
      // Cloudflare's block counts down, then the window is empty again
      expect((yield* get(em, cf(em, "/instances?per_page=1"))).headers.get("retry-after")).toBe("1")
      wall.tick(1)
      expect((yield* get(em, cf(em, "/instances?per_page=1"))).status).toBe(200)
      const stats = yield* em.stats
      expect(stats.rateLimited).toBe(4)
      expect(stats.providers.cloudflare.routes.listInstances!.byStatus).toEqual({ "200": 4, "429": 2 })
    }))

  it.scoped("the sliding window admits again once it slides (non-Cloudflare)", () =>
    Effect.gen(function*() {
      const wall = manualClock()
      const em = yield* Emulator.start({ rateLimit: { limit: 2, windowMs: 40 }, wallClock: wall.clock })
      expect((yield* get(em, op(em, "/runs?limit=1"))).status).toBe(200)
      wall.tick(10)
      expect((yield* get(em, op(em, "/runs?limit=1"))).status).toBe(200)
      const r = yield* get(em, op(em, "/runs?limit=1"))
      expect(r.status).toBe(429)
      expect(r.headers.get("retry-after")).toBe("1")
      wall.tick(29)
      expect((yield* get(em, op(em, "/runs?limit=1"))).status).toBe(429)
      wall.tick(1)
      expect((yield* get(em, op(em, "/runs?limit=1"))).status).toBe(200)
      expect((yield* get(em, op(em, "/runs?limit=1"))).status).toBe(429)
      wall.tick(10)
      expect((yield* get(em, op(em, "/runs?limit=1"))).status).toBe(200)
    }))
})
