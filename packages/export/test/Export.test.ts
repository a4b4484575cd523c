import { describe, expect, it } from "@effect/vitest"
import { Export, Output } from "@steptrail/export"
import { ProviderError } from "@steptrail/core"
import { Effect, Stream, TestClock, Fiber, Chunk } from "effect"
import { PassThrough } from "node:stream"
import { fakeProvider } from "./fixtures.js"

const collectOutput = () => {
  const sink = new PassThrough()
  const chunks: Array<Buffer> = []
  sink.on("data", (c: Buffer) => chunks.push(c))
  return { output: Output.stdout(sink), text: () => Buffer.concat(chunks).toString("utf8") }
}

describe("Export", () => {
  it.effect("keeps every run's records contiguous and in order, runs in listing order, at any concurrency", () =>
    Effect.gen(function*() {
      const { output, text } = collectOutput()
      const fiber = yield* Effect.fork(
        Export.run([{ provider: fakeProvider(12, 5), workflow: "wf" }], output, { concurrency: 8 })
      )
      yield* TestClock.adjust(10_000)
      const summary = yield* Fiber.join(fiber)
      const lines = text().trimEnd().split("\n").map((l) => JSON.parse(l))
      expect(lines).toHaveLength(60)
      expect(summary).toMatchObject({ runs: 12, steps: 60 })
      expect(lines.map((l) => `${l.run_id}/${l.step_index}`)).toEqual(
        Array.from({ length: 12 }, (_, r) => Array.from({ length: 5 }, (_, s) => `run-${r}/${s}`)).flat()
      )
    }))

  it.effect("writes a run listed twice only once", () =>
    Effect.gen(function*() {
      const { output, text } = collectOutput()
      const provider = fakeProvider(3, 2, ["run-0", "run-1", "run-1", "run-2", "run-0"])
      const fiber = yield* Effect.fork(Export.run([{ provider, workflow: "wf" }], output))
      yield* TestClock.adjust(1000)
      const summary = yield* Fiber.join(fiber)
      expect(summary.runs).toBe(3)
      const keys = text().trimEnd().split("\n").map((l) => { const r = JSON.parse(l); return `${r.run_id}/${r.step_index}` })
      expect(new Set(keys).size).toBe(keys.length)
      expect(keys).toHaveLength(6)
    }))

  it.effect("passes on every run before a failed one, in order, then the failure, and none after it", () =>
    Effect.gen(function*() {
      const base = fakeProvider(12, 2)
      const provider = {
        ...base,
        // run-5 fails late, after the runs behind it (which are quicker) have been fetched
        steps: (run: Parameters<typeof base.steps>[0]) =>
          run.id === "run-5"
            ? Stream.fromEffect(Effect.sleep(500).pipe(
              Effect.zipRight(Effect.fail(new ProviderError.Unavailable({ provider: "cloudflare", detail: "down", run: run.id })))
            ))
            : base.steps(run)
      }
      const seen: Array<string> = []
      const fiber = yield* Effect.fork(
        Export.fetch({ provider, workflow: "wf" }, { concurrency: 4 }).pipe(
          Stream.runForEach((result) => Effect.sync(() => seen.push(result.run.id))),
          Effect.either
        )
      )
      yield* TestClock.adjust(10_000)
      const result = yield* Fiber.join(fiber)
      expect(seen).toEqual(["run-0", "run-1", "run-2", "run-3", "run-4"])
      expect(result._tag === "Left" && result.left.detail).toBe("down")
    }))

  it.effect("exports only the named runs when ids are given", () =>
    Effect.gen(function*() {
      const source = { provider: fakeProvider(10, 1), workflow: "wf", runIds: ["run-7", "run-3"] }
      const fiber = yield* Effect.fork(Stream.runCollect(Export.fetch(source)))
      yield* TestClock.adjust(1000)
      const runs = Chunk.toReadonlyArray(yield* Fiber.join(fiber)).map((r) => r.run.id)
      expect(runs).toEqual(["run-7", "run-3"])
    }))

  it.effect("fetches at most `concurrency` runs at once and pulls the listing lazily", () =>
    Effect.gen(function*() {
      let inFlight = 0
      let peak = 0
      let listed = 0
      const base = fakeProvider(1000, 1)
      const provider = {
        ...base,
        runs: () => base.runs("wf").pipe(Stream.tap(() => Effect.sync(() => listed++))),
        steps: (run: Parameters<typeof base.steps>[0]) =>
          Stream.acquireRelease(
            Effect.sync(() => { inFlight++; peak = Math.max(peak, inFlight) }),
            () => Effect.sync(() => inFlight--)
          ).pipe(Stream.flatMap(() => base.steps(run)))
      }
      const fiber = yield* Effect.fork(
        Export.fetch({ provider, workflow: "wf" }, { concurrency: 3 }).pipe(Stream.take(5), Stream.runDrain)
      )
      yield* TestClock.adjust(100_000)
      yield* Fiber.join(fiber)
      expect(peak).toBeLessThanOrEqual(3)
      // runs are fetched in groups of 32 (at concurrency 3), the next group listed meanwhile
      expect(listed).toBeGreaterThanOrEqual(32)
      expect(listed).toBeLessThanOrEqual(3 * 32)
    }))
})
