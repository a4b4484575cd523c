/**
 * Exports at a server-enforced budget whose window (15 s) is longer than a request's whole
 * retry allowance (`--timeout 2 --retries 2`: three attempts of at most 2 s and two backoffs
 * of at most 0.9 s, under 8 s), with 20-150 ms of latency on every request. Before the
 * request path was rebuilt, waiting for the budget counted against each attempt's timeout and
 * such an export died with exit 5 after its retries.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as path from "node:path"
import { dictatedMillis, emulator, type Provider, readLines, run, target, tempDir } from "./harness.js"

const LIMIT = 40
const WINDOW_MS = 15_000
const RUNS = 130 // with the live ones and the listing pages: at least four windows
const data = { cloudflare: { instances: RUNS }, orchestra: { runs: RUNS }, onepin: { runs: RUNS } }
const envelope = ["--timeout", "2", "--retries", "2", "--rate-limit", `${LIMIT}/15s`, "--quiet"]

describe("at a budget whose window outlasts the retry allowance", () => {
  it.scoped("every provider exports exactly the unthrottled records, with no 429, in at most 1.15x the time the budget dictates", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const throttled = yield* emulator({ ...data, rateLimit: { limit: LIMIT, windowMs: WINDOW_MS }, latency: { minMs: 20, maxMs: 150 } })
      const free = yield* emulator(data)
      const providers: ReadonlyArray<Provider> = ["cloudflare", "orchestra", "onepin"]
      const results = yield* Effect.promise(() =>
        Promise.all(providers.map(async (provider) => {
          const out = path.join(dir, `${provider}.ndjson`)
          const reference = path.join(dir, `${provider}.reference.ndjson`)
          const slow = target(throttled, provider)
          const fast = target(free, provider)
          const [exported, unthrottled] = await Promise.all([
            run([...slow.args, ...envelope, "--out", out], slow.env),
            run([...fast.args, "--quiet", "--out", reference], fast.env)
          ])
          return { provider, out, reference, exported, unthrottled }
        }))
      )
      const stats = yield* throttled.stats
      for (const { exported, out, provider, reference, unthrottled } of results) {
        expect(exported.stderr).toBe("")
        expect(exported.code).toBe(0)
        expect(unthrottled.code).toBe(0)
        const lines = readLines(out)
        expect(lines.length).toBeGreaterThan(RUNS)
        expect(lines).toEqual(readLines(reference))
        const counted = stats.credentials[provider]!["0"]!
        expect(counted.tooManyRequests).toBeLessThanOrEqual(1)
        expect(yield* throttled.peakInWindow(provider, "0", WINDOW_MS, "arrived")).toBeLessThanOrEqual(LIMIT)
        const dictated = dictatedMillis(counted.requests, LIMIT, WINDOW_MS)
        expect(dictated).toBeGreaterThanOrEqual(3 * WINDOW_MS)
        expect(exported.millis).toBeLessThanOrEqual(1.15 * dictated)
      }
    }))
})
