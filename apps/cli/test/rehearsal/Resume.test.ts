/**
 * `--state` resume after SIGKILL while requests are queued behind the budget: the second run
 * finishes the export, and the file is exactly the one an uninterrupted export writes.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { emulator, readLines, run, start, target, tempDir } from "./harness.js"

const LIMIT = 20
const WINDOW_MS = 5_000

describe("a resumable export killed while its requests wait for the budget", () => {
  it.scopedLive("resumes to exactly the uninterrupted output, without fetching the written runs again", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const data = { cloudflare: { instances: 60 } }
      const throttled = yield* emulator({ ...data, rateLimit: { limit: LIMIT, windowMs: WINDOW_MS }, latency: { minMs: 20, maxMs: 150 } })
      const free = yield* emulator(data)
      const slow = target(throttled, "cloudflare")
      const args = [...slow.args, "--rate-limit", `${LIMIT}/5s`, "--timeout", "2", "--retries", "1", "--quiet", "--state", path.join(dir, "s.json"), "--out", path.join(dir, "o.ndjson")]
      const first = start(args, slow.env)
      // into the third window: the first two windows' runs are written, the rest wait
      yield* Effect.sleep("11500 millis")
      expect(fs.existsSync(path.join(dir, "o.ndjson.partial"))).toBe(true)
      first.child.kill("SIGKILL")
      const killed = yield* Effect.promise(() => first.done)
      expect(killed.signal).toBe("SIGKILL")
      expect(fs.existsSync(path.join(dir, "o.ndjson"))).toBe(false)
      const before = (yield* throttled.stats).providers.cloudflare!.routes.getInstance?.requests ?? 0
      const second = yield* Effect.promise(() => run(args, slow.env))
      expect(second.code, second.stderr).toBe(0)
      const fast = target(free, "cloudflare")
      const reference = yield* Effect.promise(() => run([...fast.args, "--quiet", "--out", path.join(dir, "ref.ndjson")], fast.env))
      expect(reference.code).toBe(0)
      expect(readLines(path.join(dir, "o.ndjson"))).toEqual(readLines(path.join(dir, "ref.ndjson")))
      const after = (yield* throttled.stats).providers.cloudflare!.routes.getInstance!.requests
      // the resume fetched only what the first run had not written (62 runs in all)
      expect(before).toBeGreaterThan(20)
      expect(after - before).toBeLessThan(62)
      expect(after - before).toBeGreaterThan(0)
    }))
})
