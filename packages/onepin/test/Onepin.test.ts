import { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { ProviderError, StepRecord, WorkflowProvider } from "@steptrail/core"
import { Chunk, ConfigProvider, Effect, Fiber, Layer, Redacted, Schema, Stream, TestClock } from "effect"
import { readFileSync } from "node:fs"
import { Onepin } from "../src/index.js"
import { type Answer, fake, json } from "./fake.js"

const seedText = readFileSync(new URL("./fixtures/seed-004-steps.json", import.meta.url), "utf8")
const base = "https://onepin.test/api/v1"
const prefix = "/api/v1"
const workflow = "5a4f0c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b"
const runId = "0b7c2f0e-6a41-4d2b-9f0e-3c1d2e4f5a6b"
const workspace = "7d0c5e2a-3b4f-4c61-9a8e-1f2d3c4b5a69"

const uuidAt = (i: number) => `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`
const statuses = ["completed", "failed", "running", "cancelled", "pending", "paused"]
const runAt = (i: number) => ({
  id: uuidAt(i),
  status: statuses[i % statuses.length],
  run_number: 1000 - i,
  created_at: new Date(Date.UTC(2024, 0, 15) - i * 60_000).toISOString(),
  started_at: null,
  completed_at: null
})

interface ListingOptions {
  readonly total?: boolean
  readonly next?: "offset" | "url"
}

/** A listing of `count` runs answering offset/limit (and status) like Onepin. */
const listing = (count: number, options: ListingOptions = {}): Answer => (url) => {
  const limit = Number(url.searchParams.get("limit"))
  const offset = Number(url.searchParams.get("offset"))
  const wanted = url.searchParams.get("status")?.split(",")
  const all = Array.from({ length: count }, (_, i) => runAt(i)).filter((r) => !wanted || wanted.includes(r.status!))
  const data = all.slice(offset, offset + limit)
  const more = offset + limit < all.length
  const next = !more ? null : options.next === "url" ? `${prefix}/workflows/${workflow}/runs?offset=${offset + limit}` : offset + limit
  return json(200, {
    data,
    meta: { request_id: "req", timestamp: "2024-01-15T09:40:00Z" },
    pagination: options.total === false ? { next, prev: null, limit } : { next, prev: null, limit, total: all.length }
  })
}

const stepsAnswer: Answer = () => new Response(seedText, { status: 200, headers: { "content-type": "application/json" } })

const provider = (answer: Answer, config: Partial<Onepin.Config> = {}) =>
  Effect.gen(function*() {
    const { client, seen } = yield* fake(answer)
    const service = yield* Onepin.make({ apiKey: Redacted.make("op_live_test"), baseUrl: base, ...config }).pipe(
      Effect.provideService(HttpClient.HttpClient, client)
    )
    return { service, seen }
  })

const collect = <A, E>(stream: Stream.Stream<A, E>) => Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

const errorBody = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => () =>
  json(status, body, headers)

describe("Onepin.runs", () => {
  const cases: ReadonlyArray<readonly [number, number, ListingOptions]> = [
    [0, 1, {}],
    [1, 1, {}],
    [100, 1, {}],
    [101, 2, {}],
    [250, 3, {}],
    [300, 3, {}],
    [250, 3, { next: "url" }],
    // without a total, only a short page ends the listing
    [200, 3, { total: false }],
    [199, 2, { total: false }]
  ]
  for (const [count, requests, options] of cases) {
    it.effect(`pages ${count} runs in ${requests} request(s) ${JSON.stringify(options)}`, () =>
      Effect.gen(function*() {
        const { seen, service } = yield* provider(listing(count, options))
        const runs = yield* collect(service.runs(workflow))
        expect(runs).toHaveLength(count)
        expect(new Set(runs.map((r) => r.id)).size).toBe(count)
        const urls = yield* seen
        expect(urls).toHaveLength(requests)
        expect(urls.map((s) => s.url.searchParams.get("offset"))).toEqual(
          Array.from({ length: requests }, (_, i) => String(i * 100))
        )
        for (const s of urls) {
          expect(s.url.pathname).toBe(`${prefix}/workflows/${workflow}/runs`)
          expect(s.url.searchParams.get("limit")).toBe("100")
          expect(s.url.searchParams.has("status")).toBe(false)
          expect(s.headers["authorization"]).toBe("Bearer op_live_test")
        }
      }))
  }

  it.effect("sends the status filter comma-separated", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(listing(250))
      const runs = yield* collect(service.runs(workflow, { status: ["failed", "cancelled"] }))
      expect(runs.length).toBe(84)
      expect(runs.every((r) => r.providerStatus === "failed" || r.providerStatus === "cancelled")).toBe(true)
      const urls = yield* seen
      expect(urls).toHaveLength(1)
      expect(urls[0]!.url.searchParams.get("status")).toBe("failed,cancelled")
    }))

  it.effect("applies since/until on the client", () =>
    Effect.gen(function*() {
      const { service } = yield* provider(listing(50))
      const runs = yield* collect(
        service.runs(workflow, {
          since: new Date(Date.UTC(2024, 0, 15) - 3 * 60_000),
          until: new Date(Date.UTC(2024, 0, 15) - 1 * 60_000)
        })
      )
      expect(runs.map((r) => r.id)).toEqual([uuidAt(2), uuidAt(3)])
    }))

  it.effect("maps runs with the workspace as account", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(listing(2), { workspaceId: workspace })
      const [first] = yield* collect(service.runs(workflow))
      expect(first).toMatchObject({
        provider: "onepin",
        account: workspace,
        status: "complete",
        providerStatus: "completed",
        terminal: true
      })
      expect((yield* seen)[0]!.headers["x-workspace-id"]).toBe(workspace)
    }))

  it.effect("a malformed workflow id is refused before any request", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(listing(1))
      const error = yield* Effect.flip(collect(service.runs("not-a-uuid")))
      expect(error).toMatchObject({ _tag: "InvalidRequest", field: "workflow_id" })
      expect(error).not.toHaveProperty("status", expect.anything())
      expect(error.message).toContain("\"not-a-uuid\" is not a UUID")
      expect(ProviderError.exitCode(error)).toBe(2)
      expect(yield* seen).toHaveLength(0)
    }))
})

