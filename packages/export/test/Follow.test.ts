import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Cloudflare } from "@steptrail/cloudflare"
import { StepRecord } from "@steptrail/core"
import { Emulator } from "@steptrail/emulator"
import { Follow, Output } from "@steptrail/export"
import { Onepin } from "@steptrail/onepin"
import { Orchestra } from "@steptrail/orchestra"
import { Effect, Fiber, Redacted, Schema } from "effect"
import { PassThrough } from "node:stream"

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
