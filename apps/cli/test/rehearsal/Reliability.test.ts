/**
 * The reliability suites of the CLI: faults (output equals the fault-free export record for
 * record, every injected fault counted and answered by exactly one retry), in-process; and
 * crashes (SIGKILL at random moments, resume, final output equals the uninterrupted export),
 * through the bundle, since only a process can be killed. Everything on 127.0.0.1, every
 * loop bounded. The two suites run at once, each with its own emulator.
 */
import { describe, expect, it } from "@effect/vitest"
import { StepRecord } from "@steptrail/core"
import { Emulator } from "@steptrail/emulator"
import { Effect, Fiber } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { BIN, lines } from "../cli.js"
import { runWithEnv as run } from "../inProcess.js"

const TOKEN = "reliability-token"
/** The crash suite's uninterrupted export, counted apart from the killed ones. */
const REFERENCE_TOKEN = "reliability-reference-token"
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-rel-"))

const exportArgs = (info: Emulator.Info, provider: "cloudflare" | "orchestra" | "onepin", ...extra: Array<string>) => {
  switch (provider) {
    case "cloudflare":
      return ["export", "cloudflare", "--base-url", info.cloudflare.baseUrl, "--account-id", info.cloudflare.accountId, "--workflow", info.cloudflare.workflow, "--full-output", ...extra]
    case "orchestra":
      return ["export", "orchestra", "--base-url", info.orchestra.baseUrl, "--workflow", info.orchestra.workflow, ...extra]
    case "onepin":
      return ["export", "onepin", "--base-url", info.onepin.baseUrl, "--workflow", info.onepin.workflow, "--workspace", info.onepin.workspaceId, ...extra]
  }
}
const env = { CLOUDFLARE_API_TOKEN: TOKEN, ORCHESTRA_API_KEY: TOKEN, ONEPIN_API_KEY: TOKEN }
/** What the seeds above make: the fault-free exports' requests, and the faults injected. */
const REQUESTS = 194
const FAULTS = { reset: 3, malformed: 2, serverError: 18, tooManyRequests: 14 }
const data = { token: TOKEN, seed: 11, cloudflare: { instances: 40 }, orchestra: { runs: 40 }, onepin: { runs: 45 } }

/** Answers of every provider by status (`"reset"` for a connection reset without one). */
const byStatus = (stats: Emulator.Stats, status: string) =>
  Object.values(stats.providers).reduce((n, p) => n + (p.byStatus[status] ?? 0), 0)

describe.concurrent("fault suite", () => {
  it.scopedLive("with 10% 5xx, 5% 429, 2% resets and 1% malformed bodies the output equals the fault-free export, record for record", () =>
    Effect.gen(function*() {
      const clean = yield* Emulator.start(data)
      // the fault generator draws once per request, in arrival order: with its seed, the kinds
      // hit depend only on how many requests were made, so the counts below are known
      const faulty = yield* Emulator.start({
        ...data,
        faults: { serverError: 0.1, tooManyRequests: 0.05, reset: 0.02, malformed: 0.01, retryAfter: 1, seed: 5 }
      })
      // the three providers at once (the counts do not depend on the order requests arrive in)
      yield* Effect.forEach(["cloudflare", "orchestra", "onepin"] as const, (provider) =>
        Effect.gen(function*() {
          const want = yield* run(exportArgs(clean.info, provider, "--quiet"), env)
          expect(want.code).toBe(0)
          const got = yield* run(exportArgs(faulty.info, provider, "--retries", "10", "--concurrency", "8", "--quiet"), env)
          expect(got.stderr, provider).toBe("")
          expect(got.code, provider).toBe(0)
          expect(lines(got.stdout).length, provider).toBe(lines(want.stdout).length)
          expect(got.stdout === want.stdout, provider).toBe(true)
        }), { concurrency: "unbounded" })
      const base = yield* clean.stats
      const stats = yield* faulty.stats
      // every kind asked for was injected, the others never
      expect(stats.faults).toEqual({ reset: FAULTS.reset, truncated: 0, malformed: FAULTS.malformed, contentType: 0, serverError: FAULTS.serverError, tooManyRequests: FAULTS.tooManyRequests, slow: 0 })
      expect(byStatus(stats, "500") + byStatus(stats, "502") + byStatus(stats, "503")).toBe(FAULTS.serverError)
      expect(byStatus(stats, "429")).toBe(FAULTS.tooManyRequests)
      expect(byStatus(stats, "reset")).toBe(FAULTS.reset)
      expect(base.faults).toEqual({ reset: 0, truncated: 0, malformed: 0, contentType: 0, serverError: 0, tooManyRequests: 0, slow: 0 })
      // and survived: each fault cost exactly one more request than the fault-free export made
      const injected = FAULTS.reset + FAULTS.malformed + FAULTS.serverError + FAULTS.tooManyRequests
      expect(stats.requests).toBe(base.requests + injected)
      expect(base.requests).toBe(REQUESTS)
    }), { timeout: 120_000 })
})

