/**
 * One export suite, run against every provider layer over loopback HTTP: the providers
 * are interchangeable behind `WorkflowProvider`.
 */
import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Cloudflare } from "@steptrail/cloudflare"
import { StepRecord, type WorkflowProvider } from "@steptrail/core"
import { Emulator } from "@steptrail/emulator"
import { Export, Output } from "@steptrail/export"
import { Onepin } from "@steptrail/onepin"
import { Orchestra } from "@steptrail/orchestra"
import { Temporal } from "@steptrail/temporal"
import { Chunk, Effect, Redacted, Schema, type Scope, Stream } from "effect"
import { PassThrough } from "node:stream"

const TOKEN = "providers-suite-token"
const decode = Schema.decodeUnknownSync(StepRecord.StepRecord)

interface Case {
  readonly name: StepRecord.Provider
  readonly make: (info: Emulator.Info) => Effect.Effect<WorkflowProvider.Service, unknown, Scope.Scope>
  readonly workflow: (info: Emulator.Info) => string
  /** Counts runs straight from the emulator, without steptrail code. */
  readonly rawRuns: (info: Emulator.Info) => Promise<number>
}

const bearer = { authorization: `Bearer ${TOKEN}` }
const http = <A, E>(effect: Effect.Effect<A, E, import("@effect/platform").HttpClient.HttpClient | Scope.Scope>) =>
  Effect.provide(effect, FetchHttpClient.layer)

const cases: ReadonlyArray<Case> = [
  {
    name: "cloudflare",
    make: (info) => http(Cloudflare.make({ accountId: info.cloudflare.accountId, apiToken: Redacted.make(TOKEN), baseUrl: info.cloudflare.baseUrl })),
    workflow: (info) => info.cloudflare.workflow,
    rawRuns: async (info) => {
      let n = 0
      let cursor: string | undefined
      for (let page = 0; page < 50; page++) {
        const url = `${info.cloudflare.baseUrl}/accounts/${info.cloudflare.accountId}/workflows/${info.cloudflare.workflow}/instances?per_page=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`
        const body = (await (await fetch(url, { headers: bearer })).json()) as { result: Array<unknown>; result_info?: { cursor?: string } }
        n += body.result.length
        cursor = body.result_info?.cursor
        if (!cursor) break
      }
      return n
    }
  },
  {
    name: "orchestra",
    make: (info) => http(Orchestra.make({ apiKey: Redacted.make(TOKEN), baseUrl: info.orchestra.baseUrl })),
    workflow: (info) => info.orchestra.workflow,
    rawRuns: async (info) => {
      let n = 0
      for (let offset = 0; offset < 5000; offset += 100) {
        const page = (await (await fetch(`${info.orchestra.baseUrl}/workflows/${info.orchestra.workflow}/runs?limit=100&offset=${offset}`, { headers: bearer })).json()) as Array<unknown>
        n += page.length
        if (page.length < 100) break
      }
      return n
    }
  },
  {
    name: "onepin",
    make: (info) => http(Onepin.make({ apiKey: Redacted.make(TOKEN), baseUrl: info.onepin.baseUrl, workspaceId: info.onepin.workspaceId })),
    workflow: (info) => info.onepin.workflow,
    rawRuns: async (info) => {
      const body = (await (await fetch(`${info.onepin.baseUrl}/workflows/${info.onepin.workflow}/runs?limit=1`, { headers: bearer })).json()) as { pagination: { total: number } }
      return body.pagination.total
    }
  },
  {
    name: "temporal",
    make: (info) => http(Temporal.make({ apiKey: Redacted.make(TOKEN), baseUrl: info.temporal.baseUrl, namespace: info.temporal.namespace })),
    workflow: (info) => info.temporal.workflow,
    rawRuns: async (info) => {
      let n = 0
      let token: string | undefined
      for (let page = 0; page < 50; page++) {
        const query = new URLSearchParams({ query: `WorkflowType = '${info.temporal.workflow}'`, ...(token ? { nextPageToken: token } : {}) })
        const url = `${info.temporal.baseUrl}/api/v1/namespaces/${info.temporal.namespace}/workflows?${query}`
        const body = (await (await fetch(url, { headers: bearer })).json()) as { executions?: Array<unknown>; nextPageToken?: string }
        n += body.executions?.length ?? 0
        token = body.nextPageToken
        if (!token) break
      }
      return n
    }
  }
]

const collect = () => {
  const sink = new PassThrough()
  const chunks: Array<Buffer> = []
  sink.on("data", (c: Buffer) => chunks.push(c))
  return { output: Output.stdout(sink), text: () => Buffer.concat(chunks).toString("utf8") }
}

for (const c of cases) {
  describe(`the export suite on ${c.name}`, () => {
    it.scoped("exports every run of every page once, with valid, unique, contiguous, ordered records", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.start({ token: TOKEN, seed: 9, cloudflare: { instances: 130 }, orchestra: { runs: 130 }, onepin: { runs: 130 }, temporal: { runs: 130 } })
        const provider = yield* c.make(emulator.info)
        expect(provider.provider).toBe(c.name)
        const runs = yield* Effect.promise(() => c.rawRuns(emulator.info))
        expect(runs).toBeGreaterThan(100)
        const { output, text } = collect()
        const summary = yield* Export.run([{ provider, workflow: c.workflow(emulator.info) }], output, { concurrency: 6 })
        expect(summary.runs).toBe(runs)
        // where a provider can count its runs, the count matches the listing
        if (provider.count !== undefined) expect(yield* provider.count(c.workflow(emulator.info))).toBe(runs)
        expect(provider.count === undefined).toBe(c.name === "orchestra")
        const records = text().trimEnd().split("\n").map((l) => decode(JSON.parse(l)))
        expect(records.length).toBe(summary.steps)
        expect(records.every((r) => r.provider === c.name && r.workflow === c.workflow(emulator.info))).toBe(true)
        expect(new Set(records.map(StepRecord.key)).size).toBe(records.length)
        for (let i = 1; i < records.length; i++) {
          const same = records[i]!.run_id === records[i - 1]!.run_id
          expect(records[i]!.step_index).toBe(same ? records[i - 1]!.step_index + 1 : 0)
        }
        const order = records.map((r) => r.run_id).filter((id, i, all) => i === 0 || all[i - 1] !== id)
        expect(new Set(order).size).toBe(order.length)
      }))

    it.scoped("exports exactly the named runs, in the order named", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.start({ token: TOKEN, seed: 9 })
        const provider = yield* c.make(emulator.info)
        const workflow = c.workflow(emulator.info)
        const listed = Chunk.toReadonlyArray(yield* Stream.runCollect(provider.runs(workflow).pipe(Stream.take(3))))
        const ids = [listed[2]!.id, listed[0]!.id]
        const fetched = Chunk.toReadonlyArray(yield* Stream.runCollect(Export.runRecords({ provider, workflow, runIds: ids })))
        expect(fetched.map((r) => r.run.id)).toEqual(ids)
        expect(fetched.every((r) => r.records.every((x) => x.run_id === r.run.id))).toBe(true)
      }))

    it.scoped("fails an unknown run with NotFound naming it", () =>
      Effect.gen(function*() {
        const emulator = yield* Emulator.start({ token: TOKEN, seed: 9 })
        const provider = yield* c.make(emulator.info)
        const id = "00000000-0000-4000-8000-00000000dead"
        const error = yield* Effect.flip(
          Stream.runDrain(Export.runRecords({ provider, workflow: c.workflow(emulator.info), runIds: [id] }))
        )
        expect(error._tag).toBe("NotFound")
        expect(error.message).toContain(id)
      }))
  })
}
