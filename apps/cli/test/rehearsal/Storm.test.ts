/**
 * A 429 storm: every request answered 429 with `Retry-After: 5` for 20 s, then normal. A 429
 * pauses the credential and is not a retry, so the export rides the storm out with its retry
 * budget intact, and says so while it waits.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as path from "node:path"
import { emulator, readLines, run, target, tempDir } from "./harness.js"

describe("a 429 storm", () => {
  it.scoped("ends with the full export, the waiting shown in progress and the summary", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const data = { onepin: { runs: 40 } }
      const stormy = yield* emulator({ ...data, storm: { durationMs: 20_000, retryAfterSeconds: 5 }, latency: { minMs: 20, maxMs: 150 } })
      const calm = yield* emulator(data)
      const slow = target(stormy, "onepin")
      const fast = target(calm, "onepin")
      const [exported, reference] = yield* Effect.promise(() =>
        Promise.all([
          run([...slow.args, "--retries", "2", "--out", path.join(dir, "storm.ndjson")], slow.env),
          run([...fast.args, "--quiet", "--out", path.join(dir, "calm.ndjson")], fast.env)
        ])
      )
      expect(exported.code, exported.stderr).toBe(0)
      expect(reference.code).toBe(0)
      expect(readLines(path.join(dir, "storm.ndjson"))).toEqual(readLines(path.join(dir, "calm.ndjson")))
      const stats = yield* stormy.stats
      expect(stats.storm).toBeGreaterThan(2)
      const progress = exported.stderr.split("\n").filter((l) => l.startsWith("steptrail: "))
      expect(progress.length).toBeGreaterThanOrEqual(3)
      expect(progress.some((l) => /paused by a 429 from the provider, next request in \d+s/.test(l))).toBe(true)
      expect(exported.stderr).toMatch(/\n  waited (19|20|21|22|23|24|25)s for the provider's 429 pauses\n/)
      expect(exported.millis).toBeGreaterThanOrEqual(20_000)
    }))
})