/** A seeded PRNG, so a failing crash schedule can be replayed. */
const mulberry32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/**
 * Starts the CLI and SIGKILLs it `ms` after its export reached the emulator (its first request
 * arrived), so that every kill lands in the export rather than in Node's start-up; resolves
 * with its exit (null code when killed).
 */
const runAndKill = (emulator: Emulator.Emulator, args: ReadonlyArray<string>, ms: number) =>
  Effect.gen(function*() {
    // requests made with TOKEN (the emulator's first credential) only
    const requests = Effect.map(emulator.stats, (stats) => stats.credentials.cloudflare["0"]?.requests ?? 0)
    const before = yield* requests
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "ignore", "ignore"] })
    const closed = new Promise<number | null>((resolve) => child.on("close", resolve))
    const running = () => child.exitCode === null && child.signalCode === null
    for (let waited = 0; waited < 20_000 && running() && (yield* requests) === before; waited += 10) {
      yield* Effect.sleep("10 millis")
    }
    yield* Effect.sleep(ms)
    const killed = running() && child.kill("SIGKILL")
    const code = yield* Effect.promise(() => closed)
    return { code, killed: killed && code === null }
  })

describe.concurrent("crash suite", () => {
  it.scopedLive("SIGKILLed at 20 random moments and resumed each time, the export ends equal to an uninterrupted one", () =>
    Effect.gen(function*() {
      // every request slowed down a little, so the export lasts long enough to be killed 20 times
      const emulator = yield* Emulator.start({ token: TOKEN, tokens: [REFERENCE_TOKEN], seed: 4, cloudflare: { instances: 300 }, faults: { slow: 1, slowMs: 15 } })
      const dir = tmp()
      const reference = path.join(dir, "reference.ndjson")
      // the uninterrupted export, in-process, while the other is killed
      const ref = yield* Effect.fork(
        run(exportArgs(emulator.info, "cloudflare", "--concurrency", "2", "--quiet", "--out", reference), { CLOUDFLARE_API_TOKEN: REFERENCE_TOKEN })
      )
      const out = path.join(dir, "resumed.ndjson")
      const state = path.join(dir, "state.json")
      const args = exportArgs(emulator.info, "cloudflare", "--concurrency", "2", "--quiet", "--out", out, "--state", state)
      const random = mulberry32(20261128)
      let kills = 0
      let finished = false
      for (let attempt = 0; attempt < 20 && !finished; attempt++) {
        const result = yield* runAndKill(emulator, args, Math.floor(random() * 500))
        if (result.killed) {
          kills++
          // the target never exists half-written
          expect(fs.existsSync(out)).toBe(false)
        } else {
          expect(result.code).toBe(0)
          finished = true
        }
      }
      expect(kills).toBe(20)
      expect((yield* Fiber.join(ref)).code).toBe(0)
      if (!finished) {
        const last = yield* run(args, env)
        expect(last.code).toBe(0)
      }
      const got = fs.readFileSync(out, "utf8")
      const want = fs.readFileSync(reference, "utf8")
      const keys = lines(got).map((l) => StepRecord.key(JSON.parse(l)))
      expect(new Set(keys).size).toBe(keys.length)
      expect(keys.length).toBe(lines(want).length)
      expect(got === want).toBe(true)
      expect(fs.readdirSync(dir).sort()).toEqual(["reference.ndjson", "resumed.ndjson", "state.json"])
      expect(JSON.parse(fs.readFileSync(state, "utf8")).pending).toBeNull()
    }), { timeout: 300_000 })
})
