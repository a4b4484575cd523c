/**
 * `serve` as a cluster: three runner processes of the built CLI on a throwaway PostgreSQL and
 * the emulator with live runs. The runner holding a source is killed with SIGKILL mid-export
 * (the time until another runner holds that source is printed), a fourth runner joins, all are
 * stopped with SIGTERM (exit 143), one is started again until the live runs settle: the table
 * equals a clean export row by row, no key twice.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import * as postgres from "@steptrail/database/TestServer"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { canonical, emulatorSources, ndjson, pgRecords } from "../databaseRows.js"
import { emulator, run, type Running, start, tempDir } from "./harness.js"

let server: postgres.Server
beforeAll(async () => {
  server = await postgres.start()
  server.createDatabase("cluster")
}, 60_000)
afterAll(() => server?.stop())

const sleep = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

/** Who holds each source right now (the pid of the runner exporting it), from steptrail_sources. */
const holders = () => {
  const text = server.psql("cluster", "SELECT source || ' ' || coalesce(owner::json->>'pid', '') FROM steptrail_sources")
  return new Map(text.trim().split("\n").filter((l) => l !== "").map((l) => {
    const [source, pid] = l.split(" ")
    return [source!, pid === undefined || pid === "" ? null : Number(pid)] as const
  }))
}

const tableReady = () => {
  try {
    return holders()
  } catch {
    return new Map<string, number | null>()
  }
}

describe("serve on PostgreSQL: a cluster of runners", () => {
  it.scopedLive("three runners, one SIGKILLed mid-export, a fourth added, all SIGTERMed, restarted: the table equals a clean export row by row", () =>
    Effect.gen(function*() {
      const em = yield* emulator({
        seed: 13,
        cloudflare: { instances: 60, live: 3 },
        orchestra: { runs: 30, live: 2 },
        onepin: { runs: 30, live: 2 },
        latency: { minMs: 10, maxMs: 40 }
      })
      const dir = tempDir()
      const config = path.join(dir, "sources.json")
      // a budget per credential, handed from runner to runner with its log (Handover)
      fs.writeFileSync(config, JSON.stringify({ sources: emulatorSources(em.info).map((s) => ({ ...s, rate_limit: "600/2s" })), concurrency: 2 }))
      const env = { CLOUDFLARE_API_TOKEN: em.info.token, ORCHESTRA_API_KEY: em.info.token, ONEPIN_API_KEY: em.info.token }
      const args = ["serve", "--config", config, "--out", server.url("cluster"), "--poll-interval", "1", "--log-format", "json"]
      const runners: Array<Running> = [start(args, env), start(args, env), start(args, env)]

      // every runner up and holding shards, and the shards settled among the three
      const healthy = (r: Running) =>
        Effect.promise(async () => {
          const m = /listening on (http:\/\/[^ ]+) /.exec(r.stderr())
          if (m === null) return false
          return fetch(`${m[1]}/healthz`, { signal: AbortSignal.timeout(1000) }).then((res) => res.status === 200, () => false)
        })
      // each runner has answered 200 (it held shards) at least once
      const seen = runners.map(() => false)
      for (let i = 0; i < 300 && !seen.every((x) => x); i++) {
        const now = yield* Effect.all(runners.map(healthy))
        now.forEach((ok, k) => (seen[k] = seen[k]! || ok))
        yield* sleep(100)
      }
      const t0 = performance.now()
      const say = (what: string) => process.stderr.write(`cluster rehearsal ${((performance.now() - t0) / 1000).toFixed(1)} s: ${what}\n`)
      if (!seen.every((x) => x)) {
        for (const r of runners) {
          const m = /listening on (http:\/\/[^ ]+) /.exec(r.stderr())
          const metrics = m === null ? "" : yield* Effect.promise(() => fetch(`${m[1]}/metrics`).then((x) => x.text(), (e) => String(e)))
          say(`${r.child.pid}: ${r.stderr().slice(0, 1500)} ${metrics.split("\n").filter((l) => l.startsWith("effect_cluster")).join(" | ")}`)
        }
      }
      expect(seen).toEqual([true, true, true])
      yield* sleep(3_000)
      // a source being exported, and the runner exporting it
      let victim: { source: string; pid: number } | undefined
      for (let i = 0; i < 400 && victim === undefined; i++) {
        yield* sleep(50)
        for (const [source, pid] of tableReady()) if (pid !== null && victim === undefined) victim = { source, pid }
      }
      say(`victim ${JSON.stringify(victim)}`)
      expect(victim).toBeDefined()
      const killed = runners.find((r) => r.child.pid === victim!.pid)!
      expect(killed).toBeDefined()
      killed.child.kill("SIGKILL")
      const killedAt = performance.now()
      expect((yield* Effect.promise(() => killed.done)).signal).toBe("SIGKILL")
      // another runner holds the source: the takeover
      let takenBy: number | null = null
      for (let i = 0; i < 600 && takenBy === null; i++) {
        yield* sleep(50)
        const pid = tableReady().get(victim!.source) ?? null
        if (pid !== null && pid !== victim!.pid) takenBy = pid
      }
      const takeover = performance.now() - killedAt
      process.stderr.write(`serve cluster rehearsal: source ${victim!.source} taken over ${(takeover / 1000).toFixed(1)} s after SIGKILL of its runner\n`)
      expect(takenBy).not.toBe(null)
      // about 6 s; up to about 15 s when the dead runner ran the health checks (Cluster.failover)
      expect(takeover).toBeLessThan(25_000)

      say("taken over")
      // a fourth runner joins while the export goes on
      const alive = runners.filter((r) => r !== killed)
      alive.push(start(args, env))
      yield* sleep(6_000)
      for (const r of alive) r.child.kill("SIGTERM")
      for (const r of alive) {
        const done = yield* Effect.promise(() => r.done)
        expect(done.code).toBe(143)
        // JSON lines only, and no error among them
        const lines = r.stderr().split("\n").filter((l) => l.trim() !== "")
        expect(lines.filter((line) => !["info", "warn"].includes((JSON.parse(line) as { level: string }).level))).toEqual([])
      }

      say("all stopped")
      // started again, until the live runs settle
      const again = start(args, env)
      say("started again")
      const { cloudflare, orchestra, onepin } = em.fixtures
      const last = Math.max(...[...cloudflare.live, ...orchestra.live, ...onepin.live].map((r) => Date.parse(r.settledAt)))
      for (let i = 0; i < 300 && (yield* em.now) <= last; i++) {
        yield* em.advance(60_000)
        yield* sleep(30)
      }
      say("settled")
      const clean = yield* Effect.promise(() => run(["export", "--config", config, "--quiet"], env, path.join(dir, "clean.ndjson")))
      expect(clean.code).toBe(0)
      say("clean export done")
      const expected = ndjson(fs.readFileSync(path.join(dir, "clean.ndjson"), "utf8"))
      let table = pgRecords(server, "cluster")
      for (let i = 0; i < 300 && canonical(table) !== canonical(expected); i++) {
        yield* sleep(200)
        table = pgRecords(server, "cluster")
      }
      say(`table ${table.length} of ${expected.length}`)
      again.child.kill("SIGTERM")
      expect((yield* Effect.promise(() => again.done)).code).toBe(143)
      expect(table.length).toBe(expected.length)
      expect(table).toEqual(expected)
      const keys = server.psql("cluster", "SELECT count(*) - count(DISTINCT (provider, account, workflow, run_id, step_index)) FROM steptrail_steps").trim()
      expect(keys).toBe("0")
    }), 150_000)
})
