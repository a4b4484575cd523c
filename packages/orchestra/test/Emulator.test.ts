import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { RateBudget, StepRecord, WorkflowProvider } from "@steptrail/core"
import { Emulator } from "@steptrail/emulator"
import { Chunk, Effect, Layer, Redacted, Schema, Stream } from "effect"
import { Orchestra } from "../src/index.js"

const isRecord = Schema.is(StepRecord.StepRecord)

const collect = <A, E>(stream: Stream.Stream<A, E>) => Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

/** An emulator and a provider pointed at it, over real loopback. */
const setup = (options: Emulator.Options = {}, config: Partial<Orchestra.Config> = {}) =>
  Effect.gen(function*() {
    const emulator = yield* Emulator.start(options)
    const service = yield* Orchestra.make({
      apiKey: Redacted.make(emulator.info.token),
      baseUrl: emulator.info.orchestra.baseUrl,
      retry: { times: 0 },
      ...config
    })
    return { emulator, service, workflow: emulator.info.orchestra.workflow }
  }).pipe(Effect.provide(FetchHttpClient.layer), Effect.provide(RateBudget.layer()))

/** One run by id, as export and follow look runs up. */
const lookupOne = (service: WorkflowProvider.Service, workflow: string, id: string) =>
  Effect.map(service.lookup(workflow, [id]), (runs) => {
    expect(runs.map((r) => r.id)).toEqual([id])
    return runs[0]!
  })

const routeRequests = (emulator: Emulator.Emulator, route: string) =>
  Effect.map(emulator.stats, (s) => s.providers.orchestra.routes[route]?.requests ?? 0)

/** The raw steps body, fetched without the client under test. */
const rawSteps = (emulator: Emulator.Emulator, run: string) =>
  Effect.promise(() =>
    fetch(`${emulator.info.orchestra.baseUrl}/workflows/${emulator.info.orchestra.workflow}/runs/${run}/steps`, {
      headers: { authorization: `Bearer ${emulator.info.token}` }
    }).then((r) => r.json() as Promise<ReadonlyArray<unknown>>)
  )

