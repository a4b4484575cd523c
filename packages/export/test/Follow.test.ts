import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Cloudflare } from "@steptrail/cloudflare"
import { StepRecord } from "@steptrail/core"
import { Emulator } from "@steptrail/emulator"
import { Follow, Output } from "@steptrail/export"
import { Onepin } from "@steptrail/onepin"
import { Orchestra } from "@steptrail/orchestra"
import { ProviderError } from "@steptrail/core"
import { Clock, Effect, Exit, Fiber, Redacted, Schema, Stream, TestClock } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { PassThrough } from "node:stream"
import * as zlib from "node:zlib"
import { collect as collectText, drive, fakeProvider, FileSystemLive, lines, tempDir, until } from "./fixtures.js"

const TOKEN = "follow-token"
const decode = Schema.decodeUnknownSync(StepRecord.StepRecord)

const collect = () => {
  const sink = new PassThrough()
  const chunks: Array<Buffer> = []
  sink.on("data", (c: Buffer) => chunks.push(c))
  return {
    output: Output.stdout(sink),
    records: () => Buffer.concat(chunks).toString("utf8").split("\n").filter((l) => l !== "").map((l) => decode(JSON.parse(l)))
  }
}

const providers = (info: Emulator.Info) =>
  Effect.all({
    cloudflare: Cloudflare.make({ accountId: info.cloudflare.accountId, apiToken: Redacted.make(TOKEN), baseUrl: info.cloudflare.baseUrl }),
    orchestra: Orchestra.make({ apiKey: Redacted.make(TOKEN), baseUrl: info.orchestra.baseUrl }),
    onepin: Onepin.make({ apiKey: Redacted.make(TOKEN), baseUrl: info.onepin.baseUrl, workspaceId: info.onepin.workspaceId })
  }).pipe(Effect.provide(FetchHttpClient.layer))

describe("Follow", () => {
  it.effect("the time limit is honoured to the second: however long a poll takes, the last poll is at the limit, and what settled by then is written", () =>
    Effect.gen(function*() {
      const running = new Set(["run-1"])
      const base = fakeProvider(2, 2, ["run-0", "run-1"], { running })
      // every listing takes 2 s: polls end at 2, 9 and 16 s, when a 5 s wait would pass the 20 s limit
      const provider = { ...base, runs: (workflow: string, filter?: Parameters<typeof base.runs>[1]) => Stream.unwrap(Effect.as(Effect.sleep("2 seconds"), base.runs(workflow, filter))) }
      const { sink, text } = collectText()
      const fiber = yield* Effect.fork(Follow.run([{ provider, workflow: "wf" }], Output.stdout(sink), { poll: "5 seconds", timeout: "20 seconds" }))
      for (let t = 0; t < 18; t++) {
        yield* TestClock.adjust("1 second")
        yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      }
      expect(fiber.unsafePoll(), "still following at 18 s").toBeNull()
      running.delete("run-1") // settles at 18 s, before the limit
      const summary = yield* until(fiber)
      expect(yield* Clock.currentTimeMillis).toBeGreaterThanOrEqual(20_000)
      expect(lines(text()).map((r) => `${r.run_id}/${r.step_index}`)).toEqual(["run-0/0", "run-0/1", "run-1/0", "run-1/1"])
      expect(summary.unfinished).toBe(0)
    }))

  it.effect("a followed run is looked up with its locator, and its steps read page by page", () =>
    Effect.gen(function*() {
      const running = new Set(["run-1"])
      const provider = fakeProvider(2, 3, ["run-0", "run-1"], { running, locators: true, pageSize: 2 })
      const { sink, text } = collectText()
      const fiber = yield* Effect.fork(Follow.run([{ provider, workflow: "wf" }], Output.stdout(sink), { poll: "5 seconds", timeout: "30 seconds" }))
      for (let t = 0; t < 7; t++) {
        yield* TestClock.adjust("1 second")
        yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      }
      running.delete("run-1")
      yield* until(fiber)
      // each poll looks the run up with the locator its listing gave (this provider needs it)
      expect(provider.calls.locators.length).toBeGreaterThan(0)
      expect(new Set(provider.calls.locators.map((l) => JSON.stringify(l)))).toEqual(new Set([JSON.stringify({ "run-1": "loc:run-1" })]))
      expect(lines(text()).map((r) => `${r.run_id}/${r.step_index}`)).toEqual(["run-0/0", "run-0/1", "run-0/2", "run-1/0", "run-1/1", "run-1/2"])
    }))

  it.live("follows runs that progress with the emulator's clock, writing each step once, when it settles, until all are terminal", () =>
    Effect.scoped(Effect.gen(function*() {
      const emulator = yield* Emulator.start({ token: TOKEN, seed: 2 })
      const p = yield* providers(emulator.info)
      const { fixtures, info } = emulator
      const live = (k: "cloudflare" | "orchestra" | "onepin") => fixtures[k].live.filter((r) => r.visibleAtEpoch).map((r) => r.id)
      const sources = [
        { provider: p.cloudflare, workflow: info.cloudflare.workflow, runIds: live("cloudflare") },
        { provider: p.orchestra, workflow: info.orchestra.workflow, runIds: live("orchestra") },
        { provider: p.onepin, workflow: info.onepin.workflow, runIds: live("onepin") }
      ]
      expect(sources.every((s) => s.runIds.length > 0)).toBe(true)
      const { output, records } = collect()
      const follow = yield* Effect.fork(Follow.run(sources, output, { poll: "40 millis", timeout: "60 seconds" }))
      // the first pass holds back unsettled steps
      yield* Effect.sleep("300 millis")
      const first = records()
      expect(first.every((r) => Follow.isSettled(r.status))).toBe(true)
      // move the emulator's clock until the live runs are done (bounded)
      for (let i = 0; i < 200 && follow.unsafePoll() === null; i++) {
        yield* emulator.advance(2_000)
        yield* Effect.sleep("60 millis")
      }
      const summary = yield* Fiber.join(follow)
      expect(summary.unfinished).toBe(0)
      expect(summary.polls).toBeGreaterThan(1)
      const all = records()
      expect(all.length).toBeGreaterThan(first.length)
      expect(new Set(all.map(StepRecord.key)).size).toBe(all.length)
      for (const s of sources) {
        for (const id of s.runIds) {
          const mine = all.filter((r) => r.run_id === id)
          const indices = mine.map((r) => r.step_index).sort((a, b) => a - b)
          expect(indices).toEqual(indices.map((_, i) => i)) // every step, none missing
          expect(mine.every((r) => Follow.isSettled(r.status))).toBe(true)
        }
      }
    })), 60_000)

  it.live("stops at the time limit, writing only settled steps and counting the runs left", () =>
    Effect.scoped(Effect.gen(function*() {
      const emulator = yield* Emulator.start({ token: TOKEN, seed: 2 })
      const p = yield* providers(emulator.info)
      const ids = emulator.fixtures.cloudflare.live.filter((r) => r.visibleAtEpoch).map((r) => r.id)
      const { output, records } = collect()
      const summary = yield* Follow.run(
        [{ provider: p.cloudflare, workflow: emulator.info.cloudflare.workflow, runIds: ids }],
        output,
        { poll: "50 millis", timeout: "300 millis" }
      )
      expect(summary.unfinished).toBe(ids.length)
      expect(records().every((r) => Follow.isSettled(r.status))).toBe(true)
    })))
})

