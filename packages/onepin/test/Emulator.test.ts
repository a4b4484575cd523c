import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { ProviderClient, ProviderConfig, ProviderError, RateBudget, StepRecord, WorkflowProvider } from "@steptrail/core"
import { Emulator } from "@steptrail/emulator"
import { Chunk, Effect, Layer, Redacted, Schema, Stream } from "effect"
import { Onepin, OnepinApi } from "../src/index.js"
import { describe as describeError } from "../src/internal/errors.js"

const isRecord = Schema.is(StepRecord.StepRecord)

const collect = <A, E>(stream: Stream.Stream<A, E>) => Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

/** An emulator and a provider pointed at it, over real loopback. */
const setup = (options: Emulator.Options = {}, config: Partial<Onepin.Config> = {}) =>
  Effect.gen(function*() {
    const emulator = yield* Emulator.start(options)
    const service = yield* Onepin.make({
      apiKey: Redacted.make(emulator.info.token),
      baseUrl: emulator.info.onepin.baseUrl,
      retry: { times: 0 },
      ...config
    })
    return { emulator, service, workflow: emulator.info.onepin.workflow }
  }).pipe(Effect.provide(FetchHttpClient.layer), Effect.provide(RateBudget.layer()))

/** One run by id, as export and follow look runs up. */
const lookupOne = (service: WorkflowProvider.Service, workflow: string, id: string) =>
  Effect.map(service.lookup(workflow, [id]), (runs) => {
    expect(runs.map((r) => r.id)).toEqual([id])
    return runs[0]!
  })

const routeRequests = (emulator: Emulator.Emulator, route: string) =>
  Effect.map(emulator.stats, (s) => s.providers.onepin.routes[route]?.requests ?? 0)

const refOf = (workflow: string, id: string, account: string | null = null): WorkflowProvider.RunRef => ({
  provider: "onepin",
  account,
  workflow,
  id,
  status: "unknown",
  providerStatus: null,
  terminal: false,
  createdAt: null,
  updatedAt: null
})

/** The raw steps body, fetched without the client under test. */
const rawSteps = (emulator: Emulator.Emulator, run: string) =>
  Effect.promise(() =>
    fetch(`${emulator.info.onepin.baseUrl}/workflows/${emulator.info.onepin.workflow}/runs/${run}/steps`, {
      headers: { authorization: `Bearer ${emulator.info.token}` }
    }).then((r) => r.json() as Promise<{ data: ReadonlyArray<unknown> }>)
  )