describe("Orchestra against the emulator", () => {
  for (const [runs, pages] of [[0, 1], [99, 1], [100, 2], [230, 3]] as const) {
    it.scopedLive(`lists exactly ${runs} runs in ${pages} page(s)`, () =>
      Effect.gen(function*() {
        const { emulator, service, workflow } = yield* setup({ orchestra: { runs, live: 0 } })
        const refs = yield* collect(service.runs(workflow))
        expect(refs).toHaveLength(runs)
        expect(new Set(refs.map((r) => r.id)).size).toBe(runs)
        expect(yield* routeRequests(emulator, "listRuns")).toBe(pages)
        for (const ref of refs) {
          expect(ref.provider).toBe("orchestra")
          expect(ref.createdAt).not.toBeNull()
          expect(ref.providerStatus).not.toBeNull()
        }
      }))
  }

  it.scopedLive("a run started while paging is listed neither twice nor at the expense of another", () =>
    Effect.gen(function*() {
      const { emulator, service, workflow } = yield* setup({ orchestra: { runs: 150, live: 2 } })
      const late = emulator.fixtures.orchestra.live[1]!
      expect(late.visibleAtEpoch).toBe(false)
      const before = yield* collect(service.runs(workflow))
      const refs = yield* collect(
        service.runs(workflow).pipe(
          Stream.zipWithIndex,
          Stream.tap(([, i]) => (i === 50 ? emulator.advance(Date.parse(late.createdAt) - (Date.UTC(2026, 0, 1)) + 1) : Effect.void)),
          Stream.map(([ref]) => ref)
        )
      )
      expect(new Set(refs.map((r) => r.id)).size).toBe(refs.length)
      expect(refs.map((r) => r.id)).toEqual(before.map((r) => r.id))
    }))

  it.scopedLive("one valid record per executed node, oldest first, for every run", () =>
    Effect.gen(function*() {
      const { emulator, service, workflow } = yield* setup({ orchestra: { runs: 40, live: 0 } })
      const refs = yield* collect(service.runs(workflow))
      expect(refs).toHaveLength(40)
      let total = 0
      for (const ref of refs) {
        const records = yield* service.steps(ref)
        const raw = yield* rawSteps(emulator, ref.id)
        expect(records).toHaveLength(raw.length)
        total += records.length
        records.forEach((record, i) => {
          expect(isRecord(record)).toBe(true)
          expect(record).toMatchObject({ step_index: i, run_id: ref.id, workflow, kind: "node", run_status: ref.status })
        })
        const starts = records.map((r) => r.started_at!)
        expect([...starts].sort()).toEqual(starts)
      }
      expect(total).toBeGreaterThan(40)
    }))

  it.scopedLive("the seed-like run: model usage, both nodes, run lookup by id", () =>
    Effect.gen(function*() {
      const { emulator, service, workflow } = yield* setup()
      const id = emulator.fixtures.orchestra.runs.seedLike!
      const ref = yield* lookupOne(service, workflow, id)
      expect(ref).toMatchObject({ id, status: "complete", providerStatus: "completed", terminal: true })
      const records = yield* service.steps(ref)
      expect(records.map((r) => r.name)).toEqual(["model", "slack_integration"])
      const [model, slack] = records
      expect(model!.usage?.total_tokens).toBe((model!.usage?.prompt_tokens ?? 0) + (model!.usage?.completion_tokens ?? 0))
      expect(model!.usage?.total_tokens).toBeGreaterThan(0)
      expect((model!.input as { messages: Array<{ content: string }> }).messages[0]!.content).toBe(
        "Tell me a joke about the weather"
      )
      expect(slack!.usage).toBeNull()
      expect(model!.started_at).toMatch(/\.\d{6}Z$/)
    }))

  it.scopedLive("a failed run: errored node with its message", () =>
    Effect.gen(function*() {
      const { emulator, service, workflow } = yield* setup()
      const ref = yield* lookupOne(service, workflow, emulator.fixtures.orchestra.runs.failed!)
      expect(ref).toMatchObject({ status: "errored", providerStatus: "failed", terminal: true })
      const records = yield* service.steps(ref)
      const failed = records.filter((r) => r.status === "errored")
      expect(failed.map((r) => r.name)).toEqual([emulator.fixtures.orchestra.failedNode])
      expect(failed[0]!.error?.name).toBe("Error")
      expect(failed[0]!.error?.message.length).toBeGreaterThan(0)
      expect(records.every((r) => r.run_status === "errored")).toBe(true)
    }))

  it.scopedLive("a live run: running, then complete once the clock passes it", () =>
    Effect.gen(function*() {
      const { emulator, service, workflow } = yield* setup({ orchestra: { runs: 5, live: 1 } })
      const live = emulator.fixtures.orchestra.live[0]!
      const before = yield* lookupOne(service, workflow, live.id)
      expect(before).toMatchObject({ status: "running", terminal: false })
      const partial = yield* service.steps(before)
      expect(partial.some((r) => r.status === "running")).toBe(true)
      expect(partial.every(isRecord)).toBe(true)
      yield* emulator.advance(Date.parse(live.settledAt) - (yield* emulator.now) + 1000)
      const after = yield* lookupOne(service, workflow, live.id)
      expect(after).toMatchObject({ status: "complete", terminal: true })
      const records = yield* service.steps(after)
      expect(records.length).toBeGreaterThanOrEqual(partial.length)
      expect(records.every((r) => r.status === "complete")).toBe(true)
    }))

  it.scopedLive("a wrong token is Unauthorized (401)", () =>
    Effect.gen(function*() {
      const { service, workflow } = yield* setup({}, { apiKey: Redacted.make("wrong") })
      const error = yield* Effect.flip(collect(service.runs(workflow)))
      expect(error).toMatchObject({ _tag: "Unauthorized", status: 401, detail: "Invalid or missing API key" })
    }))

  it.scopedLive("an unknown run or workflow is NotFound (404)", () =>
    Effect.gen(function*() {
      const { service, workflow } = yield* setup()
      const run = yield* Effect.flip(lookupOne(service, workflow, "no-such-run"))
      expect(run).toMatchObject({ _tag: "NotFound", detail: "Run not found", run: "no-such-run" })
      const ref: WorkflowProvider.RunRef = {
        provider: "orchestra",
        account: null,
        workflow: "no-such-workflow",
        id: "r",
        status: "unknown",
        providerStatus: null,
        terminal: false,
        createdAt: null,
        updatedAt: null
      }
      const steps = yield* Effect.flip(service.steps(ref))
      expect(steps).toMatchObject({ _tag: "NotFound", detail: "Workflow not found" })
      const listing = yield* Effect.flip(collect(service.runs("no-such-workflow")))
      expect(listing._tag).toBe("NotFound")
    }))

  it.scopedLive("an empty workflow lists no runs", () =>
    Effect.gen(function*() {
      const { emulator, service } = yield* setup()
      expect(yield* collect(service.runs(emulator.fixtures.orchestra.emptyWorkflow))).toHaveLength(0)
    }))

  it.scopedLive("the layer provides a WorkflowProvider", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.start({ orchestra: { runs: 3, live: 0 } })
      const layer = Orchestra.layer({
        apiKey: Redacted.make(emulator.info.token),
        baseUrl: emulator.info.orchestra.baseUrl
      }).pipe(Layer.provide(FetchHttpClient.layer))
      const provider = yield* Effect.provide(WorkflowProvider.WorkflowProvider, layer)
      expect(provider.provider).toBe("orchestra")
      expect(yield* collect(provider.runs(emulator.info.orchestra.workflow))).toHaveLength(3)
    }))
})
