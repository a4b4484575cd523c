/**
 * `serve` on PostgreSQL whose database goes away: SIGTERM still ends it, with the signal's
 * exit code, within `--stop-timeout` (before the deadline existed it never exited: its passes
 * and the cluster's storage waited on the gone server); a second SIGTERM ends it at once.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as postgres from "@steptrail/database/TestServer"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { emulatorSources } from "../databaseRows.js"
import { emulator, start, tempDir } from "./harness.js"

const STOP_TIMEOUT = 5

let server: postgres.Server
let stopped = false
beforeAll(async () => {
  server = await postgres.start()
  server.createDatabase("gone")
  server.createDatabase("twice")
}, 60_000)
afterAll(() => {
  if (!stopped) server?.stop()
})

const rows = (database: string) => {
  try {
    return Number(server.psql(database, "SELECT count(*) FROM steptrail_steps").trim())
  } catch {
    return 0
  }
}

describe("serve whose PostgreSQL is gone", () => {
  it.scopedLive(`SIGTERM ends it with exit 143 within --stop-timeout ${STOP_TIMEOUT}; a second SIGTERM ends it at once`, () =>
    Effect.gen(function*() {
      const em = yield* emulator({ cloudflare: { instances: 200, live: 2 }, orchestra: { runs: 60, live: 1 }, onepin: { runs: 60, live: 1 }, latency: { minMs: 20, maxMs: 20 } })
      const dir = tempDir()
      const config = path.join(dir, "sources.json")
      fs.writeFileSync(config, JSON.stringify({ sources: emulatorSources(em.info) }))
      const env = { CLOUDFLARE_API_TOKEN: em.info.token, ORCHESTRA_API_KEY: em.info.token, ONEPIN_API_KEY: em.info.token }
      const serve = (database: string) =>
        start(["serve", "--config", config, "--out", server.url(database), "--poll-interval", "1", "--stop-timeout", String(STOP_TIMEOUT)], env)
      // two runners, each on a database of its own
      const runner = serve("gone")
      const twice = serve("twice")
      // capturing: rows committed
      for (let i = 0; i < 300 && (rows("gone") === 0 || rows("twice") === 0); i++) yield* Effect.sleep("100 millis")
      expect(rows("gone"), runner.stderr()).toBeGreaterThan(0)
      expect(rows("twice"), twice.stderr()).toBeGreaterThan(0)
      // the database goes away under it, then the signal
      server.stop()
      stopped = true
      yield* Effect.sleep("500 millis")
      const signalled = performance.now()
      runner.child.kill("SIGTERM")
      twice.child.kill("SIGTERM")
      // the second signal, while the first is still being handled: the process ends at once,
      // killed by it, long before its deadline
      yield* Effect.sleep("1 second")
      twice.child.kill("SIGTERM")
      const ended = yield* Effect.promise(() => twice.done)
      const twiceMillis = performance.now() - signalled
      expect(ended.signal, twice.stderr()).toBe("SIGTERM")
      expect(twiceMillis).toBeLessThan(STOP_TIMEOUT * 1000 - 1000)
      const end = yield* Effect.promise(() => runner.done)
      const millis = performance.now() - signalled
      expect(end.code, runner.stderr()).toBe(143)
      expect(millis).toBeLessThan(STOP_TIMEOUT * 1000 + 2000)
      const said = runner.stderr().trimEnd().split("\n")
      expect(said).toContain(`steptrail: info: stopping: the runs being fetched are finished and committed, then the shards released (at most ${STOP_TIMEOUT} s)`)
      // its cleanup waited on the gone server: the deadline ended it, and said so
      if (millis >= STOP_TIMEOUT * 1000) {
        expect(said).toContain(`steptrail: warn: still stopping after ${STOP_TIMEOUT} s (--stop-timeout): exiting; what was committed stays`)
      }
      // no stack trace, no secret: every line is one of steptrail's
      for (const line of said) expect(line).toMatch(/^steptrail: (info|warn|error): /)
      console.log(`serve with its PostgreSQL gone exited ${end.code} ${Math.round(millis)} ms after SIGTERM (--stop-timeout ${STOP_TIMEOUT}); with a second SIGTERM 1 s after the first, ended by it ${Math.round(twiceMillis)} ms after the first`)
    }), 120_000)
})
