import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import { Emulator, Storm } from "@steptrail/emulator"
import { cf, expectKeys, get, manualClock, op, or, request } from "./helpers.js"

describe("Storm.parse", () => {
  it("parses DURATION[,after=DURATION][,retry-after=SECONDS]", () => {
    expect(Storm.parse("20s")).toEqual(Either.right({ durationMs: 20_000 }))
    expect(Storm.parse("20s,retry-after=5")).toEqual(Either.right({ durationMs: 20_000, retryAfterSeconds: 5 }))
    expect(Storm.parse("1m, after=30s, retry-after=0")).toEqual(Either.right({ durationMs: 60_000, afterMs: 30_000, retryAfterSeconds: 0 }))
    expect(Storm.parse("500ms,after=0s")).toEqual(Either.right({ durationMs: 500, afterMs: 0 }))
    for (const bad of ["", "20", "0s", "20x", "20s,after=10", "20s,retry-after=1.5", "20s,retry-after=", "20s,every=5s", "20s,after"]) {
      expect(Either.isLeft(Storm.parse(bad)), bad).toBe(true)
    }
  })

  it.effect("bad options are an InvalidOptions error", () =>
    Effect.gen(function*() {
      for (const storm of [{ durationMs: 0 }, { durationMs: 1.5 }, { durationMs: 10, afterMs: -1 }, { durationMs: 10, retryAfterSeconds: -1 }]) {
        const e = yield* Effect.scoped(Effect.flip(Emulator.start({ storm })))
        expect(e.reason).toBe("InvalidOptions")
      }
    }))
})

describe("storm", () => {
  it.scoped("every provider request is a 429 for the storm's duration, then normal", () =>
    Effect.gen(function*() {
      const wall = manualClock()
      const em = yield* Emulator.start({ storm: { afterMs: 1_000, durationMs: 20_000, retryAfterSeconds: 5 }, wallClock: wall.clock })
      const urls = [cf(em, "/instances?per_page=1"), or(em, "/runs?limit=1"), op(em, "/runs?limit=1")]
      const statuses = () => Effect.forEach(urls, (u) => get(em, u).pipe(Effect.map((r) => r.status)))
      // the clock starts with the first provider request
      wall.tick(50_000)
      expect(yield* statuses()).toEqual([200, 200, 200])
      wall.tick(999)
      expect(yield* statuses()).toEqual([200, 200, 200])
      wall.tick(1)
      const storm = yield* Effect.forEach(urls, (u) => get(em, u))
      expect(storm.map((r) => r.status)).toEqual([429, 429, 429])
      expect(storm.map((r) => r.headers.get("retry-after"))).toEqual(["5", "5", "5"])
      expect(storm[0]!.json.errors[0].code).toBe(971)
      expectKeys(storm[1]!.json, ["detail"])
      expect(storm[2]!.json.error.code).toBe("rate_limited")
      // admin routes never storm
      expect((yield* request(`${em.info.adminUrl}/clock`)).status).toBe(200)
      wall.tick(19_999)
      expect(yield* statuses()).toEqual([429, 429, 429])
      wall.tick(1)
      expect(yield* statuses()).toEqual([200, 200, 200])
      const stats = yield* em.stats
      expect(stats.storm).toBe(6)
      expect(stats.tooManyRequests).toBe(6)
      expect(stats.rateLimited).toBe(0)
      expect(stats.requests).toBe(15)
      for (const p of ["cloudflare", "orchestra", "onepin"] as const) {
        expect(stats.credentials[p]).toEqual({ "0": { requests: 5, tooManyRequests: 2, rateLimited: 0, storm: 2 } })
      }
    }))

  it.scoped("without `after` the first request meets the storm; its 429s take no room in the rate limit", () =>
    Effect.gen(function*() {
      const wall = manualClock()
      const em = yield* Emulator.start({ storm: { durationMs: 5_000 }, rateLimit: { limit: 2, windowMs: 60_000 }, wallClock: wall.clock })
      const first = yield* get(em, or(em, "/runs?limit=1"))
      expect(first.status).toBe(429)
      expect(first.headers.get("retry-after")).toBe("1")
      for (let i = 0; i < 3; i++) expect((yield* get(em, or(em, "/runs?limit=1"))).status).toBe(429)
      wall.tick(5_000)
      expect((yield* get(em, or(em, "/runs?limit=1"))).status).toBe(200)
      expect((yield* get(em, or(em, "/runs?limit=1"))).status).toBe(200)
      expect((yield* get(em, or(em, "/runs?limit=1"))).status).toBe(429)
      const stats = yield* em.stats
      expect(stats.storm).toBe(4)
      expect(stats.rateLimited).toBe(1)
      expect(stats.credentials.orchestra["0"]).toEqual({ requests: 7, tooManyRequests: 5, rateLimited: 1, storm: 4 })
      expect(yield* em.peakInWindow("orchestra", 0, 60_000)).toBe(2)
      expect(yield* em.peakInWindow("orchestra", 0, 60_000, "arrived")).toBe(7)
    }))
})
