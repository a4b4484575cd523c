/**
 * The reliability suites of the CLI: faults (output equals the fault-free export record for
 * record) and crashes (SIGKILL at random moments, resume, final output equals the
 * uninterrupted export). Everything on 127.0.0.1, every loop bounded.
 */
import { describe, expect, it } from "@effect/vitest"
import { StepRecord } from "@steptrail/core"
import { Emulator } from "@steptrail/emulator"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { BIN, lines, run } from "./cli.js"

const TOKEN = "reliability-token"
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
const data = { token: TOKEN, seed: 11, cloudflare: { instances: 40 }, orchestra: { runs: 40 }, onepin: { runs: 45 } }

describe("fault suite", () => {
  it.scoped("with 10% 5xx, 5% 429, 2% resets and 1% malformed bodies the output equals the fault-free export, record for record", () =>
    Effect.gen(function*() {
      const clean = yield* Emulator.start(data)
      const faulty = yield* Emulator.start({
        ...data,
        faults: { serverError: 0.1, tooManyRequests: 0.05, reset: 0.02, malformed: 0.01, retryAfter: 1, seed: 5 }
      })
      for (const provider of ["cloudflare", "orchestra", "onepin"] as const) {
        const want = yield* run(exportArgs(clean.info, provider, "--quiet"), env)
        expect(want.code).toBe(0)
        const got = yield* run(exportArgs(faulty.info, provider, "--retries", "10", "--concurrency", "8", "--quiet"), env, { timeoutMs: 120_000 })
        expect(got.stderr, provider).toBe("")
        expect(got.code, provider).toBe(0)
        expect(lines(got.stdout).length, provider).toBe(lines(want.stdout).length)
        expect(got.stdout === want.stdout, provider).toBe(true)
      }
      const stats = yield* faulty.stats
      const injected = JSON.stringify(stats)
      // the faults really happened
      expect(injected).toMatch(/"?(5xx|serverError)"?\s*:\s*[1-9]/)
    }), { timeout: 240_000 })
})

/** A seeded PRNG, so a failing crash schedule can be replayed. */
const mulberry32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** Starts the CLI and SIGKILLs it after `ms`; resolves with its exit (null code when killed). */
const runAndKill = (args: ReadonlyArray<string>, ms: number) =>
  Effect.async<{ code: number | null; killed: boolean }>((resume) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "ignore", "ignore"] })
    let killed = false
    const timer = setTimeout(() => {
      killed = child.kill("SIGKILL")
    }, ms)
    child.on("close", (code) => {
      clearTimeout(timer)
      resume(Effect.succeed({ code, killed: killed && code === null }))
    })
  })

describe("crash suite", () => {
  it.scoped("SIGKILLed at 20 random moments and resumed each time, the export ends equal to an uninterrupted one", () =>
    Effect.gen(function*() {
      // every request slowed down a little, so the export lasts long enough to be killed 20 times
      const emulator = yield* Emulator.start({ token: TOKEN, seed: 4, cloudflare: { instances: 300 }, faults: { slow: 1, slowMs: 15 } })
      const dir = tmp()
      const reference = path.join(dir, "reference.ndjson")
      const ref = yield* run(exportArgs(emulator.info, "cloudflare", "--concurrency", "2", "--quiet", "--out", reference), env, { timeoutMs: 120_000 })
      expect(ref.code).toBe(0)
      const out = path.join(dir, "resumed.ndjson")
      const state = path.join(dir, "state.json")
      const args = exportArgs(emulator.info, "cloudflare", "--concurrency", "2", "--quiet", "--out", out, "--state", state)
      const random = mulberry32(20261128)
      let kills = 0
      let finished = false
      for (let attempt = 0; attempt < 20 && !finished; attempt++) {
        const result = yield* runAndKill(args, 150 + Math.floor(random() * 600))
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
      if (!finished) {
        const last = yield* run(args, env, { timeoutMs: 120_000 })
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