describe("Onepin.run", () => {
  it.effect("validates the ids and returns an unknown run without a request", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(listing(1), { workspaceId: workspace })
      const ref = yield* service.run(workflow, runId)
      expect(ref).toEqual({
        provider: "onepin",
        account: workspace,
        workflow,
        id: runId,
        status: "unknown",
        providerStatus: null,
        terminal: false,
        createdAt: null,
        updatedAt: null
      })
      const bad = yield* Effect.flip(service.run(workflow, "../steps"))
      expect(bad).toMatchObject({ _tag: "InvalidRequest", field: "run_id", run: "../steps" })
      const badWorkflow = yield* Effect.flip(service.run("wf", runId))
      expect(badWorkflow).toMatchObject({ _tag: "InvalidRequest", field: "workflow_id" })
      expect(yield* seen).toHaveLength(0)
    }))
})

describe("Onepin.steps", () => {
  const run = (account: string | null = null): WorkflowProvider.RunRef => ({
    provider: "onepin",
    account,
    workflow,
    id: runId,
    status: "complete",
    providerStatus: "completed",
    terminal: true,
    createdAt: null,
    updatedAt: null
  })

  it.effect("asks for results and sends the workspace", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(stepsAnswer, { workspaceId: workspace })
      const records = yield* collect(service.steps(run(workspace)))
      expect(records).toHaveLength(1)
      expect(records[0]).toMatchObject({ account: workspace, name: "node-12345", step_index: 0, iteration: 1 })
      expect(Schema.is(StepRecord.StepRecord)(records[0])).toBe(true)
      const [request] = yield* seen
      expect(request!.url.pathname).toBe(`${prefix}/workflows/${workflow}/runs/${runId}/steps`)
      expect(request!.url.searchParams.get("include_result")).toBe("true")
      expect(request!.headers["x-workspace-id"]).toBe(workspace)
    }))

  it.effect("no workspace: no header, account null", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(stepsAnswer)
      expect(service.account).toBeNull()
      const records = yield* collect(service.steps(run()))
      expect(records[0]!.account).toBeNull()
      expect((yield* seen)[0]!.headers).not.toHaveProperty("x-workspace-id")
    }))

  it.effect("a malformed run id is refused before any request", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(stepsAnswer)
      const error = yield* Effect.flip(collect(service.steps({ ...run(), id: "1234" })))
      expect(error).toMatchObject({ _tag: "InvalidRequest", field: "run_id" })
      expect(yield* seen).toHaveLength(0)
    }))

  it.effect("429 is retried after Retry-After", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider((url, count) =>
        count === 0
          ? json(429, { error: { code: "rate_limited", message: "Too many requests" }, meta: {} }, { "retry-after": "5" })
          : stepsAnswer(url, count)
      )
      const fiber = yield* Effect.fork(collect(service.steps(run())))
      yield* TestClock.adjust("4 seconds")
      expect(yield* seen).toHaveLength(1)
      yield* TestClock.adjust("10 seconds")
      expect(yield* Fiber.join(fiber)).toHaveLength(1)
      expect(yield* seen).toHaveLength(2)
    }))

  it.effect("404 is NotFound naming the run", () =>
    Effect.gen(function*() {
      const { service } = yield* provider(errorBody(404, { error: { code: "not_found", message: "Run not found" } }))
      const error = yield* Effect.flip(collect(service.steps(run())))
      expect(error).toMatchObject({ _tag: "NotFound", run: runId, detail: "Run not found (not_found)" })
    }))
})

