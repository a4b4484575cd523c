/**
 * Two sources on one credential in one `--config` export share that credential's budget:
 * counted at the emulator, together they never exceed it in any window. `--rate-limit` on the
 * command line applies to every source of the file.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { dictatedMillis, emulator, readLines, run, tempDir } from "./harness.js"

const LIMIT = 20
const WINDOW_MS = 6_000 // > the retry allowance of --timeout 2 --retries 1 (two attempts, one backoff: under 5 s)

const config = (em: { readonly info: { readonly cloudflare: { readonly baseUrl: string; readonly accountId: string; readonly workflow: string } } }) => ({
  sources: ["complete", "errored"].map((status) => ({
    name: status,
    provider: "cloudflare",
    base_url: em.info.cloudflare.baseUrl,
    account_id: em.info.cloudflare.accountId,
    workflow: em.info.cloudflare.workflow,
    status,
    credentials: { token_env: "CF_TOKEN" }
  }))
})

describe("a config with two sources on one credential", () => {
  it.scoped("stays within the credential's one budget in every window, and exports both sources", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const data = { cloudflare: { instances: 80 } }
      const throttled = yield* emulator({ ...data, rateLimit: { limit: LIMIT, windowMs: WINDOW_MS }, latency: { minMs: 20, maxMs: 150 } })
      const free = yield* emulator(data)
      fs.writeFileSync(path.join(dir, "slow.json"), JSON.stringify(config(throttled)))
      fs.writeFileSync(path.join(dir, "fast.json"), JSON.stringify(config(free)))
      const env = { CF_TOKEN: throttled.info.token }
      const [exported, reference] = yield* Effect.promise(() =>
        Promise.all([
          run(["export", "--config", path.join(dir, "slow.json"), "--rate-limit", `${LIMIT}/6s`, "--timeout", "2", "--retries", "1", "--quiet", "--out", path.join(dir, "slow.ndjson")], env),
          run(["export", "--config", path.join(dir, "fast.json"), "--quiet", "--out", path.join(dir, "fast.ndjson")], { CF_TOKEN: free.info.token })
        ])
      )
      expect(exported.stderr).toBe("")
      expect(exported.code).toBe(0)
      expect(reference.code).toBe(0)
      const lines = readLines(path.join(dir, "slow.ndjson"))
      expect(lines).toEqual(readLines(path.join(dir, "fast.ndjson")))
      expect(new Set(lines.map((l) => JSON.parse(l).run_status))).toEqual(new Set(["complete", "errored"]))
      const counted = (yield* throttled.stats).credentials.cloudflare!["0"]!
      expect(counted.tooManyRequests).toBe(0)
      expect(yield* throttled.peakInWindow("cloudflare", "0", WINDOW_MS, "arrived")).toBe(LIMIT)
      // both sources went through the one budget: the export took the time the budget dictates for all their requests
      expect(exported.millis).toBeGreaterThanOrEqual(dictatedMillis(counted.requests, LIMIT, WINDOW_MS))
      expect(dictatedMillis(counted.requests, LIMIT, WINDOW_MS)).toBeGreaterThanOrEqual(3 * WINDOW_MS)
    }))
})
