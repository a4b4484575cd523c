import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Fiber, Option, Ref, Stream, TestClock } from "effect"
import * as ProviderError from "../src/ProviderError.js"
import * as StepRecord from "../src/StepRecord.js"
import * as Pagination from "../src/Pagination.js"
import * as WorkflowProvider from "../src/WorkflowProvider.js"

const T0 = Date.UTC(2026, 0, 15)

/** Run `i` of a newest-first listing: created `i` minutes before T0. */
const runAt = (i: number, over: Partial<WorkflowProvider.RunRef> = {}): WorkflowProvider.RunRef => ({
  provider: "acme",
  account: null,
  workflow: "wf",
  id: `run-${i}`,
  status: "complete",
  providerStatus: i % 3 === 0 ? "failed" : "completed",
  terminal: true,
  createdAt: new Date(T0 - i * 60_000).toISOString(),
  updatedAt: null,
  ...over
})

/** A newest-first listing of `total` runs in pages of `size`; every page fetched is counted. */
const listing = (total: number, size = 10, run: (i: number) => WorkflowProvider.RunRef = runAt) =>
  Effect.map(Ref.make(0), (pages) => ({
    pages: Ref.get(pages),
    stream: Pagination.offset(size, (offset, limit) =>
      Ref.update(pages, (n) => n + 1).pipe(
        Effect.as({
          items: Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, k) => run(offset + k))
        })
      ))
  }))

class Missing {
  readonly _tag = "Missing"
  constructor(readonly id: string) {}
}

const collect = <A, E>(stream: Stream.Stream<A, E>) => Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

describe("WorkflowProvider.lookupEach", () => {
  it.effect("looks each id up once", () =>
    Effect.gen(function*() {
      const calls = yield* Ref.make<ReadonlyArray<string>>([])
      const runs = yield* WorkflowProvider.lookupEach(["b", "a", "b", "b", "a"], (id) =>
        Effect.as(Ref.update(calls, (all) => [...all, id]), runAt(0, { id })))
      expect(runs.map((r) => r.id)).toEqual(["b", "a"])
      expect([...(yield* Ref.get(calls))].sort()).toEqual(["a", "b"])
    }))

  it.effect("at most 4 lookups at a time", () =>
    Effect.gen(function*() {
      const running = yield* Ref.make(0)
      const peak = yield* Ref.make(0)
      const ids = Array.from({ length: 12 }, (_, i) => `r${i}`)
      const fiber = yield* Effect.fork(
        WorkflowProvider.lookupEach(ids, (id) =>
          Ref.updateAndGet(running, (n) => n + 1).pipe(
            Effect.flatMap((n) => Ref.update(peak, (p) => Math.max(p, n))),
            Effect.zipRight(Effect.sleep(100)),
            Effect.zipRight(Ref.update(running, (n) => n - 1)),
            Effect.as(runAt(0, { id }))
          ))
      )
      yield* TestClock.adjust("1 seconds")
      expect(yield* Fiber.join(fiber)).toHaveLength(12)
      expect(yield* Ref.get(peak)).toBe(4)
    }))

  it.effect("fails with the failure of a lookup", () =>
    Effect.gen(function*() {
      const error = yield* Effect.flip(
        WorkflowProvider.lookupEach(["a", "nope"], (id) =>
          id === "nope" ? Effect.fail(new Missing(id)) : Effect.succeed(runAt(0, { id })))
      )
      expect(error).toEqual(new Missing("nope"))
    }))

  it.effect("no ids: no lookup", () =>
    Effect.gen(function*() {
      const runs = yield* WorkflowProvider.lookupEach([], () => Effect.die("looked up"))
      expect(runs).toEqual([])
    }))
})