describe("Onepin errors", () => {
  it.effect("422 in FastAPI's shape names the field", () =>
    Effect.gen(function*() {
      const { service } = yield* provider(
        errorBody(422, {
          detail: [{
            loc: ["path", "run_id"],
            msg: "Input should be a valid UUID, invalid length",
            type: "uuid_parsing",
            input: "x"
          }]
        })
      )
      const error = yield* Effect.flip(collect(service.runs(workflow)))
      expect(error).toMatchObject({
        _tag: "InvalidRequest",
        status: 422,
        field: "run_id",
        detail: "run_id: Input should be a valid UUID, invalid length"
      })
      expect(error.message).toBe(
        "onepin: invalid request (HTTP 422) [run_id]: run_id: Input should be a valid UUID, invalid length"
      )
      expect(ProviderError.exitCode(error)).toBe(2)
    }))

  it.effect("422 in Onepin's shape names the field", () =>
    Effect.gen(function*() {
      const { service } = yield* provider(
        errorBody(422, {
          error: {
            code: "validation_error",
            message: "Invalid query parameters",
            details: [{ field: "limit", message: "must be an integer between 1 and 100" }]
          },
          meta: { request_id: "req", timestamp: "2024-01-15T09:40:00Z" }
        })
      )
      const error = yield* Effect.flip(collect(service.runs(workflow)))
      expect(error).toMatchObject({
        _tag: "InvalidRequest",
        status: 422,
        field: "limit",
        detail: "limit: must be an integer between 1 and 100"
      })
    }))

  it.effect("nested FastAPI locations are joined with dots", () =>
    Effect.gen(function*() {
      const { service } = yield* provider(
        errorBody(422, {
          detail: [
            { loc: ["query", "filters", 0, "status"], msg: "bad", type: "x" },
            { loc: ["query", "limit"], msg: "bad", type: "x" }
          ]
        })
      )
      const error = yield* Effect.flip(collect(service.runs(workflow)))
      expect(error).toMatchObject({ field: "filters.0.status", detail: "filters.0.status: bad (and 1 more)" })
    }))

  it.effect("401 and 403 are Unauthorized with the provider's message", () =>
    Effect.gen(function*() {
      const a = yield* provider(errorBody(401, { error: { code: "unauthorized", message: "Invalid or missing API key" } }))
      expect(yield* Effect.flip(collect(a.service.runs(workflow)))).toMatchObject({
        _tag: "Unauthorized",
        status: 401,
        detail: "Invalid or missing API key (unauthorized)"
      })
      const b = yield* provider(
        errorBody(403, { error: { code: "forbidden", message: "The API key does not belong to the workspace" } }),
        { workspaceId: workspace }
      )
      const error = yield* Effect.flip(collect(b.service.runs(workflow)))
      expect(error).toMatchObject({ _tag: "Unauthorized", status: 403 })
      expect(ProviderError.exitCode(error)).toBe(3)
    }))

  it.effect("426 says the client is too old, with the version required", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(
        errorBody(426, { error: { code: "upgrade_required", message: "Upgrade" } }, {
          "X-OnePin-Required-Version": "2.4.0"
        })
      )
      const error = yield* Effect.flip(collect(service.runs(workflow)))
      expect(error).toMatchObject({
        _tag: "UnexpectedResponse",
        status: 426,
        detail: "this client is too old for the Onepin API (it requires version 2.4.0)"
      })
      expect(ProviderError.exitCode(error)).toBe(1)
      expect(yield* seen).toHaveLength(1)
      const bare = yield* provider(errorBody(426, {}))
      const plain = yield* Effect.flip(collect(bare.service.runs(workflow)))
      expect(plain.detail).toBe("this client is too old for the Onepin API")
    }))

  it.effect("a missing API key is Unauthorized naming the variable, with no request", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(listing(1), { apiKey: undefined })
      const error = yield* Effect.flip(collect(service.runs(workflow)))
      expect(error.message).toBe("onepin: not authorized: no API key: set ONEPIN_API_KEY")
      expect(yield* seen).toHaveLength(0)
    }))
})

