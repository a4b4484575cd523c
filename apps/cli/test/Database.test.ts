/**
 * `--out sqlite:PATH` and `--out postgres://…` through the CLI, in process, against the
 * emulator: the table equals the NDJSON of the same export row by row, incremental reruns,
 * --config, --redact, --since, --follow, two exports of one source at once, and the usage
 * errors. PostgreSQL is a throwaway server started here (see packages/database/test).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Emulator } from "@steptrail/emulator"
import { Effect, Fiber } from "effect"
import { execFileSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as postgres from "@steptrail/database/TestServer"
import { emulatorSources, ndjson, pgRecords, sqliteRecords } from "./databaseRows.js"
import { runWithEnv as run, stderrLines } from "./inProcess.js"

const TOKEN = "database-cli-token"
const PASSWORD = "db-pa55-word"

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-cli-db-"))

const ENV = { CLOUDFLARE_API_TOKEN: TOKEN, ORCHESTRA_API_KEY: TOKEN, ONEPIN_API_KEY: TOKEN }

const writeConfig = (dir: string, config: unknown) => {
  const file = path.join(dir, "steptrail.json")
  fs.writeFileSync(file, JSON.stringify(config))
  return file
}

describe("export --out sqlite:PATH", () => {
  it.scopedLive("--config: every provider into one file, created if missing; the table equals the NDJSON export row by row; a rerun is incremental", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.start({ token: TOKEN, seed: 3, cloudflare: { instances: 20, live: 0 }, orchestra: { runs: 8, live: 0 }, onepin: { runs: 8, live: 0 } })
      const dir = tempDir()
      const config = writeConfig(dir, { sources: emulatorSources(info) })
      const file = path.join(dir, "steps.db")
      const r = yield* run(["export", "--config", config, "--out", `sqlite:${file}`, "--redact", "output.customer"], ENV)
      expect(r.stderr).toMatch(/exported \d+ runs, \d+ steps to sqlite:/)
      expect(r.code).toBe(0)
      expect(r.stdout).toBe("")
      const clean = yield* run(["export", "--config", config, "--quiet", "--redact", "output.customer"], ENV)
      const table = yield* sqliteRecords(file)
      expect(table.length).toBeGreaterThan(50)
      expect(new Set(table.map((x) => x.provider))).toEqual(new Set(["cloudflare", "orchestra", "onepin"]))
      expect(table).toEqual(ndjson(clean.stdout))
      // nothing new: only runs not terminal may be fetched again, the table is the same
      const again = yield* run(["export", "--config", config, "--out", `sqlite:${file}`], ENV)
      expect(again.code).toBe(0)
      const [, fetched] = again.stderr.match(/exported (\d+) runs/)!
      // (a run whose version did not change is not fetched either)
      expect(Number(fetched)).toBeLessThanOrEqual(new Set(table.filter((x) => !["complete", "errored", "cancelled"].includes(x.run_status as string)).map((x) => x.run_id)).size)
      expect(again.stderr).toMatch(/runs unchanged since the last export/)
      expect(yield* sqliteRecords(file)).toEqual(table)
    }), 120_000)

  it.scopedLive("--since limits the runs; --follow updates the rows of live runs in place until they are terminal", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.start({ token: TOKEN, seed: 5, cloudflare: { instances: 6 }, orchestra: { runs: 2, live: 0 }, onepin: { runs: 2, live: 0 } })
      const { fixtures, info } = emulator
      const dir = tempDir()
      const file = path.join(dir, "live.db")
      const base = [
        "export", "cloudflare", "--base-url", info.cloudflare.baseUrl, "--account-id", info.cloudflare.accountId, "--workflow", info.cloudflare.workflow
      ]
      const ids = fixtures.cloudflare.live.filter((r) => r.visibleAtEpoch).map((r) => r.id)
      const live = ids.flatMap((id) => ["--instance", id])
      const cli = yield* Effect.fork(run([...base, ...live, "--out", `sqlite:${file}`, "--follow", "--poll-interval", "1", "--follow-timeout", "120"], ENV))
      for (let i = 0; i < 120 && cli.unsafePoll() === null; i++) {
        yield* Effect.sleep("400 millis")
        yield* emulator.advance(3_000)
      }
      const r = yield* Fiber.join(cli)
      expect(r.code).toBe(0)
      const table = yield* sqliteRecords(file)
      const clean = yield* run([...base, ...live, "--quiet"], ENV)
      expect(table).toEqual(ndjson(clean.stdout))
      expect(new Set(table.map((x) => x.run_id))).toEqual(new Set(ids))
      expect(table.every((x) => ["complete", "errored", "cancelled"].includes(x.run_status as string))).toBe(true)
      // --since: only the runs created since then
      const since = yield* run([...base, "--out", `sqlite:${path.join(dir, "since.db")}`, "--since", "2100-01-01T00:00:00Z", "--quiet"], ENV)
      expect(since.code).toBe(0)
      expect(yield* sqliteRecords(path.join(dir, "since.db"))).toEqual([])
    }), 180_000)

  it.scopedLive("two exports of one source into one database at once: the second is refused (exit 2) while the first goes on", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.start({ token: TOKEN, seed: 4, cloudflare: { instances: 12, live: 0 }, faults: { slow: 1, slowMs: 150 } })
      const file = path.join(tempDir(), "busy.db")
      const args = [
        "export", "cloudflare", "--base-url", info.cloudflare.baseUrl, "--account-id", info.cloudflare.accountId,
        "--workflow", info.cloudflare.workflow, "--out", `sqlite:${file}`, "--quiet", "--concurrency", "1"
      ]
      const first = yield* Effect.fork(run(args, ENV))
      yield* Effect.sleep("700 millis")
      const second = yield* run(args, ENV)
      expect(second.code).toBe(2)
      expect(stderrLines(second)).toHaveLength(1)
      expect(second.stderr).toMatch(/is being exported by another export \(pid \d+, started .*\); wait for it to end/)
      const done = yield* Fiber.join(first)
      expect(done.code).toBe(0)
      // and once it ended, the source is free again
      expect((yield* run(args, ENV)).code).toBe(0)
    }), 120_000)

  it.scopedLive("exports of different sources into one database at once both commit, each with its own state row", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.start({ token: TOKEN, seed: 12, orchestra: { runs: 30, live: 0 }, onepin: { runs: 30, live: 0 }, faults: { slow: 0.3, slowMs: 30 } })
      const file = path.join(tempDir(), "shared.db")
      const orchestra = ["export", "orchestra", "--base-url", info.orchestra.baseUrl, "--workflow", info.orchestra.workflow, "--quiet"]
      const onepin = ["export", "onepin", "--base-url", info.onepin.baseUrl, "--workflow", info.onepin.workflow, "--workspace", info.onepin.workspaceId, "--quiet"]
      const [a, b] = yield* Effect.all([run([...orchestra, "--out", `sqlite:${file}`], ENV), run([...onepin, "--out", `sqlite:${file}`], ENV)], { concurrency: 2 })
      expect([a.code, a.stderr, b.code, b.stderr]).toEqual([0, "", 0, ""])
      const [cleanA, cleanB] = yield* Effect.all([run(orchestra, ENV), run(onepin, ENV)])
      expect(yield* sqliteRecords(file)).toEqual(ndjson(cleanA.stdout + cleanB.stdout))
    }), 120_000)

  it.effect("usage: --state, --gzip and --format singer do not apply to a database; a missing directory is exit 2", () =>
    Effect.gen(function*() {
      const base = ["export", "orchestra", "--workflow", "w", "--base-url", "http://127.0.0.1:9/x"]
      const cases: Array<[Array<string>, RegExp]> = [
        [["--out", "sqlite:x.db", "--state", "s.json"], /drop --state/],
        [["--out", "sqlite:x.db", "--format", "singer"], /drop --format/],
        [["--out", "sqlite:/nonexistent-dir/x.db"], /no such directory/]
      ]
      for (const [args, message] of cases) {
        const r = yield* run([...base, ...args], { ORCHESTRA_API_KEY: "k" })
        expect(r.code).toBe(2)
        expect(stderrLines(r)).toHaveLength(1)
        expect(r.stderr).toMatch(message)
      }
    }))
})

describe("export --out postgres://", () => {
  let server: postgres.Server
  beforeAll(async () => {
    server = await postgres.start()
    server.psql("postgres", `CREATE ROLE steptrail LOGIN PASSWORD '${PASSWORD}'; CREATE DATABASE steps OWNER steptrail; CREATE DATABASE steps2 OWNER steptrail;`)
  }, 60_000)
  afterAll(() => server?.stop())

  it.scopedLive("--config into PostgreSQL (password in PGPASSWORD or the URL, never printed): the table equals the NDJSON export row by row", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.start({ token: TOKEN, seed: 8, cloudflare: { instances: 15, live: 0 }, orchestra: { runs: 6, live: 0 }, onepin: { runs: 6, live: 0 } })
      const dir = tempDir()
      const config = writeConfig(dir, { sources: emulatorSources(info) })
      const r = yield* run(["export", "--config", config, "--out", `postgres://steptrail@127.0.0.1:${server.port}/steps`], { ...ENV, PGPASSWORD: PASSWORD })
      expect(r.stderr).not.toContain(PASSWORD)
      expect(r.stderr).toContain(`to postgres://steptrail@127.0.0.1:${server.port}/steps`)
      expect(r.code).toBe(0)
      const clean = yield* run(["export", "--config", config, "--quiet"], ENV)
      expect(pgRecords(server, "steps")).toEqual(ndjson(clean.stdout))
      const inUrl = yield* run(["export", "--config", config, "--out", `postgresql://steptrail:${PASSWORD}@127.0.0.1:${server.port}/steps2`], ENV)
      expect(inUrl.code).toBe(0)
      expect(inUrl.stderr).not.toContain(PASSWORD)
      expect(pgRecords(server, "steps2")).toEqual(ndjson(clean.stdout))
    }), 120_000)

  it.effect("a wrong password is exit 3 and an unreachable server exit 5, each one line without the password", () =>
    Effect.gen(function*() {
      const base = ["export", "orchestra", "--workflow", "w", "--base-url", "http://127.0.0.1:9/x"]
      const wrong = yield* run([...base, "--out", `postgres://steptrail:not-${PASSWORD}@127.0.0.1:${server.port}/steps`], { ORCHESTRA_API_KEY: "k" })
      expect(wrong.code).toBe(3)
      expect(stderrLines(wrong)).toHaveLength(1)
      expect(wrong.stderr).not.toContain(PASSWORD)
      const port = Number(execFileSync("node", ["-e", "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})"], { encoding: "utf8" }).trim())
      const down = yield* run([...base, "--out", `postgres://steptrail:${PASSWORD}@127.0.0.1:${port}/steps`], { ORCHESTRA_API_KEY: "k" })
      expect(down.code).toBe(5)
      expect(stderrLines(down)).toEqual([`steptrail: database postgres://steptrail@127.0.0.1:${port}/steps: cannot reach the server: ECONNREFUSED`])
    }), 60_000)
})