describe("Onepin against the emulator", () => {
  for (const [runs, pages] of [[0, 1], [100, 1], [101, 2], [230, 3]] as const) {
    it.scopedLive(`lists exactly ${runs} runs in ${pages} page(s)`, () =>
      Effect.gen(function*() {
        const { emulator, service, workflow } = yield* setup({ onepin: { runs, live: 0 } })
        const refs = yield* collect(service.runs(workflow))
        expect(refs).toHaveLength(runs)
        expect(new Set(refs.map((r) => r.id)).size).toBe(runs)
        expect(yield* routeRequests(emulator, "listRuns")).toBe(pages)
        for (const ref of refs) expect(ref.createdAt).not.toBeNull()
      }))
  }

  it.scopedLive("filters by status on the server", () =>
    Effect.gen(function*() {
      const { service, workflow } = yield* setup({ onepin: { runs: 230, live: 0 } })
      const all = yield* collect(service.runs(workflow))
      const wanted = ["failed", "cancelled"]
      const expected = all.filter((r) => wanted.includes(r.providerStatus!)).map((r) => r.id)
      expect(expected.length).toBeGreaterThan(0)
      const filtered = yield* collect(service.runs(workflow, { status: wanted }))
      expect(filtered.map((r) => r.id)).toEqual(expected)
      expect(filtered.every((r) => r.terminal)).toBe(true)
    }))

  it.scopedLive("a run created while paging is listed neither twice nor at the expense of another", () =>
    Effect.gen(function*() {
      const { emulator, service, workflow } = yield* setup({ onepin: { runs: 150, live: 2 } })
      const late = emulator.fixtures.onepin.live[1]!
      expect(late.visibleAtEpoch).toBe(false)
      const before = yield* collect(service.runs(workflow))
      const refs = yield* collect(
        service.runs(workflow).pipe(
          Stream.zipWithIndex,
          Stream.tap(([, i]) => (i === 50 ? emulator.advance(Date.parse(late.createdAt) - Date.UTC(2026, 0, 1) + 1) : Effect.void)),
          Stream.map(([ref]) => ref)
        )
      )
      expect(new Set(refs.map((r) => r.id)).size).toBe(refs.length)
      expect(refs.map((r) => r.id)).toEqual(before.map((r) => r.id))
    }))

  it.scopedLive("one valid record per node execution, in execution order, with the workspace", () =>
    Effect.gen(function*() {
      const workspaceId = "7d0c5e2a-3b4f-4c61-9a8e-1f2d3c4b5a69"
      const { emulator, service, workflow } = yield* setup({ onepin: { runs: 40, live: 0, workspaceId } }, {
        workspaceId
      })
      expect(service.account).toBe(workspaceId)
      const refs = yield* collect(service.runs(workflow))
      expect(refs).toHaveLength(40)
      for (const ref of refs) {
        expect(ref.account).toBe(workspaceId)
        const records = yield* service.steps(ref)
        const raw = yield* rawSteps(emulator, ref.id)
        expect(records).toHaveLength(raw.data.length)
        records.forEach((record, i) => {
          expect(isRecord(record)).toBe(true)
          expect(record).toMatchObject({ step_index: i, account: workspaceId, kind: "node", run_status: ref.status })
        })
        // include_result=true: every completed node has its result
        for (const record of records.filter((r) => r.status === "complete")) {
          expect(record.output).not.toBeNull()
          expect(record.output_truncated).toBe(false)
        }
      }
      // ours and the raw fetches: one request per run each
      expect(yield* routeRequests(emulator, "listSteps")).toBe(80)
    }))

  it.scopedLive("iterations number the repeats of a node", () =>
    Effect.gen(function*() {
      const { emulator, service, workflow } = yield* setup()
      const fixtures = emulator.fixtures.onepin
      const ref = yield* lookupOne(service, workflow, fixtures.runs.iterations!)
      expect(ref.status).not.toBe("unknown")
      const records = yield* service.steps(ref)
      const processes = records.filter((r) => r.name === fixtures.iterationNodes.process)
      expect(processes.map((r) => r.iteration)).toEqual([1, 2, 3])
      expect(records.filter((r) => r.name === fixtures.iterationNodes.save).map((r) => r.iteration)).toEqual([1, 2, 3])
      expect(processes.every((r) => r.node_type === "action" && r.display_name === "Process record")).toBe(true)
      expect(records.every((r) => r.run_status === ref.status)).toBe(true)
      const starts = records.map((r) => r.started_at!)
      expect([...starts].sort()).toEqual(starts)
    }))

  it.scopedLive("failed and cancelled runs: errors as {name, message}", () =>
    Effect.gen(function*() {
      const { emulator, service, workflow } = yield* setup()
      const runs = yield* collect(service.runs(workflow, { status: ["failed", "cancelled"] }))
      const failed = runs.find((r) => r.id === emulator.fixtures.onepin.runs.failed)!
      expect(failed).toMatchObject({ status: "errored", terminal: true })
      const failedSteps = yield* service.steps(failed)
      const errored = failedSteps.filter((r) => r.status === "errored")
      expect(errored).toHaveLength(1)
      expect(errored[0]!.error).toMatchObject({ name: "Error" })
      expect(errored[0]!.run_status).toBe("errored")
      const cancelled = runs.find((r) => r.id === emulator.fixtures.onepin.runs.cancelled)!
      const cancelledSteps = yield* service.steps(cancelled)
      expect(cancelledSteps.at(-1)).toMatchObject({ status: "cancelled", run_status: "cancelled" })
    }))

  it.scopedLive("a mismatched workspace is Unauthorized (403)", () =>
    Effect.gen(function*() {
      const { service, workflow } = yield* setup({}, { workspaceId: "00000000-0000-4000-8000-000000000000" })
      const error = yield* Effect.flip(collect(service.runs(workflow)))
      expect(error).toMatchObject({ _tag: "Unauthorized", status: 403 })
      expect(ProviderError.exitCode(error)).toBe(3)
    }))

  it.scopedLive("a wrong token is Unauthorized (401)", () =>
    Effect.gen(function*() {
      const { service, workflow } = yield* setup({}, { apiKey: Redacted.make("op_live_wrong") })
      const error = yield* Effect.flip(collect(service.runs(workflow)))
      expect(error).toMatchObject({ _tag: "Unauthorized", status: 401 })
      expect(error.detail).toContain("Invalid or missing API key")
    }))

  it.scopedLive("an unknown run is NotFound: from the lookup, and (404) from its steps", () =>
    Effect.gen(function*() {
      const { emulator, service, workflow } = yield* setup({ onepin: { runs: 120, live: 0 } })
      const id = "00000000-0000-4000-8000-000000000001"
      const lookup = yield* Effect.flip(service.lookup(workflow, [id]))
      expect(lookup).toMatchObject({ _tag: "NotFound", run: id, workflow })
      expect(ProviderError.exitCode(lookup)).toBe(4)
      expect(yield* routeRequests(emulator, "listRuns")).toBe(2)
      const error = yield* Effect.flip(service.steps(refOf(workflow, id)))
      expect(error).toMatchObject({ _tag: "NotFound", run: id })
      expect(ProviderError.exitCode(error)).toBe(4)
    }))

  it.scopedLive("a lookup finds runs with their real status in one listing pass, down to the oldest asked", () =>
    Effect.gen(function*() {
      const { emulator, service, workflow } = yield* setup({ onepin: { runs: 230, live: 0 } })
      const all = yield* collect(service.runs(workflow))
      yield* emulator.resetStats
      const newest = yield* lookupOne(service, workflow, all[0]!.id)
      expect(newest).toEqual(all[0])
      expect(yield* routeRequests(emulator, "listRuns")).toBe(1)
      yield* emulator.resetStats
      const picked = [all[150]!, all[3]!, all[99]!]
      const found = yield* service.lookup(workflow, picked.map((r) => r.id))
      expect(found).toEqual(picked)
      expect(found.every((r) => r.status !== "unknown")).toBe(true)
      expect(yield* routeRequests(emulator, "listRuns")).toBe(2)
    }))

  it.scopedLive("422 in both shapes names the field", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.start()
      // the raw client does not validate ids, so the server's answers can be seen
      const client = yield* ProviderClient.make({
        provider: "onepin",
        baseUrl: emulator.info.onepin.baseUrl,
        headers: { authorization: ProviderConfig.bearer(Redacted.make(emulator.info.token)) },
        describe: describeError,
        retry: { times: 0 }
      }).pipe(Effect.provide(FetchHttpClient.layer), Effect.provide(RateBudget.layer()))
      const api = OnepinApi.make(client)
      const fastApi = yield* Effect.flip(api.listSteps(emulator.info.onepin.workflow, "not-a-uuid"))
      expect(fastApi).toMatchObject({ _tag: "InvalidRequest", status: 422, field: "run_id" })
      expect(fastApi.detail).toMatch(/^run_id: Input should be a valid UUID/)
      const onepin = yield* Effect.flip(api.listRuns(emulator.info.onepin.workflow, { offset: 0, limit: 500 }))
      expect(onepin).toMatchObject({ _tag: "InvalidRequest", status: 422, field: "limit" })
      expect(onepin.detail).toBe("limit: must be an integer between 1 and 100")
      const status = yield* Effect.flip(
        api.listRuns(emulator.info.onepin.workflow, { offset: 0, limit: 10, status: ["finished"] })
      )
      expect(status).toMatchObject({ _tag: "InvalidRequest", field: "status" })
    }))

  it.scopedLive("a malformed id never reaches the server", () =>
    Effect.gen(function*() {
      const { emulator, service, workflow } = yield* setup()
      const error = yield* Effect.flip(collect(service.steps(refOf(workflow, "run-1"))))
      expect(error).toMatchObject({ _tag: "InvalidRequest", field: "run_id" })
      expect((yield* emulator.stats).providers.onepin.requests).toBe(0)
    }))

  it.scopedLive("426: the client is too old, naming the version", () =>
    Effect.gen(function*() {
      const { service, workflow } = yield* setup({ onepin: { requiredVersion: "3.1.0" } })
      const error = yield* Effect.flip(collect(service.runs(workflow)))
      expect(error).toMatchObject({
        _tag: "UnexpectedResponse",
        status: 426,
        detail: "this client is too old for the Onepin API (it requires version 3.1.0)"
      })
      expect(ProviderError.exitCode(error)).toBe(1)
    }))

  it.scopedLive("the layer provides a WorkflowProvider", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.start({ onepin: { runs: 3, live: 0 } })
      const layer = Onepin.layer({
        apiKey: Redacted.make(emulator.info.token),
        baseUrl: emulator.info.onepin.baseUrl,
        workspaceId: emulator.info.onepin.workspaceId
      }).pipe(Layer.provide(FetchHttpClient.layer), Layer.provide(RateBudget.layer()))
      const provider = yield* Effect.provide(WorkflowProvider.WorkflowProvider, layer)
      expect(provider.account).toBe(emulator.info.onepin.workspaceId)
      expect(yield* collect(provider.runs(emulator.info.onepin.workflow))).toHaveLength(3)
    }))
})
