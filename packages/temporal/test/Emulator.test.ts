import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Json, RateBudget, StepRecord, type WorkflowProvider } from "@steptrail/core"
import { Emulator } from "@steptrail/emulator"
import { Chunk, Effect, Redacted, Schema, Stream } from "effect"
import { Temporal } from "../src/index.js"

const isRecord = Schema.is(StepRecord.StepRecord)
const collect = <A, E>(stream: Stream.Stream<A, E>) => Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

/** An emulator and a provider pointed at it, over real loopback. */
const setup = (options: Emulator.Options = {}, config: Partial<Temporal.Config> = {}) =>
  Effect.gen(function*() {
    const emulator = yield* Emulator.start(options)
    const info = emulator.info.temporal
    const service = yield* Temporal.make({
      apiKey: Redacted.make(emulator.info.token),
      baseUrl: info.baseUrl,
      namespace: info.namespace,
      retry: { times: 0 },
      ...config
    })
    return { emulator, service, workflow: info.workflow }
  }).pipe(Effect.provide(FetchHttpClient.layer), Effect.provide(RateBudget.layer()))

const historyRequests = (emulator: Emulator.Emulator) =>
  Effect.map(emulator.stats, (s) => s.providers.temporal.routes["getWorkflowExecutionHistory"]?.requests ?? 0)

/** Every run of the main workflow type and its records. */
const exportAll = (service: WorkflowProvider.Service, workflow: string) =>
  Effect.flatMap(collect(service.runs(workflow)), (runs) =>
    Effect.forEach(runs, (run) => Effect.map(service.steps(run), (records) => ({ run, records }))))

