/**
 * `steptrail serve` in process against the emulator with live runs of every provider: the
 * table ends equal to a clean `export --config` of the settled runs, row by row; stopped and
 * started again it resumes; and its usage errors. The built CLI as a process (SIGKILL, SIGTERM
 * mid-pass) is rehearsed in `rehearsal/ServeProcess.test.ts`.
 */
import { describe, expect, it } from "@effect/vitest"
import { Emulator } from "@steptrail/emulator"
import { Effect, Fiber } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { ndjson } from "./databaseRows.js"
import { runWithEnv as run, stderrLines } from "./inProcess.js"
import { ENV, rowsOf, settleAll, tempDir, TOKEN, waitForTable, writeConfig } from "./serveHarness.js"

describe("steptrail serve --out sqlite:PATH", () => {
  it.scopedLive("captures every source, live runs until they settle: the table equals a clean export row by row; restarted, it loses nothing", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.start({ token: TOKEN, seed: 31, cloudflare: { instances: 15, live: 2 }, orchestra: { runs: 8, live: 2 }, onepin: { runs: 8, live: 2 } })
      const dir = tempDir()
      const config = writeConfig(dir, emulator.info)
      const file = path.join(dir, "steps.db")
      const args = ["serve", "--config", config, "--out", `sqlite:${file}`, "--poll-interval", "1"]
      const first = yield* Effect.fork(run(args, ENV))
      // some rows of runs still in flight
      let running = false
      for (let i = 0; i < 150 && !running; i++) {
        yield* Effect.sleep("100 millis")
        running = (yield* rowsOf(file)).some((r) => r.run_status === "running")
      }
      expect(running).toBe(true)
      // stopped while runs are in flight, then started again
      yield* Fiber.interrupt(first)
      const second = yield* Effect.fork(run(args, ENV))
      const live = yield* settleAll(emulator)
      const clean = yield* run(["export", "--config", config, "--quiet"], ENV)
      expect(clean.code).toBe(0)
      const expected = ndjson(clean.stdout)
      const table = yield* waitForTable(file, expected)
      yield* Fiber.interrupt(second)
      expect(table.length).toBeGreaterThan(100)
      expect(new Set(table.map((x) => x.provider))).toEqual(new Set(["cloudflare", "orchestra", "onepin"]))
      expect(table).toEqual(expected)
      expect(new Set(table.map((x) => JSON.stringify([x.provider, x.account, x.workflow, x.run_id, x.step_index]))).size).toBe(table.length)
      // the live runs were followed until they settled
      expect(live.size).toBe(6)
      const liveRows = table.filter((x) => live.has(x.run_id as string))
      expect(new Set(liveRows.map((x) => x.run_id))).toEqual(live)
      expect(liveRows.filter((x) => x.run_status === "running")).toEqual([])
    }), 180_000)

  it.effect("needs a database and a HOST:PORT: no --out, a file --out, a bad --listen are usage errors (exit 2), one line each", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const config = path.join(dir, "sources.json")
      fs.writeFileSync(config, JSON.stringify({ sources: [{ provider: "orchestra", workflow: "wf", base_url: "http://127.0.0.1:9/" }] }))
      const cases: ReadonlyArray<readonly [ReadonlyArray<string>, RegExp]> = [
        [[], /serve needs a database: --out sqlite:PATH, or out in the config file/],
        [["--out", path.join(dir, "steps.ndjson")], /serve writes into a database, sqlite:PATH or postgres:\/\/…; got --out/],
        [["--out", `sqlite:${path.join(dir, "x.db")}`, "--poll-interval", "0"], /--poll-interval must be between 1 and 3600 seconds, got 0/],
        [["--out", `sqlite:${path.join(dir, "x.db")}`, "--stop-timeout", "0"], /--stop-timeout must be between 1 and 3600 seconds, got 0/],
        [["--out", `sqlite:${path.join(dir, "x.db")}`, "--listen", "9464"], /--listen must be HOST:PORT, e\.g\. 127\.0\.0\.1:9464 or \[::1\]:0; got "9464"/]
      ]
      for (const [extra, message] of cases) {
        const r = yield* run(["serve", "--config", config, ...extra], ENV)
        expect(r.code).toBe(2)
        expect(stderrLines(r)).toHaveLength(1)
        expect(r.stderr).toMatch(message)
      }
    }), 60_000)
})
