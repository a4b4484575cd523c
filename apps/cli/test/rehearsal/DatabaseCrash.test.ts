/**
 * Exactly once into a database across crashes: the built CLI exports three providers into
 * SQLite and into PostgreSQL under emulator faults (5xx, resets, latency) and is SIGKILLed 20
 * times at random moments; the same command then finishes. The table must equal, row by row,
 * the NDJSON of a clean export (no key twice, nothing missing). Then the live runs progress
 * and an incremental rerun converges to the clean export of the new state.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as postgres from "@steptrail/database/TestServer"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { emulatorSources, ndjson, pgRecords, sqliteRecords } from "../databaseRows.js"
import { emulator, run, start, tempDir } from "./harness.js"

const KILLS = 20

let server: postgres.Server
beforeAll(async () => {
  server = await postgres.start()
  server.createDatabase("crash")
}, 60_000)
afterAll(() => server?.stop())

const rehearse = (name: string, out: (dir: string) => string, table: (dir: string) => Effect.Effect<ReadonlyArray<Record<string, unknown>>>) =>
  it.scopedLive(`${name}: ${KILLS} SIGKILLs under faults, then the same command: the table equals a clean export row by row; a rerun over live runs converges`, () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const em = yield* emulator({
        seed: 11,
        cloudflare: { instances: 120, live: 3 },
        orchestra: { runs: 50, live: 2 },
        onepin: { runs: 50, live: 2 },
        faults: { serverError: 0.04, reset: 0.02 },
        latency: { minMs: 5, maxMs: 40 }
      })
      const info = em.info
      const config = path.join(dir, "steptrail.json")
      fs.writeFileSync(config, JSON.stringify({ sources: emulatorSources(info) }))
      const env = { CLOUDFLARE_API_TOKEN: info.token, ORCHESTRA_API_KEY: info.token, ONEPIN_API_KEY: info.token }
      const args = ["export", "--config", config, "--out", out(dir), "--quiet", "--retries", "10"]
      let killed = 0
      let finished = 0
      for (let i = 0; i < KILLS; i++) {
        const child = start(args, env)
        // from before the tables exist to well into the export
        yield* Effect.sleep(`${150 + Math.floor(Math.random() * 900)} millis`)
        child.child.kill("SIGKILL")
        const end = yield* Effect.promise(() => child.done)
        if (end.signal === "SIGKILL") killed++
        else {
          expect(end.code, child.stderr()).toBe(0)
          finished++
        }
      }
      expect(killed).toBeGreaterThanOrEqual(KILLS / 2)
      const last = yield* Effect.promise(() => run(args, env))
      expect(last.code, last.stderr).toBe(0)
      const cleanFile = path.join(dir, "clean.ndjson")
      const clean = yield* Effect.promise(() => run(["export", "--config", config, "--quiet", "--retries", "10", "--out", cleanFile], env))
      expect(clean.code, clean.stderr).toBe(0)
      const truth = ndjson(fs.readFileSync(cleanFile, "utf8"))
      expect(truth.length).toBeGreaterThan(500)
      expect(yield* table(dir)).toEqual(truth)

      // the live runs move on; an incremental rerun brings the table to the new truth
      yield* em.advance(10 * 60_000)
      const rerun = yield* Effect.promise(() => run(args, env))
      expect(rerun.code, rerun.stderr).toBe(0)
      const later = yield* Effect.promise(() => run(["export", "--config", config, "--quiet", "--retries", "10", "--out", cleanFile], env))
      expect(later.code, later.stderr).toBe(0)
      const newTruth = ndjson(fs.readFileSync(cleanFile, "utf8"))
      expect(newTruth).not.toEqual(truth)
      expect(yield* table(dir)).toEqual(newTruth)
      console.log(`${name}: ${killed} killed, ${finished} finished before their kill`)
    }))

describe("exactly once into a database across SIGKILLs", () => {
  rehearse("SQLite", (dir) => `sqlite:${path.join(dir, "steps.db")}`, (dir) => sqliteRecords(path.join(dir, "steps.db")))
  rehearse("PostgreSQL", () => server.url("crash"), () => Effect.sync(() => pgRecords(server, "crash")))
})
