import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Emulator } from "@steptrail/emulator"
import { bearer, cf, get, manualClock, op, or, request, tm } from "./helpers.js"

describe("extra tokens", () => {
  it.scoped("every token is valid for every provider; others are not", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start({ token: "main", tokens: ["second", "third"] })
      expect(em.info.token).toBe("main")
      expect(em.info.tokens).toEqual(["main", "second", "third"])
      for (const token of ["main", "second", "third"]) {
        expect((yield* get(em, cf(em, "/instances?per_page=1"), bearer(token))).status).toBe(200)
        expect((yield* get(em, cf(em, "/instances?per_page=1"), { "x-auth-email": "me@example.com", "x-auth-key": token })).status).toBe(200)
        expect((yield* get(em, or(em, "/runs?limit=1"), bearer(token))).status).toBe(200)
        expect((yield* get(em, op(em, "/runs?limit=1"), bearer(token))).status).toBe(200)
        expect((yield* get(em, tm(em, "/workflows?pageSize=1"), bearer(token))).status).toBe(200)
      }
      expect((yield* get(em, cf(em, "/instances"), bearer("fourth"))).status).toBe(401)
      expect((yield* get(em, or(em, "/runs"), bearer("fourth"))).status).toBe(401)
      expect((yield* get(em, op(em, "/runs"), bearer("fourth"))).status).toBe(401)
      expect((yield* get(em, tm(em, "/workflows"), bearer("fourth"))).status).toBe(401)
    }))

  it.scoped("the startup line lists the tokens only when there are several", () =>
    Effect.gen(function*() {
      const one = yield* Emulator.start({ token: "main" })
      expect(one.info.tokens).toEqual(["main"])
      expect(JSON.parse(Emulator.startupLine(one.info)).tokens).toBeUndefined()
      const three = yield* Emulator.start({ token: "main", tokens: ["second", "third"] })
      const line = JSON.parse(Emulator.startupLine(three.info))
      expect(Object.keys(line)).toEqual(["token", "cloudflare", "orchestra", "onepin", "temporal", "adminUrl", "tokens"])
      expect(line.tokens).toEqual(["main", "second", "third"])
      expect((yield* request(`${three.info.adminUrl}/info`)).json.tokens).toEqual(["main", "second", "third"])
    }))

  it.effect("empty or repeated tokens are an InvalidOptions error", () =>
    Effect.gen(function*() {
      for (const options of [{ tokens: [""] }, { tokens: ["a", "a"] }, { token: "a", tokens: ["a"] }]) {
        const e = yield* Effect.scoped(Effect.flip(Emulator.start(options)))
        expect(e.reason).toBe("InvalidOptions")
      }
    }))
})

describe("per-credential stats", () => {
  it.scoped("requests and 429s per provider and credential label, never the secret", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start({ token: "main", tokens: ["second"], rateLimit: { limit: 2, windowMs: 60_000 } })
      for (let i = 0; i < 3; i++) yield* get(em, cf(em, "/instances?per_page=1"), bearer("main"))
      for (let i = 0; i < 2; i++) yield* get(em, cf(em, "/instances?per_page=1"), { "x-auth-email": "me@example.com", "x-auth-key": "second" })
      yield* get(em, or(em, "/runs?limit=1"), bearer("second"))
      yield* request(op(em, "/runs"))
      yield* get(em, op(em, "/runs"), bearer("wrong"))
      yield* get(em, tm(em, "/workflow-count"), bearer("second"))
      const stats = yield* em.stats
      expect(stats.credentials).toEqual({
        cloudflare: {
          "0": { requests: 3, tooManyRequests: 1, rateLimited: 1, storm: 0 },
          "1": { requests: 2, tooManyRequests: 0, rateLimited: 0, storm: 0 }
        },
        orchestra: { "1": { requests: 1, tooManyRequests: 0, rateLimited: 0, storm: 0 } },
        onepin: {
          anonymous: { requests: 1, tooManyRequests: 0, rateLimited: 0, storm: 0 },
          [Object.keys(stats.credentials.onepin).find((k) => k.startsWith("other-"))!]: {
            requests: 1,
            tooManyRequests: 0,
            rateLimited: 0,
            storm: 0
          }
        },
        temporal: { "1": { requests: 1, tooManyRequests: 0, rateLimited: 0, storm: 0 } }
      })
      expect(Object.keys(stats.credentials.onepin).find((k) => k.startsWith("other-"))).toMatch(/^other-[0-9a-f]{8}$/)
      expect(JSON.stringify(stats)).not.toContain("wrong")
      expect(JSON.stringify(stats)).not.toContain("second")
      // the limit is per credential: token 1 was never limited
      expect(stats.rateLimited).toBe(1)
      yield* em.resetStats
      expect((yield* em.stats).credentials).toEqual({ cloudflare: {}, orchestra: {}, onepin: {}, temporal: {} })
    }))

  it.scoped("peakInWindow: the most requests in any window, accepted or arrived, also over HTTP", () =>
    Effect.gen(function*() {
      const wall = manualClock()
      const em = yield* Emulator.start({ token: "main", tokens: ["second"], rateLimit: { limit: 3, windowMs: 1_000 }, wallClock: wall.clock })
      const send = (token: string) => get(em, or(em, "/runs?limit=1"), bearer(token))
      // main: 4 requests at t=0, 100, 200, 300 (the 4th refused), then one at t=1000 (the one of t=0 has left
      // the window) and one at t=1100 (the one of t=100 has left)
      const statuses: Array<number> = []
      for (let i = 0; i < 4; i++) {
        statuses.push((yield* send("main")).status)
        wall.tick(100)
      }
      wall.tick(600)
      statuses.push((yield* send("main")).status)
      wall.tick(100)
      statuses.push((yield* send("main")).status)
      expect(statuses).toEqual([200, 200, 200, 429, 200, 200])
      // second: one request at t=1100
      yield* send("second")
      expect(yield* em.peakInWindow("orchestra", 0, 1_000)).toBe(3)
      expect(yield* em.peakInWindow("orchestra", "0", 1_000, "arrived")).toBe(4)
      expect(yield* em.peakInWindow("orchestra", "main", 1_001)).toBe(4)
      expect(yield* em.peakInWindow("orchestra", "main", 2_000, "arrived")).toBe(6)
      expect(yield* em.peakInWindow("orchestra", "main", 1)).toBe(1)
      expect(yield* em.peakInWindow("orchestra", "second", 1_000)).toBe(1)
      expect(yield* em.peakInWindow("cloudflare", "main", 1_000)).toBe(0)
      expect(yield* em.peakInWindow("orchestra", "nobody", 1_000)).toBe(0)

      const stats = (yield* request(`${em.info.adminUrl}/stats?window=1000`)).json
      expect(stats.credentials.orchestra).toEqual({
        "0": { requests: 6, tooManyRequests: 1, rateLimited: 1, storm: 0, peakInWindow: { windowMs: 1000, accepted: 3, arrived: 4 } },
        "1": { requests: 1, tooManyRequests: 0, rateLimited: 0, storm: 0, peakInWindow: { windowMs: 1000, accepted: 1, arrived: 1 } }
      })
      expect((yield* request(`${em.info.adminUrl}/stats`)).json.credentials.orchestra["0"].peakInWindow).toBeUndefined()
      for (const bad of ["0", "-5", "abc", ""]) expect((yield* request(`${em.info.adminUrl}/stats?window=${bad}`)).status).toBe(400)
    }))
})
