import { describe, expect, it } from "@effect/vitest"
import { Export, Output, State } from "@steptrail/export"
import { Effect, Exit, Fiber, TestClock } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { PassThrough } from "node:stream"
import { fakeProvider } from "./fixtures.js"

const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-state-"))

/** Runs an export to completion with the test clock driven forward. */
const drive = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(Effect.exit(effect))
    for (let i = 0; i < 50; i++) yield* TestClock.adjust(1000)
    return yield* Fiber.join(fiber)
  })

const source = (provider = fakeProvider(20, 3)) => [{ provider, workflow: "wf" }]

const uninterrupted = Effect.gen(function*() {
  const dir = tempDir()
  const out = path.join(dir, "out.ndjson")
  const exit = yield* drive(Export.runWithState(source(), { state: path.join(dir, "state.json"), out }))
  expect(Exit.isSuccess(exit)).toBe(true)
  return fs.readFileSync(out, "utf8")
})

describe("Export.runWithState", () => {
  it.effect("a finished export leaves a complete output and a state with every run and nothing pending", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const out = path.join(dir, "out.ndjson")
      const statePath = path.join(dir, "state.json")
      const exit = yield* drive(Export.runWithState(source(), { state: statePath, out }))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(fs.readFileSync(out, "utf8").trimEnd().split("\n")).toHaveLength(60)
      const state = yield* State.load(statePath)
      expect(state.pending).toBeNull()
      const runs = state.sources[State.sourceKey("cloudflare", "0123456789abcdef0123456789abcdef", "wf")]!
      expect(Object.keys(runs)).toHaveLength(20)
      expect(runs["run-3"]).toEqual({ status: "complete", terminal: true, steps: 3 })
      expect(fs.existsSync(Output.partialPath(out))).toBe(false)
    }))

  it.effect("after a failure mid-export, running again produces exactly the uninterrupted output", () =>
    Effect.gen(function*() {
      const expected = yield* uninterrupted
      const dir = tempDir()
      const out = path.join(dir, "out.ndjson")
      const statePath = path.join(dir, "state.json")
      const first = yield* drive(
        Export.runWithState(source(fakeProvider(20, 3, [], { failAfter: 9 })), { state: statePath, out, checkpointMillis: 0, concurrency: 1 })
      )
      expect(Exit.isFailure(first)).toBe(true)
      expect(fs.existsSync(out)).toBe(false) // never a half file at the target
      const pending = (yield* State.load(statePath)).pending!
      expect(pending.finished).toBe(false)
      expect(pending.bytes).toBe(fs.statSync(Output.partialPath(out)).size)
      // garbage past the confirmed bytes, as a crash mid-write leaves: cut on resume
      fs.appendFileSync(Output.partialPath(out), "{\"half\":")
      const second = yield* drive(Export.runWithState(source(), { state: statePath, out }))
      expect(Exit.isSuccess(second)).toBe(true)
      if (Exit.isSuccess(second)) expect(second.value.resumedRuns).toBe(Object.keys(pending.done[Object.keys(pending.done)[0]!]!).length)
      expect(fs.readFileSync(out, "utf8")).toBe(expected)
    }))

  it.effect("a crash after the last record but before the rename is finished by the next run, not re-exported", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const out = path.join(dir, "out.ndjson")
      const statePath = path.join(dir, "state.json")
      fs.writeFileSync(Output.partialPath(out), "line\n")
      yield* State.save(statePath, {
        ...State.empty,
        pending: { output: path.resolve(out), bytes: 5, done: { k: { r: { status: "complete", terminal: true, steps: 1 } } }, finished: true, started_at: "2026-01-01T00:00:00.000Z" }
      })
      const exit = yield* drive(Export.runWithState(source(), { state: statePath, out }))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(fs.readFileSync(out, "utf8")).toBe("line\n")
      expect((yield* State.load(statePath)).pending).toBeNull()
    }))

  it.effect("an incremental export fetches only new runs and runs that were not terminal, writing all their records", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const statePath = path.join(dir, "state.json")
      const running = new Set(["run-2", "run-5"])
      yield* drive(Export.runWithState(source(fakeProvider(8, 2, [], { running })), { state: statePath, out: path.join(dir, "a.ndjson") }))
      const ids = Array.from({ length: 10 }, (_, i) => `run-${i}`) // two new runs
      const out = path.join(dir, "b.ndjson")
      const exit = yield* drive(Export.runWithState(source(fakeProvider(10, 2, ids)), { state: statePath, out }))
      expect(Exit.isSuccess(exit)).toBe(true)
      const runs = [...new Set(fs.readFileSync(out, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l).run_id))]
      expect(runs).toEqual(["run-2", "run-5", "run-8", "run-9"])
      if (Exit.isSuccess(exit)) expect(exit.value.unchangedRuns).toBe(6)
      // now everything is terminal: a third export writes nothing
      const third = yield* drive(Export.runWithState(source(fakeProvider(10, 2, ids)), { state: statePath, out: path.join(dir, "c.ndjson") }))
      expect(Exit.isSuccess(third) && third.value.runs).toBe(0)
      expect(fs.readFileSync(path.join(dir, "c.ndjson"), "utf8")).toBe("")
    }))

  it.effect("an incremental export skips a run still in progress whose version has not changed", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const statePath = path.join(dir, "state.json")
      const running = new Set(["run-1", "run-2", "run-3"])
      const v1 = { "run-1": "running@t1", "run-2": "running@t1" } // run-3 has no version
      yield* drive(Export.runWithState(source(fakeProvider(4, 2, [], { running, versions: v1 })), { state: statePath, out: path.join(dir, "a.ndjson") }))
      const v2 = { "run-1": "running@t1", "run-2": "running@t2" }
      const out = path.join(dir, "b.ndjson")
      const exit = yield* drive(Export.runWithState(source(fakeProvider(4, 2, [], { running, versions: v2 })), { state: statePath, out }))
      expect(Exit.isSuccess(exit)).toBe(true)
      const runs = [...new Set(fs.readFileSync(out, "utf8").trimEnd().split("\n").map((l) => JSON.parse(l).run_id))]
      // run-0 terminal, run-1 same version: skipped; run-2 changed, run-3 cannot tell: fetched
      expect(runs).toEqual(["run-2", "run-3"])
    }))

  it.effect("refuses a state file that holds another output's unfinished export, or is not a state file", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const statePath = path.join(dir, "state.json")
      yield* drive(Export.runWithState(source(fakeProvider(5, 1, [], { failAfter: 2 })), { state: statePath, out: path.join(dir, "a.ndjson"), checkpointMillis: 0 }))
      const other = yield* drive(Export.runWithState(source(), { state: statePath, out: path.join(dir, "b.ndjson") }))
      expect(Exit.isFailure(other) && String(other.cause)).toContain("unfinished export")
      fs.writeFileSync(statePath, "{\"version\": 99}")
      const error = yield* Effect.flip(State.load(statePath))
      expect(error.message).toContain("version 99")
      fs.writeFileSync(statePath, "not json")
      expect((yield* Effect.flip(State.load(statePath))).reason).toBe("invalid")
    }))

  it.effect("to stdout, the state's bytes count what was handed to the reader across runs", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const statePath = path.join(dir, "state.json")
      const sink = new PassThrough()
      let seen = 0
      sink.on("data", (c: Buffer) => (seen += c.length))
      yield* drive(Export.runWithState(source(fakeProvider(6, 2, [], { failAfter: 3 })), { state: statePath, stdout: sink, checkpointMillis: 0, concurrency: 1 }))
      const pending = (yield* State.load(statePath)).pending!
      expect(pending.output).toBe("stdout")
      expect(pending.bytes).toBe(seen)
      yield* drive(Export.runWithState(source(fakeProvider(6, 2)), { state: statePath, stdout: sink }))
      const lines = seen
      expect(lines).toBeGreaterThan(pending.bytes)
      expect((yield* State.load(statePath)).pending).toBeNull()
    }))
})
