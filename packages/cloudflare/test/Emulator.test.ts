/**
 * End to end over real loopback HTTP against `@steptrail/emulator`, which was written from the
 * API documents alone: a misreading of the API cannot hide by appearing on both sides.
 */
import { FetchHttpClient } from "@effect/platform"
import { describe, expect, layer } from "@effect/vitest"
import { Emulator } from "@steptrail/emulator"
import { RateBudget, StepRecord, type WorkflowProvider } from "@steptrail/core"
import { Chunk, Context, Effect, Layer, Redacted, Schema, Stream } from "effect"
import * as Cloudflare from "../src/Cloudflare.js"

class Emu extends Context.Tag("test/Emu")<Emu, Emulator.Emulator>() {}

const INSTANCES = 230

const collect = <A, E, R>(stream: Stream.Stream<A, E, R>) =>
  Stream.runCollect(stream).pipe(Effect.map(Chunk.toReadonlyArray))

const provider = (overrides: Partial<Cloudflare.Config> = {}) =>
  Effect.gen(function*() {
    const emu = yield* Emu
    return yield* Cloudflare.make({
      accountId: emu.info.cloudflare.accountId,
      apiToken: Redacted.make(emu.info.token),
      baseUrl: emu.info.cloudflare.baseUrl,
      ...overrides
    }).pipe(Effect.provide(RateBudget.layer()))
  })

/** One run by id, as export and follow look runs up. */
const lookupOne = (p: WorkflowProvider.Service, workflow: string, id: string) =>
  Effect.map(p.lookup(workflow, [id]), (runs) => {
    expect(runs.map((r) => r.id)).toEqual([id])
    return runs[0]!
  })

/** The records of every run, run by run. */
const stepsOfAll = (p: WorkflowProvider.Service, runs: ReadonlyArray<WorkflowProvider.RunRef>, fullOutput = false) =>
  Effect.map(Effect.forEach(runs, (run) => p.steps(run, { fullOutput }), { concurrency: 4 }), (all) => all.flat())

const isRecord = Schema.is(StepRecord.StepRecord)

const stepsOf = (p: WorkflowProvider.Service, id: string, fullOutput = false) =>
  Effect.gen(function*() {
    const emu = yield* Emu
    const run = yield* lookupOne(p, emu.info.cloudflare.workflow, id)
    return yield* p.steps(run, { fullOutput })
  })

const byName = (records: ReadonlyArray<StepRecord.StepRecord>, name: string, kind = "step") => {
  const found = records.find((r) => r.name === name && r.kind === kind)
  if (found === undefined) throw new Error(`no ${kind} ${name}`)
  return found
}

const emulator = (options: Emulator.Options) =>
  Layer.scoped(Emu, Emulator.start(options)).pipe(Layer.merge(FetchHttpClient.layer))