describe("WorkflowProvider.lookupInListing", () => {
  const notFound = (id: string) => new Missing(id)

  it.effect("stops reading the listing once every id was seen", () =>
    Effect.gen(function*() {
      const { pages, stream } = yield* listing(100)
      const runs = yield* WorkflowProvider.lookupInListing(["run-23", "run-5"], stream, notFound)
      expect(runs.map((r) => r.id)).toEqual(["run-23", "run-5"])
      // run-23 is on the third page of ten
      expect(yield* pages).toBe(3)
    }))

  it.effect("an id on the last item of a page costs that page only", () =>
    Effect.gen(function*() {
      const { pages, stream } = yield* listing(100)
      yield* WorkflowProvider.lookupInListing(["run-9"], stream, notFound)
      expect(yield* pages).toBe(1)
    }))

  it.effect("gives the runs as the listing describes them, in the order asked, each once", () =>
    Effect.gen(function*() {
      const { pages, stream } = yield* listing(50)
      const runs = yield* WorkflowProvider.lookupInListing(["run-12", "run-3", "run-12", "run-40", "run-3"], stream, notFound)
      expect(runs).toEqual([runAt(12), runAt(3), runAt(40)])
      expect(runs[1]!.providerStatus).toBe("failed")
      expect(yield* pages).toBe(5)
    }))

  it.effect("an id never seen is notFound, after the whole listing", () =>
    Effect.gen(function*() {
      const { pages, stream } = yield* listing(25)
      const error = yield* Effect.flip(WorkflowProvider.lookupInListing(["run-4", "run-99", "run-77"], stream, notFound))
      expect(error).toEqual(new Missing("run-99"))
      expect(yield* pages).toBe(3)
    }))

  it.effect("no ids: the listing is not read", () =>
    Effect.gen(function*() {
      const { pages, stream } = yield* listing(25)
      expect(yield* WorkflowProvider.lookupInListing([], stream, notFound)).toEqual([])
      expect(yield* pages).toBe(0)
    }))

  it.effect("a listing failure is the lookup's failure", () =>
    Effect.gen(function*() {
      const failing = Stream.concat(Stream.make(runAt(0)), Stream.fail(new Missing("listing")))
      const error = yield* Effect.flip(WorkflowProvider.lookupInListing(["run-0", "run-1"], failing, notFound))
      expect(error).toEqual(new Missing("listing"))
    }))

  it.effect("the same lookup can run again", () =>
    Effect.gen(function*() {
      const { pages, stream } = yield* listing(30)
      const lookup = WorkflowProvider.lookupInListing(["run-15"], stream, notFound)
      yield* lookup
      yield* lookup
      expect(yield* pages).toBe(4)
    }))
})

describe("WorkflowProvider.filterNewestFirst", () => {
  const since = (i: number) => new Date(T0 - i * 60_000)

  it.effect("stops the listing once a run older than `since` passes", () =>
    Effect.gen(function*() {
      const { pages, stream } = yield* listing(100)
      const runs = yield* collect(stream.pipe(WorkflowProvider.filterNewestFirst({ since: since(15) })))
      expect(runs.map((r) => r.id)).toEqual(Array.from({ length: 16 }, (_, i) => `run-${i}`))
      expect(yield* pages).toBe(2)
    }))

  it.effect("without `since` the whole listing is read", () =>
    Effect.gen(function*() {
      const { pages, stream } = yield* listing(100)
      expect(yield* collect(stream.pipe(WorkflowProvider.filterNewestFirst(undefined)))).toHaveLength(100)
      expect(yield* pages).toBe(11)
      const { pages: more, stream: again } = yield* listing(100)
      const until = yield* collect(again.pipe(WorkflowProvider.filterNewestFirst({ until: since(89) })))
      expect(until.map((r) => r.id)).toEqual(Array.from({ length: 10 }, (_, i) => `run-${90 + i}`))
      expect(yield* more).toBe(11)
    }))

  it.effect("applies the rest of the filter on the way", () =>
    Effect.gen(function*() {
      const { pages, stream } = yield* listing(100)
      const runs = yield* collect(
        stream.pipe(WorkflowProvider.filterNewestFirst({ since: since(20), until: since(5), status: ["failed"] }))
      )
      expect(runs.map((r) => r.id)).toEqual(["run-6", "run-9", "run-12", "run-15", "run-18"])
      expect(yield* pages).toBe(3)
    }))

  it.effect("a run without a creation time does not end the listing, nor pass a time filter", () =>
    Effect.gen(function*() {
      const { pages, stream } = yield* listing(30, 10, (i) => runAt(i, i === 3 ? { createdAt: null } : {}))
      const runs = yield* collect(stream.pipe(WorkflowProvider.filterNewestFirst({ since: since(5) })))
      expect(runs.map((r) => r.id)).toEqual(["run-0", "run-1", "run-2", "run-4", "run-5"])
      expect(yield* pages).toBe(1)
    }))
})