describe("Follow with a listing", () => {
  it.effect("picks up runs created after it started: one listing per source and poll, one lookup of the followed runs", () =>
    Effect.gen(function*() {
      const t0 = Date.now()
      const created = (id: string) => new Date(t0 + Number(id.split("-")[1]) * 1000).toISOString()
      const ids = ["run-0", "run-1", "run-2"]
      const running = new Set(["run-1"])
      const provider = fakeProvider(10, 2, ids, { created, running })
      const { sink, text } = collectText()
      const fiber = yield* Effect.fork(Follow.run([{ provider, workflow: "wf" }], Output.stdout(sink), { poll: "10 seconds", timeout: "55 seconds" }))
      yield* TestClock.adjust("1 second")
      // first pass: run-1 is followed, its running step held back
      expect(lines(text()).map((r) => `${r.run_id}/${r.step_index}`)).toEqual(["run-0/0", "run-0/1", "run-1/0", "run-2/0", "run-2/1"])
      ids.push("run-3") // a new run, still running
      running.add("run-3")
      yield* TestClock.adjust("10 seconds") // poll 1
      running.delete("run-1")
      running.delete("run-3")
      ids.push("run-4")
      yield* TestClock.adjust("10 seconds") // poll 2
      const summary = yield* until(fiber)
      expect(lines(text()).map((r) => `${r.run_id}/${r.step_index}`)).toEqual([
        "run-0/0", "run-0/1", "run-1/0", "run-2/0", "run-2/1",
        "run-3/0", // poll 1: run-3 appears, its second step still running
        "run-1/1", "run-3/1", "run-4/0", "run-4/1" // poll 2: both end; run-4 appears done
      ])
      // polls at 10, 20, 30, 40 and 50 s, and a last one at the time limit, 55 s
      expect(summary).toMatchObject({ polls: 6, unfinished: 0, newRuns: 2, runs: 5, steps: 10 })
      // the first pass, then one listing per poll, from the newest creation time seen less the margin
      expect(provider.calls.listings).toHaveLength(7)
      expect(provider.calls.listings[1]!.since!.getTime()).toBe(Date.parse(created("run-2")) - 10 * 60_000)
      expect(provider.calls.lookups).toEqual(["run-1", "run-1", "run-3"])
    }))

  it.effect("where a lookup cannot tell a run's status, one listing per source and poll tells it, however many runs are followed", () =>
    Effect.gen(function*() {
      const running = new Set(["run-0", "run-1", "run-2", "run-3"])
      const provider = fakeProvider(4, 2, [], { running, lookupStatus: "unknown" })
      const { sink, text } = collectText()
      const fiber = yield* Effect.fork(
        Follow.run([{ provider, workflow: "wf", runIds: ["run-0", "run-1", "run-2", "run-3"] }], Output.stdout(sink), { poll: "5 seconds" })
      )
      yield* TestClock.adjust("16 seconds") // three polls
      for (const id of [...running]) running.delete(id)
      yield* until(fiber)
      // four polls, each with one listing (not one per followed run)
      expect(provider.calls.listings).toHaveLength(4)
      expect(provider.calls.lookups).toHaveLength(4 + 4 * 4)
      expect(lines(text())).toHaveLength(8)
    }))

  it.effect("gzip to stdout: after each pass that wrote records, what the reader has is complete gzip", () =>
    Effect.gen(function*() {
      const running = new Set(["run-1"])
      const provider = fakeProvider(3, 2, [], { running })
      const { bytes, sink } = collectText()
      const fiber = yield* Effect.fork(
        Follow.run([{ provider, workflow: "wf", runIds: ["run-0", "run-1", "run-2"] }], Output.stdout(sink, 0, { gzip: true }), { poll: "5 seconds" })
      )
      // the first pass (less than the poll interval)
      for (let i = 0; i < 20; i++) {
        yield* TestClock.adjust("100 millis")
        yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
      }
      // still following run-1, and what the reader has decodes without the end of the stream
      expect(fiber.unsafePoll()).toBeNull()
      expect(lines(zlib.gunzipSync(bytes()).toString())).toHaveLength(5)
      running.delete("run-1")
      yield* until(fiber)
      expect(lines(zlib.gunzipSync(bytes()).toString()).map((r) => `${r.run_id}/${r.step_index}`)).toEqual([
        "run-0/0", "run-0/1", "run-1/0", "run-2/0", "run-2/1", "run-1/1"
      ])
    }))

  it.effect("a failed poll ends following with its error, and what was written is committed", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const out = path.join(dir, "follow.ndjson.gz")
      const base = fakeProvider(3, 2, [], { running: new Set(["run-1"]) })
      let lookups = 0
      const provider = {
        ...base,
        // the first pass looks the three runs up; the first poll's lookup fails
        lookup: (workflow: string, ids: ReadonlyArray<string>) =>
          (lookups += ids.length) > 3 ? Effect.fail(new ProviderError.Unavailable({ provider: "cloudflare", detail: "down" })) : base.lookup(workflow, ids)
      }
      const exit = yield* drive(Effect.scoped(Effect.flatMap(Output.file(out, { gzip: true }), (output) =>
        Follow.run([{ provider, workflow: "wf", runIds: ["run-0", "run-1", "run-2"] }], output, { poll: "5 seconds" })
      )))
      expect(Exit.isFailure(exit) && String(exit.cause)).toContain("cloudflare: unavailable: down")
      expect(lines(zlib.gunzipSync(fs.readFileSync(out)).toString()).map((r) => `${r.run_id}/${r.step_index}`)).toEqual([
        "run-0/0", "run-0/1", "run-1/0", "run-2/0", "run-2/1"
      ])
      expect(fs.readdirSync(dir)).toEqual(["follow.ndjson.gz"])
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("an interruption (Ctrl-C, SIGTERM) ends following, and what was written is committed", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const out = path.join(dir, "follow.ndjson")
      const provider = fakeProvider(3, 2, [], { running: new Set(["run-1"]) })
      const fiber = yield* Effect.fork(Effect.scoped(Effect.flatMap(Output.file(out), (output) =>
        Follow.run([{ provider, workflow: "wf" }], output, { poll: "5 seconds" })
      )))
      for (let i = 0; i < 100 && lines(readIfAny(dir)).length < 5; i++) {
        yield* TestClock.adjust("1 second")
        yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 5)))
      }
      yield* TestClock.adjust("12 seconds")
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
      expect(lines(fs.readFileSync(out, "utf8"))).toHaveLength(5)
      expect(fs.readdirSync(dir)).toEqual(["follow.ndjson"])
    }).pipe(Effect.provide(FileSystemLive)))
})

/** The partial file an unfinished Output.file writes, read if there is one. */
const readIfAny = (dir: string): string => {
  const partial = fs.readdirSync(dir).find((f) => f.endsWith(".partial"))
  return partial === undefined ? "" : fs.readFileSync(path.join(dir, partial), "utf8")
}