describe("against the emulator", () => {
  layer(emulator({ seed: 7, cloudflare: { instances: INSTANCES } }), { excludeTestServices: true, timeout: "30 seconds" })(
    "envelope /step bodies",
    (it) => {
      it.scoped("exports every instance across pages exactly once", () =>
        Effect.gen(function*() {
          const emu = yield* Emu
          const p = yield* provider()
          yield* emu.resetStats
          const runs = yield* collect(p.runs(emu.info.cloudflare.workflow))
          const live = emu.fixtures.cloudflare.live.filter((l) => l.visibleAtEpoch).length
          expect(runs).toHaveLength(INSTANCES + live)
          expect(new Set(runs.map((r) => r.id)).size).toBe(runs.length)
          for (const id of Object.values(emu.fixtures.cloudflare.instances)) {
            expect(runs.some((r) => r.id === id)).toBe(true)
          }
          for (const r of runs) expect(r.createdAt).toMatch(/Z$/)
          const stats = yield* emu.stats
          expect(stats.providers.cloudflare.routes["listInstances"]?.requests).toBe(Math.ceil(runs.length / 100))
        }))

      it.scoped("a status filter returns exactly the runs in that status", () =>
        Effect.gen(function*() {
          const emu = yield* Emu
          const p = yield* provider()
          const all = yield* collect(p.runs(emu.info.cloudflare.workflow))
          const errored = yield* collect(p.runs(emu.info.cloudflare.workflow, { status: ["errored"] }))
          expect(errored.length).toBeGreaterThan(0)
          expect(errored.map((r) => r.id).sort()).toEqual(all.filter((r) => r.providerStatus === "errored").map((r) => r.id).sort())
          const sorted = all.map((r) => r.createdAt!).sort()
          const since = new Date(sorted[10]!)
          const until = new Date(sorted[40]!)
          const window = yield* collect(p.runs(emu.info.cloudflare.workflow, { since, until }))
          expect(window).toHaveLength(30)
        }))

      it.scoped("every record of every instance is a valid StepRecord", () =>
        Effect.gen(function*() {
          const emu = yield* Emu
          const p = yield* provider()
          const runs = yield* collect(p.runs(emu.info.cloudflare.workflow))
          const records = yield* stepsOfAll(p, runs)
          expect(records.length).toBeGreaterThan(runs.length)
          const invalid = records.filter((r) => !isRecord(r))
          expect(invalid).toEqual([])
          const kinds = new Set(records.map((r) => r.kind))
          for (const k of ["step", "sleep", "wait_for_event", "termination", "rollback"]) expect(kinds.has(k as never)).toBe(true)
          // Without --full-output nothing but the logs is fetched.
          const stats = yield* emu.stats
          expect(stats.providers.cloudflare.routes["getStep"]?.requests ?? 0).toBe(0)
          // step_index is 0.. in log order within each run.
          const byRun = new Map<string, Array<number>>()
          for (const r of records) byRun.set(r.run_id, [...(byRun.get(r.run_id) ?? []), r.step_index])
          for (const indexes of byRun.values()) expect(indexes).toEqual(indexes.map((_, i) => i))
        }))

      it.scoped("the showcase with full outputs: truncated fetched, binary as base64, redacted stays redacted", () =>
        Effect.gen(function*() {
          const emu = yield* Emu
          const names = emu.fixtures.cloudflare.showcaseSteps
          const p = yield* provider()
          yield* emu.resetStats
          const records = yield* stepsOf(p, emu.fixtures.cloudflare.instances.showcase!, true)
          expect(records.every(isRecord)).toBe(true)

          const truncated = byName(records, names.truncated)
          expect(truncated.output_truncated).toBe(false)
          expect(typeof truncated.output).toBe("object")
          expect(JSON.stringify(truncated.output).length).toBeGreaterThan(1024)
          expect(truncated.provider_status).toBe("complete")

          const binary = byName(records, names.binary)
          expect(binary.output_encoding).toBe("base64")
          expect(Buffer.from(binary.output as string, "base64")).toHaveLength(2048)

          const sensitive = byName(records, names.sensitive)
          expect(sensitive).toMatchObject({ output: "[REDACTED]", output_redacted: true, output_truncated: false })

          expect(byName(records, names.nullOutput).output).toBeNull()
          expect(typeof byName(records, names.numberOutput).output).toBe("number")
          expect(byName(records, names.counterFirst).name).toBe("load-1")
          expect(byName(records, names.counterThird).name).toBe("load-3")

          const retried = byName(records, names.retried)
          expect(retried.status).toBe("complete")
          expect(retried.attempts).toHaveLength(3)
          expect(retried.attempts!.slice(0, 2).every((a) => a.success === false && a.error !== null)).toBe(true)
          expect(retried.error).toBeNull()

          expect(byName(records, names.numberDelay).retry_config).toMatchObject({ delay: 5000, backoff: "linear" })
          expect(byName(records, names.dynamicDelay).retry_config).toMatchObject({ delay: "[dynamic]", backoff: null })
          expect(byName(records, names.sleep, "sleep").status).toBe("complete")
          expect(byName(records, names.waitForEvent, "wait_for_event").status).toBe("complete")
          expect(byName(records, names.sharedNameStep, "step").status).toBe("complete")

          // /step only for previews (load-2, load-3, the binary); never for the redacted one, nor
          // for notify-1, whose logged null is its own result.
          const stats = yield* emu.stats
          const fetched = stats.providers.cloudflare.routes["getStep"]?.requests ?? 0
          expect(fetched).toBe(3)
        }))

      it.scoped("without full outputs the preview is kept and marked", () =>
        Effect.gen(function*() {
          const emu = yield* Emu
          const p = yield* provider()
          const records = yield* stepsOf(p, emu.fixtures.cloudflare.instances.showcase!)
          const truncated = byName(records, emu.fixtures.cloudflare.showcaseSteps.truncated)
          expect(truncated.output_truncated).toBe(true)
          expect(truncated.output as string).toMatch(/\[truncated output\]$/)
          const binary = byName(records, emu.fixtures.cloudflare.showcaseSteps.binary)
          expect(binary).toMatchObject({ output: "[ReadableStream (binary): 2048 bytes]", output_truncated: true, output_encoding: "json" })
        }))

      it.scoped("the frozen fixtures get the documented statuses", () =>
        Effect.gen(function*() {
          const emu = yield* Emu
          const f = emu.fixtures.cloudflare
          const p = yield* provider()

          const errored = yield* stepsOf(p, f.instances.errored!)
          const exhausted = byName(errored, f.erroredSteps!.exhausted!)
          expect(exhausted.status).toBe("errored")
          expect(exhausted.error).not.toBeNull()
          for (const name of f.erroredSteps!.rollbacks) expect(byName(errored, name, "rollback").status).toBe("complete")
          expect(errored.every((r) => r.run_status === "errored")).toBe(true)

          const terminated = yield* stepsOf(p, f.instances.terminated!)
          const last = terminated.at(-1)!
          expect(last).toMatchObject({ kind: "termination", status: "cancelled", name: null, run_status: "cancelled" })
          expect(last.trigger).toEqual(expect.any(String))

          const retrying = yield* stepsOf(p, f.instances.retrying!)
          const retry = byName(retrying, f.inflightSteps.retrying!)
          expect(retry.status).toBe("retrying")
          expect(retry.error).not.toBeNull()

          const running = yield* stepsOf(p, f.instances.running!)
          expect(byName(running, f.inflightSteps.running!).status).toBe("running")

          const waiting = yield* stepsOf(p, f.instances.waitingForEvent!)
          expect(byName(waiting, f.inflightSteps.waitingForEvent!, "wait_for_event").status).toBe("waiting")

          const timedOut = yield* stepsOf(p, f.instances.waitTimeout!)
          expect(byName(timedOut, f.inflightSteps.waitTimeout!, "wait_for_event").status).toBe("errored")

          const sleeping = yield* stepsOf(p, f.instances.sleeping!)
          expect(sleeping.at(-1)).toMatchObject({ kind: "sleep", status: "waiting" })

          const paused = yield* lookupOne(p, f.workflow, f.instances.paused!)
          expect(paused).toMatchObject({ status: "paused", terminal: false })
          expect(yield* stepsOf(p, f.instances.queued!)).toEqual([])
        }))

      it.scoped("a wrong token is Unauthorized", () =>
        Effect.gen(function*() {
          const emu = yield* Emu
          const p = yield* provider({ apiToken: Redacted.make("wrong") })
          const error = yield* Effect.flip(collect(p.runs(emu.info.cloudflare.workflow)))
          expect(error._tag).toBe("Unauthorized")
          expect(error.message).not.toContain("wrong")
        }))

      it.scoped("email and global key are accepted", () =>
        Effect.gen(function*() {
          const emu = yield* Emu
          const p = yield* provider({ apiToken: undefined, email: "me@example.com", apiKey: Redacted.make(emu.info.token) })
          const run = yield* lookupOne(p, emu.info.cloudflare.workflow, emu.fixtures.cloudflare.instances.showcase!)
          expect(run.status).toBe("complete")
        }))

      it.scoped("an unknown instance or workflow is NotFound", () =>
        Effect.gen(function*() {
          const emu = yield* Emu
          const p = yield* provider()
          const missing = yield* Effect.flip(p.lookup(emu.info.cloudflare.workflow, ["no-such-instance"]))
          expect(missing._tag).toBe("NotFound")
          expect(missing.run).toBe("no-such-instance")
          const ref = (yield* collect(p.runs(emu.info.cloudflare.workflow).pipe(Stream.take(1))))[0]!
          const gone = yield* Effect.flip(p.steps({ ...ref, workflow: "no-such-workflow" }))
          expect(gone._tag).toBe("NotFound")
        }))
    }
  )

  layer(emulator({ seed: 3, cloudflare: { instances: 20, stepBody: "flat" } }), { excludeTestServices: true })(
    "flat /step bodies",
    (it) => {
      it.scoped("full outputs are read from the flat body", () =>
        Effect.gen(function*() {
          const emu = yield* Emu
          const p = yield* provider()
          const records = yield* stepsOf(p, emu.fixtures.cloudflare.instances.showcase!, true)
          const truncated = byName(records, emu.fixtures.cloudflare.showcaseSteps.truncated)
          expect(truncated).toMatchObject({ output_truncated: false, provider_status: "complete" })
          expect(JSON.stringify(truncated.output).length).toBeGreaterThan(1024)
        }))
    }
  )

  layer(emulator({ seed: 5, cloudflare: { instances: 40, stepBody: "mixed" } }), { excludeTestServices: true })(
    "mixed /step bodies",
    (it) => {
      it.scoped("every instance exports with full outputs, none left truncated", () =>
        Effect.gen(function*() {
          const emu = yield* Emu
          const p = yield* provider()
          const runs = yield* collect(p.runs(emu.info.cloudflare.workflow))
          const records = yield* stepsOfAll(p, runs, true)
          expect(records.every(isRecord)).toBe(true)
          const left = records.filter((r) => r.output_truncated && r.status === "complete")
          expect(left).toEqual([])
        }))
    }
  )
})
