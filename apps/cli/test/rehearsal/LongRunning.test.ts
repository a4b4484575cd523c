/**
 * What only a process shows about long-running exports: a pipeline killed as a whole
 * (SIGKILL) with the state to stdout, signals and their exit codes, what a follow keeps when
 * it is stopped, and the lock between two exports. The processes under test are the bundle;
 * the exports that only check their work run in-process. The tests run at once (each has
 * its own emulator and directory). Everything on 127.0.0.1, every loop bounded.
 */
import { describe, expect, it } from "@effect/vitest"
import { StepRecord } from "@steptrail/core"
import { Emulator } from "@steptrail/emulator"
import { Effect } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { BIN, lines } from "../cli.js"
import { runWithEnv as run, stderrLines } from "../inProcess.js"

const TOKEN = "long-running-token"
const env = { CLOUDFLARE_API_TOKEN: TOKEN }
const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-long-"))
const sleep = (ms: number) => Effect.promise(() => new Promise((resolve) => setTimeout(resolve, ms)))

const cloudflare = (info: Emulator.Info, ...extra: Array<string>) => [
  "export", "cloudflare", "--base-url", info.cloudflare.baseUrl, "--account-id", info.cloudflare.accountId,
  "--workflow", info.cloudflare.workflow, ...extra
]

/** A seeded PRNG, so a failing schedule can be replayed. */
const mulberry32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/**
 * A loader that commits in batches: it appends what it read to its store (fsync'd) every
 * 200 ms and at the end of its input. What it read since its last commit is lost when it dies.
 */
const CONSUMER = `
const fs = require("node:fs")
const fd = fs.openSync(process.argv[1], "a")
let pending = ""
const commit = () => { if (pending !== "") { const cut = pending.lastIndexOf("\\n") + 1; fs.writeSync(fd, pending.slice(0, cut)); fs.fsyncSync(fd); pending = pending.slice(cut) } }
setInterval(commit, 200)
process.stdin.on("data", (c) => { pending += c })
process.stdin.on("end", () => { commit(); process.exit(0) })
`

/**
 * Starts `steptrail … | loader`: two children of this process joined by a pipe, as a shell
 * would join them. Killed, both are reaped here at once (a shell's orphans wait for init,
 * and a killed export whose pid is still there holds its lock a while longer).
 */
const pipeline = (args: ReadonlyArray<string>, store: string) => {
  const producer = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "ignore"] })
  const consumer = spawn(process.execPath, ["-e", CONSUMER, store], { stdio: [producer.stdout!, "ignore", "ignore"] })
  // the loader holds the read end now; ours would keep the pipe open after the loader dies
  producer.stdout!.destroy()
  return { producer, consumer }
}

type Pipeline = ReturnType<typeof pipeline>

const running = (p: Pipeline) => [p.producer, p.consumer].some((c) => c.exitCode === null && c.signalCode === null)

const exitOf = (child: ChildProcess) =>
  Effect.async<number | null>((resume) => {
    if (child.exitCode !== null || child.signalCode !== null) return resume(Effect.succeed(child.exitCode))
    child.once("exit", (code) => resume(Effect.succeed(code)))
  })

/** Both exit codes, once both have ended: the export's, then the loader's. */
const exited = (p: Pipeline) => Effect.all([exitOf(p.producer), exitOf(p.consumer)])

/** Starts the CLI with stdout collected; the caller signals it. */
const start = (args: ReadonlyArray<string>) => {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? "", ...env }, stdio: ["ignore", "pipe", "pipe"] })
  const out: Array<Buffer> = []
  const err: Array<Buffer> = []
  child.stdout!.on("data", (c: Buffer) => out.push(c))
  child.stderr!.on("data", (c: Buffer) => err.push(c))
  const done = Effect.async<{ code: number | null; stdout: Buffer; stderr: string }>((resume) => {
    child.once("close", (code) => resume(Effect.succeed({ code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString() })))
  })
  return { child, done, stdout: () => Buffer.concat(out) }
}

const until = (check: () => boolean, ms = 20_000) =>
  Effect.gen(function*() {
    for (let waited = 0; waited < ms && !check(); waited += 25) yield* sleep(25)
    expect(check()).toBe(true)
  })

const keysOf = (text: string) => lines(text).map((l) => StepRecord.key(JSON.parse(l)))