describe("Onepin.layerConfig", () => {
  const withEnv = (env: Record<string, string>, overrides: Partial<Onepin.Config> = {}) =>
    Effect.gen(function*() {
      const { client, seen } = yield* fake(listing(1))
      const layer = Onepin.layerConfig(overrides).pipe(
        Layer.provide(Layer.succeed(HttpClient.HttpClient, client)),
        Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
      )
      const service = yield* Effect.provide(WorkflowProvider.WorkflowProvider, layer)
      return { service, seen }
    })

  it.effect("reads key, base URL and workspace from the environment", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* withEnv({
        ONEPIN_API_KEY: "op_live_env",
        ONEPIN_BASE_URL: "http://env.test/onepin/api/v1",
        ONEPIN_WORKSPACE_ID: workspace
      })
      expect(service.account).toBe(workspace)
      yield* collect(service.runs(workflow))
      const [request] = yield* seen
      expect(request!.url.origin + request!.url.pathname).toBe(`http://env.test/onepin/api/v1/workflows/${workflow}/runs`)
      expect(request!.headers["authorization"]).toBe("Bearer op_live_env")
      expect(request!.headers["x-workspace-id"]).toBe(workspace)
    }))

  it.effect("the --workspace flag wins over the environment", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* withEnv(
        { ONEPIN_API_KEY: "k", ONEPIN_WORKSPACE_ID: "env-workspace" },
        { workspaceId: "flag-workspace" }
      )
      expect(service.account).toBe("flag-workspace")
      yield* collect(service.runs(workflow))
      const [request] = yield* seen
      expect(request!.headers["x-workspace-id"]).toBe("flag-workspace")
      expect(request!.url.origin).toBe("https://api.onepin.ai")
    }))

  it.effect("an empty workspace variable means none", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* withEnv({ ONEPIN_API_KEY: "k", ONEPIN_WORKSPACE_ID: "" })
      expect(service.account).toBeNull()
      yield* collect(service.runs(workflow))
      expect((yield* seen)[0]!.headers).not.toHaveProperty("x-workspace-id")
    }))
})
