/**
 * A credential's budget across a cluster: three `serve` runners on a throwaway PostgreSQL,
 * behind the emulator's rate limit (the budget-enforcing proxy). One runner starts alone and
 * holds every credential; two more join (shards move); the first is stopped with SIGTERM, so
 * every credential moves to another runner mid-window, its budget's log with it (`Handover`).
 * Each credential gets at most one 429, and never more requests than the budget in any window.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as postgres from "@steptrail/database/TestServer"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { emulatorSources } from "../databaseRows.js"
import { emulator, start, tempDir } from "./harness.js"

const LIMIT = 30
const WINDOW_MS = 10_000

let server: postgres.Server
beforeAll(async () => {
  server = await postgres.start()
  server.createDatabase("budget")
}, 60_000)
afterAll(() => server?.stop())

const sleep = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

describe("serve on PostgreSQL: budgets across the cluster", () => {
  it.scopedLive("three runners behind a budget-enforcing proxy: at most one 429 per credential, never more than the budget in a window", () =>
    Effect.gen(function*() {
      const em = yield* emulator({
        seed: 17,
        cloudflare: { instances: 60, live: 2 },
        orchestra: { runs: 60, live: 2 },
        onepin: { runs: 60, live: 2 },
        rateLimit: { limit: LIMIT, windowMs: WINDOW_MS },
        latency: { minMs: 10, maxMs: 40 }
      })
      const dir = tempDir()
      const config = path.join(dir, "sources.json")
      const sources = emulatorSources(em.info).map((s) => ({ ...s, rate_limit: `${LIMIT}/10s` }))
      fs.writeFileSync(config, JSON.stringify({ sources }))
      const env = { CLOUDFLARE_API_TOKEN: em.info.token, ORCHESTRA_API_KEY: em.info.token, ONEPIN_API_KEY: em.info.token }
      const args = ["serve", "--config", config, "--out", server.url("budget"), "--poll-interval", "1", "--log-format", "json"]
      // who holds each credential, as the runners hand it on (pids, in the order seen)
      const holders = new Map<string, Set<number>>()
      const look = () => {
        try {
          const text = server.psql("budget", "SELECT credential || ' ' || (holder::json->>'pid') FROM steptrail_credentials")
          for (const line of text.trim().split("\n").filter((l) => l !== "")) {
            const [credential, pid] = line.split(" ")
            if (!holders.has(credential!)) holders.set(credential!, new Set())
            holders.get(credential!)!.add(Number(pid))
          }
        } catch {
          // the table is not there yet
        }
      }
      const watch = (ms: number) =>
        Effect.gen(function*() {
          for (let t = 0; t < ms; t += 250) {
            look()
            yield* sleep(250)
          }
        })
      // one runner holds every credential; two join (the shards move); the first is stopped,
      // so every credential it held moves again, each mid-window
      const first = start(args, env)
      yield* watch(6_000)
      const runners = [start(args, env), start(args, env)]
      yield* watch(8_000)
      first.child.kill("SIGTERM")
      expect((yield* Effect.promise(() => first.done)).code).toBe(143)
      yield* watch(22_000)
      for (const r of runners) r.child.kill("SIGTERM")
      for (const r of runners) expect((yield* Effect.promise(() => r.done)).code).toBe(143)
      look()
      // three credentials, each held by the first runner and then by another
      expect(holders.size).toBe(3)
      for (const [credential, pids] of holders) {
        process.stderr.write(`serve budget rehearsal: credential ${credential} held by ${[...pids].join(" then ")}\n`)
        expect(pids.has(first.child.pid!)).toBe(true)
        expect(pids.size).toBeGreaterThanOrEqual(2)
      }
      const stats = yield* em.stats
      for (const provider of ["cloudflare", "orchestra", "onepin"] as const) {
        const counted = stats.credentials[provider]!["0"]!
        process.stderr.write(`serve budget rehearsal: ${provider}: ${counted.requests} requests, ${counted.tooManyRequests} 429s\n`)
        // the budget was the limit: at least three windows' worth went out
        expect(counted.requests).toBeGreaterThan(2 * LIMIT)
        if (counted.tooManyRequests > 1) {
          // what the runners said of their credentials, to tell a hand-over from another cause
          for (const r of [first, ...runners]) {
            const said = r.stderr().split("\n").filter((l) => /credential|429|rate/i.test(l))
            process.stderr.write(`serve budget rehearsal: runner ${r.child.pid}: ${said.join("\n  ")}\n`)
          }
        }
        expect(counted.tooManyRequests).toBeLessThanOrEqual(1)
        expect(yield* em.peakInWindow(provider, "0", WINDOW_MS, "arrived")).toBeLessThanOrEqual(LIMIT + 1)
      }
    }), 120_000)
})