describe.concurrent("stdout with --state, the whole pipeline killed", () => {
  it.scoped("a batching loader killed with the export at random moments loses no record key over the resumes", () =>
    Effect.gen(function*() {
      // slowed down so that an export lasts about a second after the process has started; live
      // runs change as the emulator's clock moves between attempts
      const emulator = yield* Emulator.start({ token: TOKEN, seed: 8, cloudflare: { instances: 40, live: 12 }, faults: { slow: 1, slowMs: 30 } })
      const dir = tmp()
      const store = path.join(dir, "store.ndjson")
      const state = path.join(dir, "state.json")
      const args = cloudflare(emulator.info, "--concurrency", "2", "--quiet", "--state", state)
      const random = mulberry32(20261130)
      const read = () => (fs.existsSync(state) ? fs.readFileSync(state, "utf8") : "")
      // the export committed: its state changed and holds no export in progress
      const committed = (before: string) => {
        const now = read()
        return now !== before && JSON.parse(now).pending === null
      }
      let kills = 0
      let clean = 0
      for (let attempt = 0; attempt < 40 && (kills < 10 || clean < 3); attempt++) {
        yield* emulator.advance(25_000)
        const before = read()
        const child = pipeline(args, store)
        // one attempt in four runs to its end: the state then moves, and the next is incremental
        const killAt = attempt % 4 === 3 ? Infinity : 100 + Math.floor(random() * 1200)
        let waited = 0
        while (running(child) && waited < killAt && waited < 60_000) {
          yield* sleep(20)
          waited += 20
        }
        // An export that has committed its state has ended cleanly: its loader is left to
        // finish, as in any pipeline whose producer is done (see docs/reliability.md).
        const kill = running(child) && killAt !== Infinity && !committed(before)
        if (kill) {
          child.producer.kill("SIGKILL")
          child.consumer.kill("SIGKILL")
          kills++
        } else {
          clean++
        }
        const codes = yield* exited(child)
        if (!kill) expect(codes, `attempt ${attempt}`).toEqual([0, 0])
      }
      expect(kills).toBeGreaterThanOrEqual(10)
      // a last clean run, then every key a full export has now must be in the store
      const last = pipeline(args, store)
      expect(yield* exited(last)).toEqual([0, 0])
      const full = yield* run(cloudflare(emulator.info, "--quiet"), env)
      expect(full.code).toBe(0)
      const stored = new Set(keysOf(fs.readFileSync(store, "utf8")))
      const missing = keysOf(full.stdout).filter((k) => !stored.has(k))
      expect(missing).toEqual([])
      expect(JSON.parse(read()).pending).toBeNull()
    }), { timeout: 280_000 })
})

