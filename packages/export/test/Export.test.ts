import { describe, expect, it } from "@effect/vitest"
import { ProviderError, type WorkflowProvider } from "@steptrail/core"
import { Export, Output, State, Summary } from "@steptrail/export"
import { Chunk, Effect, Exit, Fiber, Option, Schema, Stream, SubscriptionRef, TestClock } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { collect, drive, fakeProvider, FileSystemLive, lines, runIdsOf, tempDir } from "./fixtures.js"

const collectOutput = () => {
  const { sink, text } = collect()
  return { output: Output.stdout(sink), text }
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
      const records = lines(text())
      expect(records).toHaveLength(60)
      expect(summary).toMatchObject({ runs: 12, steps: 60 })
      expect(records.map((l) => `${l.run_id}/${l.step_index}`)).toEqual(
        Array.from({ length: 12 }, (_, r) => Array.from({ length: 5 }, (_, s) => `run-${r}/${s}`)).flat()
      )
    }))

  it.effect("a provider whose steps come in pages is read through its stream: the same bytes", () =>
    Effect.gen(function*() {
      const whole = collectOutput()
      const paged = collectOutput()
      const provider = fakeProvider(6, 7, [], { pageSize: 3 })
      const fiber = yield* Effect.fork(Effect.all([
        Export.run([{ provider: fakeProvider(6, 7), workflow: "wf" }], whole.output, { concurrency: 3 }),
        Export.run([{ provider, workflow: "wf" }], paged.output, { concurrency: 3 })
      ]))
      yield* TestClock.adjust(10_000)
      const [a, b] = yield* Fiber.join(fiber)
      expect(paged.text()).toBe(whole.text())
      expect(lines(paged.text())).toHaveLength(42)
      expect(b).toMatchObject({ runs: a.runs, steps: a.steps })
      // seven records in pages of three: three pages a run
      expect(provider.calls.pages).toBe(18)
    }))

  it.effect("counts into a summary Ref: a reader sees one whole snapshot per run, and the export returns the last", () =>
    Effect.gen(function*() {
      const { output } = collectOutput()
      const summary = yield* SubscriptionRef.make(Summary.empty("elsewhere"))
      // every value the Ref takes, until the final one (with the bytes written)
      const seen = yield* Effect.fork(Stream.runCollect(Stream.takeUntil(summary.changes, (s) => s.bytes > 0)))
      yield* Effect.yieldNow()
      const fiber = yield* Effect.fork(Export.run([{ provider: fakeProvider(4, 3), workflow: "wf" }], output, { concurrency: 2, summary }))
      yield* TestClock.adjust(10_000)
      const final = yield* Fiber.join(fiber)
      const snapshots = Chunk.toReadonlyArray(yield* Fiber.join(seen))
      // a snapshot once read never changes: each still holds the counts of its moment
      expect(snapshots.map((s) => [s.output, s.runs, s.steps])).toEqual([
        ["elsewhere", 0, 0],
        ["stdout", 0, 0],
        ["stdout", 1, 3],
        ["stdout", 2, 6],
        ["stdout", 3, 9],
        ["stdout", 4, 12],
        ["stdout", 4, 12]
      ])
      expect(final).toEqual(snapshots.at(-1))
      expect(final).toEqual(yield* SubscriptionRef.get(summary))
      expect(final).toMatchObject({ runs: 4, steps: 12, byProvider: { cloudflare: { runs: 4, steps: 12 } } })
      expect(final.bytes).toBeGreaterThan(0)
    }))

  it.effect("writes a run listed twice only once", () =>
    Effect.gen(function*() {
      const { output, text } = collectOutput()
      const provider = fakeProvider(3, 2, ["run-0", "run-1", "run-1", "run-2", "run-0"])
      const fiber = yield* Effect.fork(Export.run([{ provider, workflow: "wf" }], output))
      yield* TestClock.adjust(1000)
      const summary = yield* Fiber.join(fiber)
      expect(summary.runs).toBe(3)
      const keys = lines(text()).map((r) => `${r.run_id}/${r.step_index}`)
      expect(keys).toEqual(["run-0/0", "run-0/1", "run-1/0", "run-1/1", "run-2/0", "run-2/1"])
    }))

  it.effect("passes on every run before a failed one, in order, then the failure, and none after it", () =>
    Effect.gen(function*() {
      const base = fakeProvider(12, 2)
      const provider = {
        ...base,
        // run-5 fails late, after the runs behind it (which are quicker) have been fetched
        steps: (run: WorkflowProvider.RunRef) =>
          run.id === "run-5"
            ? Effect.sleep(500).pipe(
              Effect.zipRight(Effect.fail(new ProviderError.Unavailable({ provider: "cloudflare", detail: "down", run: run.id })))
            )
            : base.steps(run)
      }
      const seen: Array<string> = []
      const fiber = yield* Effect.fork(
        Export.runRecords({ provider, workflow: "wf" }, { concurrency: 4 }).pipe(
          Stream.runForEach((result) => Effect.sync(() => seen.push(result.run.id))),
          Effect.either
        )
      )
      yield* TestClock.adjust(10_000)
      const result = yield* Fiber.join(fiber)
      expect(seen).toEqual(["run-0", "run-1", "run-2", "run-3", "run-4"])
      expect(result._tag === "Left" && result.left.detail).toBe("down")
    }))

  it.effect("exports the named runs once each, in the order given, looking each id up once", () =>
    Effect.gen(function*() {
      const provider = fakeProvider(10, 1)
      const source = { provider, workflow: "wf", runIds: ["run-7", "run-3", "run-7", "run-3", "run-1"] }
      const fiber = yield* Effect.fork(Stream.runCollect(Export.runRecords(source)))
      yield* TestClock.adjust(1000)
      const runs = Chunk.toReadonlyArray(yield* Fiber.join(fiber)).map((r) => r.run.id)
      expect(runs).toEqual(["run-7", "run-3", "run-1"])
      // a repeated id is dropped before any request (the export keeps no set of run ids)
      expect(provider.calls.lookups).toEqual(["run-7", "run-3", "run-1"])
    }))

  it.effect("fetches at most `concurrency` runs at once and lists page by page as runs are needed", () =>
    Effect.gen(function*() {
      let inFlight = 0
      let peak = 0
      let pages = 0
      const base = fakeProvider(1000, 1)
      const provider = {
        ...base,
        // 10 pages of 100 runs, fetched as the export pulls
        runs: () =>
          Stream.paginateChunkEffect(0, (page) =>
            Effect.sync(() => {
              pages++
              const refs = Array.from({ length: 100 }, (_, i) => fakeRef(page * 100 + i))
              return [Chunk.unsafeFromArray(refs), page < 9 ? Option.some(page + 1) : Option.none()] as const
            })),
        steps: (run: WorkflowProvider.RunRef) =>
          Effect.acquireUseRelease(
            Effect.sync(() => {
              inFlight++
              peak = Math.max(peak, inFlight)
            }),
            () => base.steps(run),
            () => Effect.sync(() => inFlight--)
          )
      }
      const fiber = yield* Effect.fork(
        Export.runRecords({ provider, workflow: "wf" }, { concurrency: 3 }).pipe(Stream.take(5), Stream.runDrain)
      )
      yield* TestClock.adjust(100_000)
      yield* Fiber.join(fiber)
      expect(peak).toBe(3)
      // of 10 pages: the one in use, one listed ahead, one waiting to be buffered
      expect(pages).toBe(3)
    }))

  it.effect("several sources: a failing source does not stop the others; their records are committed, the failure is named", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const out = path.join(dir, "all.ndjson")
      const failing = fakeProvider(4, 2, [], { failAfter: 1 })
      const exit = yield* drive(Effect.scoped(Effect.flatMap(Output.file(out), (output) =>
        Export.run([
          { provider: fakeProvider(3, 2), workflow: "wf", name: "first" },
          { provider: failing, workflow: "wf", name: "broken" },
          { provider: fakeProvider(2, 1), workflow: "wf", name: "third" }
        ], output)
      )))
      expect(Exit.isFailure(exit)).toBe(true)
      const failure = yield* Effect.flip(exit)
      expect(failure._tag).toBe("SourceError")
      if (failure._tag === "SourceError") {
        expect(failure.message).toBe("source broken: cloudflare: unavailable: crash (run run-1) (1 of 3 sources failed; the others were exported)")
        expect(failure.exitCode).toBe(5)
      }
      // the first source whole, the broken one up to its failure, the third whole
      const records = lines(fs.readFileSync(out, "utf8"))
      expect(records.map((r) => `${r.run_id}/${r.step_index}`)).toEqual([
        "run-0/0", "run-0/1", "run-1/0", "run-1/1", "run-2/0", "run-2/1",
        "run-0/0", "run-0/1",
        "run-0/0", "run-1/0"
      ])
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("one named source that fails names itself and commits nothing", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const out = path.join(dir, "one.ndjson")
      const exit = yield* drive(Effect.scoped(Effect.flatMap(Output.file(out), (output) =>
        Export.run([{ provider: fakeProvider(4, 2, [], { failAfter: 1 }), workflow: "wf", name: "prod" }], output)
      )))
      const failure = yield* Effect.flip(exit)
      expect(failure.message).toBe("source prod: cloudflare: unavailable: crash (run run-1)")
      expect(fs.readdirSync(dir)).toEqual([])
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("in the Singer format, the one STATE message holds a watermark and the recent runs, not every run", () =>
    Effect.gen(function*() {
      const { output, text } = collectOutput()
      // 300 runs created a minute apart; with the default 10 minute lateness only the runs of
      // the last 10 minutes before the newest one are named
      const t0 = Date.parse("2026-01-01T00:00:00Z")
      const created = (id: string) => new Date(t0 + Number(id.split("-")[1]) * 60_000).toISOString()
      const exit = yield* drive(Export.run([{ provider: fakeProvider(300, 1, [], { created }), workflow: "wf" }], output, { format: "singer" }))
      expect(Exit.isSuccess(exit)).toBe(true)
      const messages = lines(text())
      const states = messages.filter((m) => m.type === "STATE")
      expect(states).toHaveLength(1)
      const state = Schema.decodeUnknownSync(State.State)(states[0].value)
      const source = state.sources[State.sourceKey("cloudflare", "0123456789abcdef0123456789abcdef", "wf")]!
      expect(source.watermark).toBe(created("run-299"))
      expect(Object.keys(source.recent).sort()).toEqual(Array.from({ length: 11 }, (_, i) => `run-${289 + i}`).sort())
      expect(source.open).toEqual({})
      expect(runIdsOf(text().split("\n").filter((l) => l.includes("\"RECORD\"")).map((l) => JSON.stringify(JSON.parse(l).record)).join("\n"))).toHaveLength(300)
    }))
})

const fakeRef = (i: number): WorkflowProvider.RunRef => ({
  provider: "cloudflare",
  account: "0123456789abcdef0123456789abcdef",
  workflow: "wf",
  id: `run-${i}`,
  status: "complete",
  providerStatus: "complete",
  terminal: true,
  createdAt: null,
  updatedAt: null
})