describe("WorkflowProvider.matches", () => {
  it("no filter matches every run", () => {
    expect(WorkflowProvider.matches(undefined, runAt(1, { createdAt: null, providerStatus: null }))).toBe(true)
    expect(WorkflowProvider.matches({}, runAt(1))).toBe(true)
    expect(WorkflowProvider.matches({ status: [] }, runAt(1))).toBe(true)
  })

  it("status compares the provider's own words", () => {
    expect(WorkflowProvider.matches({ status: ["failed", "completed"] }, runAt(1))).toBe(true)
    expect(WorkflowProvider.matches({ status: ["failed"] }, runAt(1))).toBe(false)
    expect(WorkflowProvider.matches({ status: ["complete"] }, runAt(1))).toBe(false)
    expect(WorkflowProvider.matches({ status: ["failed"] }, runAt(1, { providerStatus: null }))).toBe(false)
  })

  it("since is inclusive, until exclusive; no creation time never matches a time filter", () => {
    const run = runAt(10)
    const at = new Date(run.createdAt!)
    expect(WorkflowProvider.matches({ since: at }, run)).toBe(true)
    expect(WorkflowProvider.matches({ since: new Date(at.getTime() + 1) }, run)).toBe(false)
    expect(WorkflowProvider.matches({ until: at }, run)).toBe(false)
    expect(WorkflowProvider.matches({ until: new Date(at.getTime() + 1) }, run)).toBe(true)
    expect(WorkflowProvider.matches({ until: new Date(T0 + 1) }, runAt(1, { createdAt: null }))).toBe(false)
  })
})

describe("WorkflowProvider.distinctIds", () => {
  it("each id once, in the order first given", () => {
    expect(WorkflowProvider.distinctIds(["c", "a", "c", "b", "a"])).toEqual(["c", "a", "b"])
    expect(WorkflowProvider.distinctIds([])).toEqual([])
  })
})

describe("WorkflowProvider.stepStream", () => {
  const run = runAt(0)
  const record = (i: number) => StepRecord.of(run).step(i, { status: "complete", name: `s${i}` })

  it.effect("is the provider's paged stream where it has one, a chunk per page, pulled only as far as read", () =>
    Effect.gen(function*() {
      const pages = yield* Ref.make(0)
      const service = {
        steps: () => Effect.die("steps is not read when there is a stream"),
        stepStream: () =>
          Pagination.cursor((token) => {
            const at = Number(Option.getOrElse(token, () => "0"))
            return Ref.update(pages, (n) => n + 1).pipe(
              Effect.as({ items: [record(at), record(at + 1)], next: at < 4 ? String(at + 2) : null })
            )
          }, (token) => new ProviderError.DecodeFailure({ provider: "acme", path: "next", detail: `cursor ${token} again` }))
      }
      const chunks = yield* Stream.runCollect(Stream.mapChunks(WorkflowProvider.stepStream(service, run), (c) => Chunk.of(Chunk.size(c))))
      expect(Chunk.toReadonlyArray(chunks)).toEqual([2, 2, 2])
      expect(yield* Ref.get(pages)).toBe(3)
      yield* Ref.set(pages, 0)
      yield* Stream.runDrain(Stream.take(WorkflowProvider.stepStream(service, run), 2))
      expect(yield* Ref.get(pages)).toBe(1)
      const all = yield* WorkflowProvider.collect(WorkflowProvider.stepStream(service, run))
      expect(all.map((r) => r.step_index)).toEqual([0, 1, 2, 3, 4, 5])
    }))

  it.effect("is the provider's whole answer as one chunk where it has no stream", () =>
    Effect.gen(function*() {
      const service = { steps: () => Effect.succeed([record(0), record(1), record(2)]) }
      const chunks = yield* Stream.runCollect(Stream.mapChunks(WorkflowProvider.stepStream(service, run), (c) => Chunk.of(Chunk.size(c))))
      expect(Chunk.toReadonlyArray(chunks)).toEqual([3])
    }))
})