describe.concurrent("signals", () => {
  const follow = (info: Emulator.Info, ids: ReadonlyArray<string>, ...extra: Array<string>) =>
    cloudflare(info, "--follow", "--poll-interval", "1", ...ids.flatMap((id) => ["--instance", id]), ...extra)

  for (const [signal, code] of [["SIGHUP", 129], ["SIGINT", 130], ["SIGTERM", 143]] as const) {
    it.scoped(`${signal} stops a follow with --out: exit ${code}, the file holds every record written`, () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.start({ token: TOKEN, seed: 5 })
        const ids = emulator.fixtures.cloudflare.live.filter((r) => r.visibleAtEpoch).map((r) => r.id)
        const dir = tmp()
        const out = path.join(dir, "follow.ndjson")
        const p = start(follow(emulator.info, ids, "--out", out, "--quiet"))
        // the first pass has written something (into the temporary file) and a poll or two ran
        yield* until(() => fs.readdirSync(dir).some((f) => f.endsWith(".partial") && fs.statSync(path.join(dir, f)).size > 0))
        yield* sleep(1500)
        p.child.kill(signal)
        const r = yield* p.done
        expect(r.code).toBe(code)
        expect(r.stderr).toBe("")
        const records = lines(fs.readFileSync(out, "utf8")).map((l) => JSON.parse(l) as StepRecord.StepRecord)
        expect(records.length).toBeGreaterThan(0)
        expect(new Set(records.map(StepRecord.key)).size).toBe(records.length)
        expect(records.every((x) => ["complete", "errored", "cancelled"].includes(x.status))).toBe(true)
        expect(fs.readdirSync(dir)).toEqual(["follow.ndjson"])
      }), 60_000)
  }

  it.scoped("SIGHUP (a closed terminal) stops a follow with --out FILE.gz: exit 129, the file committed as closed gzip, the lock released", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.start({ token: TOKEN, seed: 5 })
      const ids = emulator.fixtures.cloudflare.live.filter((r) => r.visibleAtEpoch).map((r) => r.id)
      const dir = tmp()
      const out = path.join(dir, "follow.ndjson.gz")
      const p = start(follow(emulator.info, ids, "--out", out, "--quiet"))
      yield* until(() => fs.readdirSync(dir).some((f) => f.endsWith(".partial") && fs.statSync(path.join(dir, f)).size > 0))
      yield* sleep(1500)
      p.child.kill("SIGHUP")
      const r = yield* p.done
      expect(r.code).toBe(129)
      expect(r.stderr).toBe("")
      expect(fs.readdirSync(dir)).toEqual(["follow.ndjson.gz"])
      // gunzipSync refuses a member that is not closed ("unexpected end of file")
      const text = zlib.gunzipSync(fs.readFileSync(out)).toString()
      expect(text.endsWith("\n")).toBe(true)
      const records = lines(text).map((l) => JSON.parse(l) as StepRecord.StepRecord)
      expect(records.length).toBeGreaterThan(0)
      expect(new Set(records.map(StepRecord.key)).size).toBe(records.length)
    }), 60_000)

  it.scoped("Ctrl-C on a follow with --gzip to stdout leaves valid gzip of whole records", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.start({ token: TOKEN, seed: 5 })
      const ids = emulator.fixtures.cloudflare.live.filter((r) => r.visibleAtEpoch).map((r) => r.id)
      const p = start(follow(emulator.info, ids, "--gzip", "--quiet"))
      yield* until(() => p.stdout().length > 0)
      yield* sleep(1200)
      p.child.kill("SIGINT")
      const r = yield* p.done
      expect(r.code).toBe(130)
      const text = zlib.gunzipSync(r.stdout).toString()
      expect(text.endsWith("\n")).toBe(true)
      expect(lines(text).every((l) => typeof JSON.parse(l).run_id === "string")).toBe(true)
    }), 60_000)

  it.scoped("SIGTERM ends a plain export with exit 143 and no file", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.start({ token: TOKEN, seed: 4, cloudflare: { instances: 300 }, faults: { slow: 1, slowMs: 20 } })
      const dir = tmp()
      const out = path.join(dir, "runs.ndjson")
      const p = start(cloudflare(emulator.info, "--concurrency", "1", "--quiet", "--out", out))
      yield* until(() => fs.readdirSync(dir).some((f) => f.endsWith(".partial")))
      yield* sleep(300)
      p.child.kill("SIGTERM")
      const r = yield* p.done
      expect(r.code).toBe(143)
      expect(r.stderr).toBe("")
      expect(fs.readdirSync(dir)).toEqual([])
    }), 60_000)
})

describe.concurrent("one export per state file and output", () => {
  it.scoped("a second export refuses at once with exit 2 naming the holder; a killed holder's lock is taken over", () =>
    Effect.gen(function*() {
      // the holder exports for 2 s or more: the in-process refusals below take a fraction of that
      const emulator = yield* Emulator.start({ token: TOKEN, seed: 4, cloudflare: { instances: 100 }, faults: { slow: 1, slowMs: 20 } })
      const dir = tmp()
      const out = path.join(dir, "runs.ndjson")
      const state = path.join(dir, "state.json")
      const args = cloudflare(emulator.info, "--concurrency", "1", "--quiet", "--out", out, "--state", state)
      const first = start(args)
      yield* until(() => fs.existsSync(`${out}.lock`))
      const holder = JSON.parse(fs.readFileSync(`${state}.lock`, "utf8"))
      expect(holder.pid).toBe(first.child.pid)
      const second = yield* run(args, env)
      expect(second.code).toBe(2)
      expect(stderrLines(second)).toEqual([
        `steptrail: ${state} is in use by another export (pid ${first.child.pid}, started ${holder.started_at}); wait for it to end, or delete ${state}.lock if that process is gone`
      ])
      // the same output with another state file is refused too
      const other = yield* run(cloudflare(emulator.info, "--quiet", "--out", out), env)
      expect(other.code).toBe(2)
      expect(other.stderr).toContain(`steptrail: ${out} is in use by another export (pid ${first.child.pid}, `)
      first.child.kill("SIGKILL")
      yield* first.done
      // the holder is gone: its locks are taken over, and the export resumes to the end
      const third = yield* run(args, env)
      expect(third.code).toBe(0)
      expect(stderrLines(third)).toEqual([
        `steptrail: warn: taking over the lock ${state}.lock left by a process that no longer runs`,
        `steptrail: warn: taking over the lock ${out}.lock left by a process that no longer runs`
      ])
      expect(fs.readdirSync(dir).sort()).toEqual(["runs.ndjson", "state.json"])
    }), 180_000)
})