describe("Temporal against the emulator", () => {
  it.scopedLive("exports every kind of event of the seeded histories as valid records", () =>
    Effect.gen(function*() {
      const { service, workflow } = yield* setup({ temporal: { runs: 20, live: 1 } })
      const runs = yield* exportAll(service, workflow)
      const records = runs.flatMap((r) => r.records)
      expect(records.every(isRecord)).toBe(true)
      expect(new Set(records.map((r) => r.kind))).toEqual(new Set(["step", "sleep", "signal", "marker", "child_workflow", "update", "close"]))
      const closes = new Set(records.filter((r) => r.kind === "close").map((r) => r.provider_status))
      expect(closes).toEqual(new Set(["COMPLETED", "FAILED", "TIMED_OUT", "CANCELED", "TERMINATED", "CONTINUED_AS_NEW"]))
      const activities = records.filter((r) => r.kind === "step")
      expect(new Set(activities.map((r) => r.provider_status))).toEqual(new Set(["COMPLETED", "FAILED", "TIMED_OUT", "CANCELED"]))
      // a retried activity: its attempts, the failure before the last, its retry policy
      const retried = activities.find((r) => (r.attempts?.length ?? 0) > 1)!
      expect(retried.attempts!.at(-2)!.error).not.toBeNull()
      expect(retried.retry_config!.limit).toBeGreaterThan(1)
      for (const { records, run } of runs) {
        expect(records.map((r) => r.step_index)).toEqual(records.map((_, i) => i))
        for (const r of records) expect(r).toMatchObject({ run_id: run.id, workflow_id: run.locator!.split("/")[0], account: "steptrail-emulator.a1b2c" })
        if (run.terminal) expect(records.at(-1)!.kind).toBe("close")
      }
      // payloads: a number past 2^53 with all its digits, bytes as base64, a codec's payload kept whole
      const lines = records.map((r) => Json.stringify(r))
      const digits = lines.join("\n").match(/"ledgerSequence":(\d{20})/)![1]!
      expect(BigInt(Number(digits)).toString()).not.toBe(digits)
      expect(records.some((r) => r.output_encoding === "base64" && typeof r.output === "string")).toBe(true)
      expect(lines.some((l) => l.includes(`"encoding":"binary/encrypted"`))).toBe(true)
    }))

  it.scopedLive("reads a history longer than a page over several pages", () =>
    Effect.gen(function*() {
      const { emulator, service, workflow } = yield* setup({ temporal: { runs: 12, live: 0 } })
      const runs = yield* collect(service.runs(workflow))
      const before = yield* historyRequests(emulator)
      let longest = 0
      for (const run of runs) {
        const pages = yield* collect(Stream.mapChunks(service.stepStream!(run), (c) => Chunk.of(c.length)))
        longest = Math.max(longest, pages.length)
      }
      expect(longest).toBeGreaterThan(1)
      expect((yield* historyRequests(emulator)) - before).toBeGreaterThan(runs.length)
    }))

  it.scopedLive("looks runs up by WORKFLOW_ID/RUN_ID, by workflow id, and by the locator an export kept", () =>
    Effect.gen(function*() {
      const { service, workflow } = yield* setup({ temporal: { runs: 3, live: 0 } })
      const [run] = yield* collect(service.runs(workflow))
      const byAddress = yield* service.lookup(workflow, [run!.locator!])
      const byLocator = yield* service.lookup(workflow, [run!.id], { locators: new Map([[run!.id, run!.locator!]]) })
      expect(byAddress).toEqual([run])
      expect(byLocator).toEqual([run])
      expect((yield* service.steps(byLocator[0]!)).length).toBeGreaterThan(0)
    }))

  it.scopedLive("a workflow or run that is not there is NotFound", () =>
    Effect.gen(function*() {
      const { service, workflow } = yield* setup({ temporal: { runs: 3, live: 0 } })
      const [run] = yield* collect(service.runs(workflow))
      for (const id of ["no-such-workflow", `${run!.locator!.split("/")[0]}/00000000-0000-4000-8000-000000000000`]) {
        const error = yield* Effect.flip(service.lookup(workflow, [id]))
        expect(error._tag).toBe("NotFound")
      }
      const error = yield* Effect.flip(service.steps({ ...run!, locator: "no-such-workflow/x" }))
      expect(error._tag).toBe("NotFound")
    }))

  it.scopedLive("a bad key is Unauthorized; a dev server that takes none needs none", () =>
    Effect.gen(function*() {
      const { service, workflow } = yield* setup({ temporal: { runs: 2, live: 0 } }, { apiKey: Redacted.make("not-the-key") })
      const error = yield* Effect.flip(collect(service.runs(workflow)))
      expect(error._tag).toBe("Unauthorized")
      const open = yield* setup({ temporal: { runs: 2, live: 0, auth: "none" } }, { apiKey: undefined })
      expect((yield* collect(open.service.runs(open.workflow))).length).toBeGreaterThan(0)
    }))

  it.scopedLive("filters by status and start time on the server, and by a raw query", () =>
    Effect.gen(function*() {
      const { service, workflow } = yield* setup({ temporal: { runs: 12, live: 1 } })
      const all = yield* collect(service.runs(workflow))
      const failed = yield* collect(service.runs(workflow, { status: ["Failed"] }))
      expect(failed.length).toBeGreaterThan(0)
      expect(failed).toEqual(all.filter((r) => r.providerStatus === "Failed"))
      const since = new Date(all.map((r) => r.createdAt!).sort()[6]!)
      const recent = yield* collect(service.runs(workflow, { since }))
      expect(recent.map((r) => r.id).sort()).toEqual(all.filter((r) => Date.parse(r.createdAt!) >= since.getTime()).map((r) => r.id).sort())
      const one = yield* collect(Stream.unwrapScoped(Effect.map(
        setup({ temporal: { runs: 12, live: 1 } }, { query: `WorkflowId = '${all[0]!.locator!.split("/")[0]}'` }),
        (s) => s.service.runs(s.workflow)
      )))
      expect(one.map((r) => r.locator)).toEqual([all[0]!.locator])
    }))
})
