import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Cloudflare } from "@steptrail/cloudflare"
import { ProviderError, type WorkflowProvider } from "@steptrail/core"
import { Emulator } from "@steptrail/emulator"
import { Incremental, Output, State } from "@steptrail/export"
import { Cause, Effect, Exit, Redacted, Stream } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { collect, drive, fakeProvider, FileSystemLive, lines, runIdsOf, tempDir } from "./fixtures.js"

const KEY = State.sourceKey("cloudflare", "0123456789abcdef0123456789abcdef", "wf")
const T0 = Date.parse("2026-01-01T00:00:00Z")
/** run-i created i minutes after T0 */
const minutes = (id: string) => new Date(T0 + Number(id.split("-")[1]) * 60_000).toISOString()

const source = (provider = fakeProvider(20, 3)) => [{ provider, workflow: "wf" }]

const uninterrupted = (provider = fakeProvider(20, 3)) =>
  Effect.gen(function*() {
    const dir = tempDir()
    const out = path.join(dir, "out.ndjson")
    const exit = yield* drive(Incremental.run(source(provider), { state: path.join(dir, "state.json"), out }))
    expect(Exit.isSuccess(exit)).toBe(true)
    return fs.readFileSync(out, "utf8")
  })

const openFds = () => fs.readdirSync("/proc/self/fd").length

