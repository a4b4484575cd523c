/**
 * `Store.run` and `Store.follow` asked to stop (`stop`): the runs being fetched finish and are
 * committed as progress, no run starts after the stop, and the next export resumes after the
 * last committed run with no run lost or written twice.
 */
import { describe, expect, it } from "@effect/vitest"
import { type StepRecord, type WorkflowProvider } from "@steptrail/core"
import { Store } from "@steptrail/export"
import { Deferred, Effect, Fiber, Stream } from "effect"
import { record, runRef } from "./fixtures.js"

/** A store in memory: every row and advance committed, and what a claim finds. */
const memoryStore = () => {
  const written: Array<StepRecord.StepRecord> = []
  const advances: Array<Store.Advance> = []
  let held: Store.Claimed = { state: null, progress: null }
  const store: Store.Store<StepRecord.StepRecord, never> = {
    target: "memory",
    rows: (records) => ({ rows: records, bytes: 0 }),
    claim: () => Effect.sync(() => held),
    commit: (_key, rows, advance) =>
      Effect.sync(() => {
        written.push(...rows)
        advances.push(advance)
        if (advance._tag === "Progress") held = { state: held.state, progress: advance.progress }
        else if (advance._tag === "Done") held = { state: advance.state, progress: null }
      }),
    release: () => Effect.void
  }
  return { store, written, advances }
}

/**
 * A provider of `count` runs (`running` of them not terminal) whose steps answer only once
 * `open` is done: the test decides when a fetch ends. `started` lists the runs fetched, in order.
 */
const gatedProvider = (count: number, open: Deferred.Deferred<void>, running: ReadonlySet<string> = new Set()) => {
  const ids = Array.from({ length: count }, (_, i) => `run-${i}`)
  const started: Array<string> = []
  let listings = 0
  const provider: WorkflowProvider.Service = {
    provider: "cloudflare",
    account: "0123456789abcdef0123456789abcdef",
    runs: () => Stream.suspend(() => (listings++, Stream.fromIterable(ids.map((id) => runRef(id, !running.has(id)))))),
    lookup: (_workflow, wanted) => Effect.succeed(wanted.map((id) => runRef(id, !running.has(id)))),
    steps: (run) =>
      Effect.zipRight(
        Effect.sync(() => started.push(run.id)),
        Effect.as(Deferred.await(open), [0, 1].map((s) => record(run.id, s, { run_status: running.has(run.id) ? "running" : "complete" })))
      )
  }
  return { provider, started, listings: () => listings }
}

/** Waits (bounded) until `n` runs were started. */
const startedAtLeast = (started: ReadonlyArray<string>, n: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 500 && started.length < n; i++) yield* Effect.sleep("10 millis")
    expect(started.length).toBeGreaterThanOrEqual(n)
  })

const keysOf = (records: ReadonlyArray<StepRecord.StepRecord>) => records.map((r) => `${r.run_id}/${r.step_index}`)

describe("Store.run with stop", () => {
  it.live("the runs in flight when stop fires are committed as progress, none starts after it; the next export resumes after them, nothing lost or twice", () =>
    Effect.gen(function*() {
      const open = yield* Deferred.make<void>()
      const stop = yield* Deferred.make<void>()
      const { provider, started } = gatedProvider(10, open)
      const memory = memoryStore()
      const source = { provider, workflow: "wf" }
      const fiber = yield* Effect.fork(Store.run([source], memory.store, { concurrency: 3, stop: Deferred.await(stop) }))
      // three fetches under way, the fourth run pulled and waiting for one of them to end
      yield* startedAtLeast(started, 3)
      yield* Effect.sleep("50 millis")
      expect(started).toEqual(["run-0", "run-1", "run-2"])
      yield* Deferred.succeed(stop, undefined)
      yield* Effect.sleep("20 millis")
      yield* Deferred.succeed(open, undefined)
      const result = yield* Fiber.join(fiber)
      expect(result.stopped).toBe(true)
      expect(started).toEqual(["run-0", "run-1", "run-2"])
      expect(result.runs).toBe(3)
      expect(keysOf(memory.written)).toEqual(["run-0/0", "run-0/1", "run-1/0", "run-1/1", "run-2/0", "run-2/1"])
      // progress, not the source's new state: the listing was not exhausted
      const last = memory.advances.at(-1)!
      expect(last._tag).toBe("Progress")
      expect(last._tag === "Progress" && [last.progress.passed, last.progress.last]).toEqual([3, "run-2"])
      expect(memory.advances.some((a) => a._tag === "Done")).toBe(false)

      // the next export (a stop that never fires) resumes after run-2 and finishes
      const never = yield* Deferred.make<void>()
      const again = yield* Store.run([source], memory.store, { concurrency: 3, stop: Deferred.await(never) })
      expect(again.stopped).toBe(false)
      expect(again.resumedRuns).toBe(3)
      expect(started).toEqual(Array.from({ length: 10 }, (_, i) => `run-${i}`))
      expect(memory.advances.at(-1)!._tag).toBe("Done")
      const keys = keysOf(memory.written)
      expect(new Set(keys).size).toBe(keys.length)
      expect(keys).toHaveLength(20)
    }), 30_000)

  it.live("a stop already fired: no source is taken, no run fetched, nothing committed", () =>
    Effect.gen(function*() {
      const open = yield* Deferred.make<void>()
      yield* Deferred.succeed(open, undefined)
      const { provider, started, listings } = gatedProvider(4, open)
      const memory = memoryStore()
      const result = yield* Store.run([{ provider, workflow: "wf" }, { provider, workflow: "other" }], memory.store, { stop: Effect.void })
      expect(result.stopped).toBe(true)
      expect(started).toEqual([])
      expect(listings()).toBe(0)
      expect(memory.advances).toEqual([])
    }), 30_000)
})

describe("Store.follow with stop", () => {
  it.live("a stop while it waits between passes ends it at once, without another pass", () =>
    Effect.gen(function*() {
      const open = yield* Deferred.make<void>()
      yield* Deferred.succeed(open, undefined)
      const stop = yield* Deferred.make<void>()
      // a run that never ends: follow would poll it forever
      const { provider, listings } = gatedProvider(3, open, new Set(["run-1"]))
      const memory = memoryStore()
      const fiber = yield* Effect.fork(Store.follow([{ provider, workflow: "wf" }], memory.store, { poll: "1 hour", stop: Deferred.await(stop) }))
      for (let i = 0; i < 500 && memory.advances.length === 0; i++) yield* Effect.sleep("10 millis")
      expect(memory.advances.map((a) => a._tag)).toEqual(["Done"])
      yield* Deferred.succeed(stop, undefined)
      const result = yield* Fiber.join(fiber).pipe(Effect.timeout("5 seconds"))
      expect(result.stopped).toBe(true)
      expect(result.openRuns).toBe(1)
      expect(listings()).toBe(1)
      expect(memory.advances.map((a) => a._tag)).toEqual(["Done"])
    }), 30_000)
})