describe("Incremental.run", () => {
  it.effect("a finished export leaves the output and a small state: watermark, open runs, recent terminal runs", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const out = path.join(dir, "out.ndjson")
      const file = path.join(dir, "state.json")
      const provider = fakeProvider(200, 2, [], { created: minutes, running: new Set(["run-3", "run-150"]) })
      const exit = yield* drive(Incremental.run(source(provider), { state: file, out }))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(lines(fs.readFileSync(out, "utf8"))).toHaveLength(400)
      const state = yield* State.load(file)
      expect(state.pending).toBeNull()
      expect(state.sources[KEY]).toEqual({
        watermark: minutes("run-199"),
        open: {
          "run-3": { status: "running", steps: 2, version: null, created: minutes("run-3") },
          "run-150": { status: "running", steps: 2, version: null, created: minutes("run-150") }
        },
        // the terminal runs of the last 10 minutes (the lateness margin) only
        recent: Object.fromEntries(Array.from({ length: 11 }, (_, i) => [`run-${189 + i}`, minutes(`run-${189 + i}`)]))
      })
      expect(fs.readdirSync(dir).sort()).toEqual(["out.ndjson", "state.json"])
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("the next export lists from the watermark minus the margin, looks up older open runs by id, and writes new and open runs", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "state.json")
      const running = new Set(["run-3", "run-150", "run-195"])
      yield* drive(Incremental.run(source(fakeProvider(200, 1, [], { created: minutes, running })), { state: file, out: path.join(dir, "a.ndjson") }))
      // five new runs; run-150 is done now, run-3 is gone from the provider
      const ids = Array.from({ length: 205 }, (_, i) => `run-${i}`).filter((id) => id !== "run-3")
      const provider = fakeProvider(205, 1, ids, { created: minutes, running: new Set(["run-195"]) })
      const lookups: Array<string> = []
      const gone = {
        ...provider,
        lookup: (workflow: string, ids: ReadonlyArray<string>) => {
          lookups.push(...ids)
          return ids.includes("run-3")
            ? Effect.fail(new ProviderError.NotFound({ provider: "cloudflare", detail: "gone", run: "run-3" }))
            : provider.lookup(workflow, ids)
        }
      }
      const out = path.join(dir, "b.ndjson")
      const exit = yield* drive(Incremental.run(source(gone), { state: file, out }))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(provider.calls.listings.map((f) => f?.since?.toISOString())).toEqual([minutes("run-189")])
      // run-3 and run-150 were created before the listing starts: looked up by id (run-3 first
      // as a batch, which fails for the gone run, then one by one)
      expect(lookups).toEqual(["run-150", "run-3", "run-150", "run-3"])
      expect(runIdsOf(fs.readFileSync(out, "utf8"))).toEqual(["run-150", "run-195", "run-200", "run-201", "run-202", "run-203", "run-204"])
      if (Exit.isSuccess(exit)) expect(exit.value.unchangedRuns).toBe(10) // run-189..199 listed again, run-195 excepted
      const state = (yield* State.load(file)).sources[KEY]!
      expect(Object.keys(state.open)).toEqual(["run-195"])
      expect(state.watermark).toBe(minutes("run-204"))
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("a run's locator is kept in the state and handed back to lookup by the next export", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "state.json")
      const options = { created: minutes, running: new Set(["run-3"]), locators: true }
      yield* drive(Incremental.run(source(fakeProvider(200, 1, [], options)), { state: file, out: path.join(dir, "a.ndjson") }))
      const state = (yield* State.load(file)).sources[KEY]!
      expect(state.open["run-3"]).toMatchObject({ locator: "loc:run-3" })
      // run-3 is older than the next listing's window: found by a lookup, which needs its locator
      const provider = fakeProvider(200, 1, [], { ...options, running: new Set() })
      const exit = yield* drive(Incremental.run(source(provider), { state: file, out: path.join(dir, "b.ndjson") }))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(provider.calls.locators).toEqual([{ "run-3": "loc:run-3" }])
      expect(runIdsOf(fs.readFileSync(path.join(dir, "b.ndjson"), "utf8"))).toEqual(["run-3"])
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("a state written before locators existed still reads, and a run without one keeps none", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "state.json")
      yield* drive(Incremental.run(source(fakeProvider(20, 1, [], { created: minutes, running: new Set(["run-3"]) })), { state: file, out: path.join(dir, "a.ndjson") }))
      const text = fs.readFileSync(file, "utf8")
      expect(text).not.toContain("locator")
      expect(State.parse(file, text)._tag).toBe("Right")
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("after a failure mid-export, running again produces exactly the uninterrupted output", () =>
    Effect.gen(function*() {
      const expected = yield* uninterrupted()
      const dir = tempDir()
      const out = path.join(dir, "out.ndjson")
      const file = path.join(dir, "state.json")
      const first = yield* drive(
        Incremental.run(source(fakeProvider(20, 3, [], { failAfter: 9 })), { state: file, out, checkpointMillis: 0, concurrency: 1 })
      )
      expect(Exit.isFailure(first)).toBe(true)
      expect(fs.existsSync(out)).toBe(false) // never a half file at the target
      const pending = (yield* State.load(file)).pending!
      expect(pending.finished).toBe(false)
      expect(pending.sources).toEqual([{ key: KEY, passed: 9, last: "run-8", done: false, next: expect.anything() }])
      expect(pending.bytes).toBe(fs.statSync(Output.partialPath(out)).size)
      // garbage past the confirmed bytes, as a crash mid-write leaves: cut on resume
      fs.appendFileSync(Output.partialPath(out), "{\"half\":")
      const second = yield* drive(Incremental.run(source(), { state: file, out }))
      expect(Exit.isSuccess(second)).toBe(true)
      if (Exit.isSuccess(second)) expect(second.value.resumedRuns).toBe(9)
      expect(fs.readFileSync(out, "utf8")).toBe(expected)
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("a value that cannot be written: the run is written without it, the export fails naming run and step, a resume goes on after it", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const out = path.join(dir, "out.ndjson")
      const file = path.join(dir, "state.json")
      // not JSON at all (any depth and any number is written): the one kind of value left
      const provider = () => fakeProvider(20, 3, [], { outputOf: (run, step) => (run === "run-4" && step === 1 ? 10n : undefined) })
      const first = yield* drive(Incremental.run(source(provider()), { state: file, out, checkpointMillis: 0, concurrency: 1 }))
      expect(Exit.isFailure(first)).toBe(true)
      if (Exit.isFailure(first)) {
        const error = Cause.squash(first.cause) as ProviderError.DecodeFailure
        expect(error._tag).toBe("DecodeFailure")
        expect(error.message).toContain("at step 1")
        expect(error.message).toContain("run run-4")
      }
      expect((yield* State.load(file)).pending!.sources[0]).toMatchObject({ passed: 5, last: "run-4" })
      const second = yield* drive(Incremental.run(source(provider()), { state: file, out }))
      expect(Exit.isSuccess(second)).toBe(true)
      const records = lines(fs.readFileSync(out, "utf8"))
      expect(records).toHaveLength(60)
      expect(records.filter((r) => r.output === null)).toEqual([
        expect.objectContaining({ run_id: "run-4", step_index: 1, output: null, output_truncated: true })
      ])
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("a resume goes on after the last run written even when new runs were listed before it meanwhile; the next export has them", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const out = path.join(dir, "out.ndjson")
      const file = path.join(dir, "state.json")
      // newest first, as most listings are
      const ids = Array.from({ length: 12 }, (_, i) => `run-${11 - i}`)
      const options = { state: file, out, checkpointMillis: 0, concurrency: 1 }
      const first = yield* drive(Incremental.run(source(fakeProvider(12, 1, ids, { created: minutes, failAfter: 5 })), options))
      expect(Exit.isFailure(first)).toBe(true)
      ids.unshift("run-13", "run-12") // created while nothing ran
      const second = yield* drive(Incremental.run(source(fakeProvider(14, 1, ids, { created: minutes })), { state: file, out }))
      expect(Exit.isSuccess(second)).toBe(true)
      expect(runIdsOf(fs.readFileSync(out, "utf8"))).toEqual(Array.from({ length: 12 }, (_, i) => `run-${11 - i}`))
      const next = path.join(dir, "next.ndjson")
      yield* drive(Incremental.run(source(fakeProvider(14, 1, ids, { created: minutes })), { state: file, out: next }))
      expect(runIdsOf(fs.readFileSync(next, "utf8"))).toEqual(["run-13", "run-12"])
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("a crash after the last record but before the rename is finished by the next run, not re-exported", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const out = path.join(dir, "out.ndjson")
      const file = path.join(dir, "state.json")
      fs.writeFileSync(Output.partialPath(out), "line\n")
      yield* State.save(file, {
        ...State.empty,
        pending: { output: path.resolve(out), bytes: 5, sources: [], finished: true, started_at: "2026-01-01T00:00:00.000Z" }
      })
      const exit = yield* drive(Incremental.run(source(), { state: file, out }))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(fs.readFileSync(out, "utf8")).toBe("line\n")
      expect((yield* State.load(file)).pending).toBeNull()
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("an incremental export fetches only new runs and runs that were not terminal, writing all their records", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "state.json")
      const running = new Set(["run-2", "run-5"])
      yield* drive(Incremental.run(source(fakeProvider(8, 2, [], { running })), { state: file, out: path.join(dir, "a.ndjson") }))
      const ids = Array.from({ length: 10 }, (_, i) => `run-${i}`) // two new runs
      const out = path.join(dir, "b.ndjson")
      const exit = yield* drive(Incremental.run(source(fakeProvider(10, 2, ids)), { state: file, out }))
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(runIdsOf(fs.readFileSync(out, "utf8"))).toEqual(["run-2", "run-5", "run-8", "run-9"])
      if (Exit.isSuccess(exit)) expect(exit.value.unchangedRuns).toBe(6)
      // now everything is terminal: a third export writes nothing
      const third = yield* drive(Incremental.run(source(fakeProvider(10, 2, ids)), { state: file, out: path.join(dir, "c.ndjson") }))
      expect(Exit.isSuccess(third) && third.value.runs).toBe(0)
      expect(fs.readFileSync(path.join(dir, "c.ndjson"), "utf8")).toBe("")
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("an incremental export skips a run still in progress whose version has not changed", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "state.json")
      const running = new Set(["run-1", "run-2", "run-3"])
      const v1 = { "run-1": "running@t1", "run-2": "running@t1" } // run-3 has no version
      yield* drive(Incremental.run(source(fakeProvider(4, 2, [], { running, versions: v1 })), { state: file, out: path.join(dir, "a.ndjson") }))
      const v2 = { "run-1": "running@t1", "run-2": "running@t2" }
      const out = path.join(dir, "b.ndjson")
      const exit = yield* drive(Incremental.run(source(fakeProvider(4, 2, [], { running, versions: v2 })), { state: file, out }))
      expect(Exit.isSuccess(exit)).toBe(true)
      // run-0 terminal, run-1 same version: skipped; run-2 changed, run-3 cannot tell: fetched
      expect(runIdsOf(fs.readFileSync(out, "utf8"))).toEqual(["run-2", "run-3"])
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("a looked-up run whose status word and count of records are as last written is not fetched again; one whose count or word changed is", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "state.json")
      const running = new Set(["run-3", "run-150", "run-160"])
      const provider = () => fakeProvider(200, 2, [], { created: minutes, running })
      yield* drive(Incremental.run(source(provider()), { state: file, out: path.join(dir, "a.ndjson") }))
      // a lookup that tells the run's count of records, as Cloudflare's does (`step_count`)
      const counting = (answers: Record<string, Partial<WorkflowProvider.RunRef>>) => {
        const p = provider()
        return {
          ...p,
          lookup: (workflow: string, ids: ReadonlyArray<string>) =>
            Effect.map(p.lookup(workflow, ids), (runs) => runs.map((r) => ({ ...r, steps: 2, ...answers[r.id] })))
        }
      }
      const second = counting({ "run-150": { steps: 3 }, "run-160": { providerStatus: "waitingForPause" } })
      const exit = yield* drive(Incremental.run(source(second), { state: file, out: path.join(dir, "b.ndjson") }))
      expect(second.calls.lookups.sort()).toEqual(["run-150", "run-160", "run-3"])
      // run-3 as written (running, 2 records): skipped; run-150 has a record more, run-160 another status
      expect(runIdsOf(fs.readFileSync(path.join(dir, "b.ndjson"), "utf8"))).toEqual(["run-150", "run-160"])
      if (Exit.isSuccess(exit)) expect(exit.value.unchangedRuns).toBe(12) // run-3 and the 11 recent runs listed again
      const open = (yield* State.load(file)).sources[KEY]!.open
      expect(open["run-3"]).toEqual({ status: "running", steps: 2, version: null, created: minutes("run-3") })
      expect(open["run-160"]).toEqual({ status: "waitingForPause", steps: 2, version: null, created: minutes("run-160") })
      // every run as last written: a third export writes nothing
      const third = counting({ "run-160": { providerStatus: "waitingForPause" } })
      const after = yield* drive(Incremental.run(source(third), { state: file, out: path.join(dir, "c.ndjson") }))
      expect(Exit.isSuccess(after) && after.value.runs).toBe(0)
      expect(third.calls.steps).toBe(0)
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("a run that moved between its listing and its fetch is recorded with the status it was fetched in", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "state.json")
      const running = new Set(["run-3"])
      // listed as paused; the records, fetched a moment later, say the run is running again
      const p = fakeProvider(200, 2, [], { created: minutes, running })
      const paused = { ...p, runs: (w: string, f?: WorkflowProvider.RunFilter) => p.runs(w, f).pipe(Stream.map((r) => (r.id === "run-3" ? { ...r, status: "paused" as const, providerStatus: "paused" } : r))) }
      yield* drive(Incremental.run(source(paused), { state: file, out: path.join(dir, "a.ndjson") }))
      expect((yield* State.load(file)).sources[KEY]!.open["run-3"]).toEqual({ status: "running", steps: 2, version: null, created: minutes("run-3") })
      // paused again with as many records: not the moment written (the last step may have settled since), so fetched
      const q = fakeProvider(200, 2, [], { created: minutes, running })
      const lookedUp = { ...q, lookup: (w: string, ids: ReadonlyArray<string>) => Effect.map(q.lookup(w, ids), (rs) => rs.map((r) => ({ ...r, status: "paused" as const, providerStatus: "paused", steps: 2 }))) }
      yield* drive(Incremental.run(source(lookedUp), { state: file, out: path.join(dir, "b.ndjson") }))
      expect(runIdsOf(fs.readFileSync(path.join(dir, "b.ndjson"), "utf8"))).toEqual(["run-3"])
    }).pipe(Effect.provide(FileSystemLive)))

  it.live("Cloudflare on a still emulator clock: three incremental exports write the stuck runs once; a run that changed is written again", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.start({ token: "incremental-token", seed: 3 })
      const info = emulator.info.cloudflare
      const provider = yield* Cloudflare.make({ accountId: info.accountId, apiToken: Redacted.make("incremental-token"), baseUrl: info.baseUrl }).pipe(
        Effect.provide(FetchHttpClient.layer)
      )
      const dir = tempDir()
      const file = path.join(dir, "state.json")
      const exportTo = (name: string) =>
        Effect.gen(function*() {
          const out = path.join(dir, name)
          const result = yield* Incremental.run([{ provider, workflow: info.workflow }], { state: file, out })
          return { result, ids: runIdsOf(fs.readFileSync(out, "utf8")) }
        })
      const first = yield* exportTo("1.ndjson")
      const key = State.sourceKey("cloudflare", info.accountId, info.workflow)
      const fx = emulator.fixtures.cloudflare.instances
      const stuck = [fx.running, fx.retrying, fx.waitingForEvent, fx.queued, fx.paused, fx.waitingForPause, fx.sleeping] as Array<string>
      // (the queued one has no step yet: no record)
      expect(first.ids).toEqual(expect.arrayContaining(stuck.filter((id) => id !== fx.queued)))
      const open = (yield* State.load(file)).sources[key]!.open
      expect(Object.keys(open)).toEqual(expect.arrayContaining(stuck))
      // the frozen runs are older than the watermark less the margin: looked up by id from now on
      const second = yield* exportTo("2.ndjson")
      const third = yield* exportTo("3.ndjson")
      expect([second.ids, third.ids]).toEqual([[], []])
      expect([second.result.runs, third.result.runs]).toEqual([0, 0])
      // their marks are still the listing's, versions included
      expect((yield* State.load(file)).sources[key]!.open).toEqual(open)
      // a run that changed since (here: the state recorded a record fewer than it has) is written again
      const state = yield* State.load(file)
      const mark = state.sources[key]!.open[fx.paused!]!
      yield* State.save(file, {
        ...state,
        sources: { ...state.sources, [key]: { ...state.sources[key]!, open: { ...state.sources[key]!.open, [fx.paused!]: { ...mark, steps: mark.steps - 1 } } } }
      })
      const fourth = yield* exportTo("4.ndjson")
      expect(fourth.ids).toEqual([fx.paused])
      expect((yield* State.load(file)).sources[key]!.open[fx.paused!]!.steps).toBe(mark.steps)
    }).pipe(Effect.scoped, Effect.provide(FileSystemLive)), 60_000)

  it.effect("to stdout nothing is recorded until the export ends: after a failure the next export sends every run again", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "state.json")
      const crashed = collect()
      const first = yield* drive(
        Incremental.run(source(fakeProvider(6, 2, [], { failAfter: 3 })), { state: file, stdout: crashed.sink, checkpointMillis: 0, concurrency: 1 })
      )
      expect(Exit.isFailure(first)).toBe(true)
      // three runs went to the reader, which may not have stored them
      expect(runIdsOf(crashed.text())).toEqual(["run-0", "run-1", "run-2"])
      expect(fs.existsSync(file)).toBe(false)
      const again = collect()
      const second = yield* drive(Incremental.run(source(fakeProvider(6, 2)), { state: file, stdout: again.sink }))
      expect(Exit.isSuccess(second)).toBe(true)
      expect(runIdsOf(again.text())).toEqual(["run-0", "run-1", "run-2", "run-3", "run-4", "run-5"])
      expect((yield* State.load(file)).pending).toBeNull()
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("several sources: a failing one keeps its state, the others' is committed with their records", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "state.json")
      const out = path.join(dir, "out.ndjson")
      const good = { provider: fakeProvider(3, 1), workflow: "good", name: "good" }
      const bad = { provider: fakeProvider(3, 1, [], { failAfter: 1 }), workflow: "bad", name: "bad" }
      const exit = yield* drive(Incremental.run([bad, good], { state: file, out }))
      expect(Exit.isFailure(exit)).toBe(true)
      expect(String(Exit.isFailure(exit) && exit.cause)).toContain("source bad: cloudflare: unavailable: crash (run run-1) (1 of 2 sources failed")
      expect(lines(fs.readFileSync(out, "utf8")).map((r) => `${r.workflow}/${r.run_id}`)).toEqual(["wf/run-0", "wf/run-0", "wf/run-1", "wf/run-2"])
      const state = yield* State.load(file)
      expect(state.pending).toBeNull()
      expect(Object.keys(state.sources)).toEqual([State.sourceKey("cloudflare", "0123456789abcdef0123456789abcdef", "good")])
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("refuses a state holding another output's unfinished export, and two sources sharing a state key", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const file = path.join(dir, "state.json")
      yield* drive(Incremental.run(source(fakeProvider(5, 1, [], { failAfter: 2 })), { state: file, out: path.join(dir, "a.ndjson"), checkpointMillis: 0 }))
      const other = yield* drive(Incremental.run(source(), { state: file, out: path.join(dir, "b.ndjson") }))
      expect(String(Exit.isFailure(other) && other.cause)).toContain("it holds an unfinished export to")
      const twice = yield* drive(Incremental.run([...source(), ...source()], { state: path.join(dir, "s2.json") }))
      expect(String(Exit.isFailure(twice) && twice.cause)).toContain(`two sources of this export keep their state under ${KEY}`)
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("checking the format of a partial file that cannot be read leaves no file descriptor open", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const out = path.join(dir, "out.ndjson")
      const file = path.join(dir, "state.json")
      // a partial "file" that opens but cannot be read: a directory
      fs.mkdirSync(Output.partialPath(out))
      yield* State.save(file, {
        ...State.empty,
        pending: {
          output: path.resolve(out),
          bytes: 10,
          sources: [{ key: KEY, passed: 1, last: "run-0", done: false, next: null }],
          finished: false,
          started_at: "2026-01-01T00:00:00.000Z"
        }
      })
      const before = openFds()
      for (let i = 0; i < 5; i++) {
        const exit = yield* drive(Incremental.run(source(), { state: file, out }))
        expect(Exit.isFailure(exit)).toBe(true)
      }
      expect(openFds()).toBe(before)
    }).pipe(Effect.provide(FileSystemLive)))
})
