import { describe, expect, it } from "@effect/vitest"
import { ProviderError, RateBudget, StepRecord, WorkflowProvider } from "@steptrail/core"
import * as TestHttpClient from "@steptrail/core/TestHttpClient"
import { Chunk, ConfigProvider, Context, Effect, Fiber, Layer, Redacted, Schema, Stream, TestClock } from "effect"
import { readFileSync } from "node:fs"
import { Onepin } from "../src/index.js"

type Answer = TestHttpClient.Answer
const { json } = TestHttpClient

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

/** The provider over a test HttpClient, with budgets of its own (not the process's). */
const provider = (answer: Answer, config: Partial<Onepin.Config> = {}) =>
  Effect.gen(function*() {
    const http = yield* TestHttpClient.make(answer)
    const service = yield* Onepin.make({ apiKey: Redacted.make("op_live_test"), baseUrl: base, ...config }).pipe(
      Effect.provide(http.layer),
      Effect.provide(RateBudget.layer())
    )
    return { service, seen: http.seen }
  })

/** The failure of `effect`; a success fails the test with a short message. */
const failure = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.either(effect), (result) =>
    result._tag === "Left"
      ? Effect.succeed(result.left)
      : Effect.die(new Error(`expected a failure, got ${JSON.stringify(result.right).slice(0, 200)}`)))

const collect = <A, E>(stream: Stream.Stream<A, E>) => Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

/** `requests` listing pages were asked for, at offsets 0, 100, ..., newest first, without a status filter. */
const expectListing = (urls: ReadonlyArray<TestHttpClient.Seen>, requests: number) => {
  expect(urls.map((s) => s.url.searchParams.get("offset"))).toEqual(Array.from({ length: requests }, (_, i) => String(i * 100)))
  for (const s of urls) {
    expect(s.url.pathname).toBe(`${prefix}/workflows/${workflow}/runs`)
    expect(s.url.searchParams.get("limit")).toBe("100")
    expect(s.url.searchParams.get("sort")).toBe("created_at")
    expect(s.url.searchParams.get("order")).toBe("desc")
    expect(s.url.searchParams.has("status")).toBe(false)
    expect(s.headers["authorization"]).toBe("Bearer op_live_test")
  }
}

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
    it.scoped(`pages ${count} runs in ${requests} request(s) ${JSON.stringify(options)}`, () =>
      Effect.gen(function*() {
        const { seen, service } = yield* provider(listing(count, options))
        const runs = yield* collect(service.runs(workflow))
        expect(runs).toHaveLength(count)
        expect(new Set(runs.map((r) => r.id)).size).toBe(count)
        expectListing(yield* seen, requests)
      }))
  }

  it.scoped("sends the status filter comma-separated", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(listing(250))
      const runs = yield* collect(service.runs(workflow, { status: ["failed", "cancelled"] }))
      expect(runs.length).toBe(84)
      expect(runs.every((r) => r.providerStatus === "failed" || r.providerStatus === "cancelled")).toBe(true)
      const urls = yield* seen
      expect(urls).toHaveLength(1)
      expect(urls[0]!.url.searchParams.get("status")).toBe("failed,cancelled")
    }))

  it.scoped("applies since/until on the client", () =>
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

  it.scoped("maps runs with the workspace as account", () =>
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

  it.scoped("a malformed workflow id is refused before any request", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(listing(1))
      const error = yield* failure(collect(service.runs("not-a-uuid")))
      expect(error).toMatchObject({ _tag: "InvalidRequest", field: "workflow_id" })
      expect(error).not.toHaveProperty("status", expect.anything())
      expect(error.message).toContain("\"not-a-uuid\" is not a UUID")
      expect(ProviderError.exitCode(error)).toBe(2)
      expect(yield* seen).toHaveLength(0)
    }))
})

describe("Onepin.runs since", () => {
  it.scoped("stops paging once the newest-first listing passes `since`, and asks for that order", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(listing(250))
      const recent = yield* collect(service.runs(workflow, { since: new Date(Date.UTC(2024, 0, 15) - 150 * 60_000) }))
      expect(recent.map((r) => r.id)).toEqual(Array.from({ length: 151 }, (_, i) => uuidAt(i)))
      expectListing(yield* seen, 2)
    }))
})

describe("Onepin.lookup", () => {
  // statuses[i % 6]: run 0 completed, 1 failed, 2 running, 3 cancelled, 4 pending, 5 paused
  for (const [index, requests] of [[0, 1], [99, 1], [100, 2], [199, 2], [249, 3]] as const) {
    it.scoped(`finds the run at position ${index + 1} with its real status in ${requests} listing request(s)`, () =>
      Effect.gen(function*() {
        const { seen, service } = yield* provider(listing(250), { workspaceId: workspace })
        const [ref, ...rest] = yield* service.lookup(workflow, [uuidAt(index)])
        expect(rest).toEqual([])
        const word = statuses[index % statuses.length]!
        expect(ref).toEqual({
          provider: "onepin",
          account: workspace,
          workflow,
          id: uuidAt(index),
          status: { completed: "complete", failed: "errored", running: "running", cancelled: "cancelled", pending: "queued", paused: "paused" }[word],
          providerStatus: word,
          terminal: ["completed", "failed", "cancelled"].includes(word),
          createdAt: runAt(index).created_at,
          updatedAt: null
        })
        expect(ref!.status).not.toBe("unknown")
        expectListing(yield* seen, requests)
      }))
  }

  it.scoped("several ids cost one pass down to the oldest, and come back in the order asked, each once", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(listing(250))
      const ids = [uuidAt(180), uuidAt(5), uuidAt(42), uuidAt(5), uuidAt(181)]
      const runs = yield* service.lookup(workflow, ids)
      expect(runs.map((r) => r.id)).toEqual([uuidAt(180), uuidAt(5), uuidAt(42), uuidAt(181)])
      expect(runs.map((r) => r.providerStatus)).toEqual(["completed", "paused", "completed", "failed"])
      expectListing(yield* seen, 2)
    }))

  it.scoped("a run not in the listing is NotFound, after the whole listing", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(listing(250))
      const missing = "00000000-0000-4000-8000-999999999999"
      const error = yield* failure(service.lookup(workflow, [uuidAt(3), missing]))
      expect(error).toMatchObject({ _tag: "NotFound", workflow, run: missing })
      expect(error.message).toBe(
        `onepin: not found: no such run in the workflow's run listing (workflow ${workflow}, run ${missing})`
      )
      expect(ProviderError.exitCode(error)).toBe(4)
      expectListing(yield* seen, 3)
    }))

  it.scoped("malformed ids are refused before any request", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(listing(1))
      const bad = yield* failure(service.lookup(workflow, [runId, "../steps"]))
      expect(bad).toMatchObject({ _tag: "InvalidRequest", field: "run_id", run: "../steps" })
      const badWorkflow = yield* failure(service.lookup("wf", [runId]))
      expect(badWorkflow).toMatchObject({ _tag: "InvalidRequest", field: "workflow_id" })
      expect(yield* seen).toHaveLength(0)
    }))

  it.scoped("no ids: no request", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(listing(10))
      expect(yield* service.lookup(workflow, [])).toEqual([])
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

  it.scoped("asks for results and sends the workspace", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(stepsAnswer, { workspaceId: workspace })
      const records = yield* service.steps(run(workspace))
      expect(records).toHaveLength(1)
      expect(records[0]).toMatchObject({ account: workspace, name: "node-12345", step_index: 0, iteration: 1 })
      expect(Schema.is(StepRecord.StepRecord)(records[0])).toBe(true)
      const [request] = yield* seen
      expect(request!.url.pathname).toBe(`${prefix}/workflows/${workflow}/runs/${runId}/steps`)
      expect(request!.url.searchParams.get("include_result")).toBe("true")
      expect(request!.headers["x-workspace-id"]).toBe(workspace)
    }))

  it.scoped("no workspace: no header, account null", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(stepsAnswer)
      expect(service.account).toBeNull()
      const records = yield* service.steps(run())
      expect(records[0]!.account).toBeNull()
      expect((yield* seen)[0]!.headers).not.toHaveProperty("x-workspace-id")
    }))

  it.scoped("a malformed run id is refused before any request", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(stepsAnswer)
      const error = yield* failure(service.steps({ ...run(), id: "1234" }))
      expect(error).toMatchObject({ _tag: "InvalidRequest", field: "run_id" })
      expect(yield* seen).toHaveLength(0)
    }))

  it.scoped("429 is retried after Retry-After", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider((url, count) =>
        count === 0
          ? json(429, { error: { code: "rate_limited", message: "Too many requests" }, meta: {} }, { "retry-after": "5" })
          : stepsAnswer(url, count)
      )
      const fiber = yield* Effect.fork(service.steps(run()))
      yield* TestClock.adjust("4 seconds")
      expect(yield* seen).toHaveLength(1)
      yield* TestClock.adjust("10 seconds")
      expect(yield* Fiber.join(fiber)).toHaveLength(1)
      expect(yield* seen).toHaveLength(2)
    }))

  it.scoped("404 is NotFound naming the run", () =>
    Effect.gen(function*() {
      const { service } = yield* provider(errorBody(404, { error: { code: "not_found", message: "Run not found" } }))
      const error = yield* failure(service.steps(run()))
      expect(error).toMatchObject({ _tag: "NotFound", run: runId, detail: "Run not found (not_found)" })
    }))

  it.scoped("JSON of the wrong shape fails at once, naming the endpoint and the field", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(() => json(200, { data: [{ id: "s", node_id: "n", status: "completed" }] }))
      const error = yield* failure(service.steps(run()))
      expect(error._tag).toBe("DecodeFailure")
      expect(error.message).toBe(
        `onepin: unexpected response from GET ${prefix}/workflows/${workflow}/runs/${runId}/steps at $.data[0].node_type: ` +
          `is missing (workflow ${workflow}, run ${runId})`
      )
      expect(yield* seen).toHaveLength(1)
    }))
})

describe("Onepin errors", () => {
  it.scoped("422 in FastAPI's shape names the field", () =>
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
      const error = yield* failure(collect(service.runs(workflow)))
      expect(error).toMatchObject({
        _tag: "InvalidRequest",
        status: 422,
        field: "run_id",
        detail: "run_id: Input should be a valid UUID, invalid length"
      })
      expect(error.message).toBe(
        `onepin: invalid request (HTTP 422) [run_id]: run_id: Input should be a valid UUID, invalid length (workflow ${workflow})`
      )
      expect(ProviderError.exitCode(error)).toBe(2)
    }))

  it.scoped("422 in Onepin's shape names the field", () =>
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
      const error = yield* failure(collect(service.runs(workflow)))
      expect(error).toMatchObject({
        _tag: "InvalidRequest",
        status: 422,
        field: "limit",
        detail: "limit: must be an integer between 1 and 100"
      })
    }))

  it.scoped("nested FastAPI locations are joined with dots", () =>
    Effect.gen(function*() {
      const { service } = yield* provider(
        errorBody(422, {
          detail: [
            { loc: ["query", "filters", 0, "status"], msg: "bad", type: "x" },
            { loc: ["query", "limit"], msg: "bad", type: "x" }
          ]
        })
      )
      const error = yield* failure(collect(service.runs(workflow)))
      expect(error).toMatchObject({ field: "filters.0.status", detail: "filters.0.status: bad (and 1 more)" })
    }))

  it.scoped("401 and 403 are Unauthorized with the provider's message", () =>
    Effect.gen(function*() {
      const a = yield* provider(errorBody(401, { error: { code: "unauthorized", message: "Invalid or missing API key" } }))
      expect(yield* failure(collect(a.service.runs(workflow)))).toMatchObject({
        _tag: "Unauthorized",
        status: 401,
        detail: "Invalid or missing API key (unauthorized)"
      })
      const b = yield* provider(
        errorBody(403, { error: { code: "forbidden", message: "The API key does not belong to the workspace" } }),
        { workspaceId: workspace }
      )
      const error = yield* failure(collect(b.service.runs(workflow)))
      expect(error).toMatchObject({ _tag: "Unauthorized", status: 403 })
      expect(ProviderError.exitCode(error)).toBe(3)
    }))

  it.scoped("426 says the client is too old, with the version required", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(
        errorBody(426, { error: { code: "upgrade_required", message: "Upgrade" } }, {
          "X-OnePin-Required-Version": "2.4.0"
        })
      )
      const error = yield* failure(collect(service.runs(workflow)))
      expect(error).toMatchObject({
        _tag: "UnexpectedResponse",
        status: 426,
        detail: "this client is too old for the Onepin API (it requires version 2.4.0)"
      })
      expect(ProviderError.exitCode(error)).toBe(1)
      expect(yield* seen).toHaveLength(1)
      const bare = yield* provider(errorBody(426, {}))
      const plain = yield* failure(collect(bare.service.runs(workflow)))
      expect(plain.detail).toBe("this client is too old for the Onepin API")
    }))
})

describe("Onepin.layer", () => {
  it.scoped("refuses a missing key and a bad base URL when it is built, before any request", () =>
    Effect.gen(function*() {
      const http = yield* TestHttpClient.make(listing(1))
      const refusal = (config: Partial<Onepin.Config>) =>
        Layer.build(Onepin.layer({ apiKey: Redacted.make("op_live_test"), baseUrl: base, ...config })).pipe(
          Effect.provide(http.layer),
          Effect.provide(RateBudget.layer()),
          failure,
          // the message says "(HTTP n)" when there is a status: none here, no request was sent
          Effect.map((e) => `${ProviderError.exitCode(e)} ${e._tag}: ${e.message}`)
        )
      const refusals = yield* Effect.forEach([
        { apiKey: undefined },
        { apiKey: Redacted.make("") },
        { apiKey: Redacted.make(" \n") },
        { baseUrl: "api.onepin.ai/api/v1" },
        { baseUrl: "ftp://api.onepin.ai/api/v1" },
        { baseUrl: "https://u:pw@api.onepin.ai/api/v1" },
        { baseUrl: "http://onepin.internal/api/v1" }
      ], refusal)
      const unauthorized = "3 Unauthorized: onepin: not authorized: no credentials: set ONEPIN_API_KEY"
      expect(refusals).toEqual([
        unauthorized,
        unauthorized,
        unauthorized,
        "2 InvalidRequest: onepin: invalid request [base_url]: base URL \"api.onepin.ai/api/v1\" is not a URL",
        "2 InvalidRequest: onepin: invalid request [base_url]: base URL must be http(s), got ftp:",
        "2 InvalidRequest: onepin: invalid request [base_url]: base URL must not carry credentials; use the environment variables",
        "2 InvalidRequest: onepin: invalid request [base_url]: base URL uses plain http to onepin.internal: " +
        "credentials would travel unencrypted; use https or pass --allow-insecure"
      ])
      expect(yield* http.seen).toEqual([])
    }))

  it.scoped("takes plain http to loopback, and to another host with allowInsecure", () =>
    Effect.gen(function*() {
      const insecure = yield* provider(listing(1), { baseUrl: "http://onepin.internal/api/v1", allowInsecure: true })
      const loopback = yield* provider(listing(1), { baseUrl: "http://localhost:9/api/v1" })
      yield* Effect.forEach([insecure, loopback], ({ service }) => collect(service.runs(workflow)))
      const origins = [...yield* insecure.seen, ...yield* loopback.seen].map((s) => s.url.origin)
      expect(origins).toEqual(["http://onepin.internal", "http://localhost:9"])
    }))
})

describe("Onepin.layerConfig", () => {
  const withEnv = (env: Record<string, string>, overrides: Partial<Onepin.Config> = {}) =>
    Effect.gen(function*() {
      const http = yield* TestHttpClient.make(listing(1))
      const layer = Onepin.layerConfig(overrides).pipe(
        Layer.provide(http.layer),
        Layer.provide(RateBudget.layer()),
        Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
      )
      const service = yield* Effect.map(Layer.build(layer), Context.get(WorkflowProvider.WorkflowProvider))
      return { service, seen: http.seen }
    })

  it.scoped("reads key, base URL and workspace from the environment", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* withEnv({
        ONEPIN_API_KEY: "op_live_env",
        ONEPIN_BASE_URL: "https://env.test/onepin/api/v1",
        ONEPIN_WORKSPACE_ID: workspace
      })
      expect(service.account).toBe(workspace)
      yield* collect(service.runs(workflow))
      const [request] = yield* seen
      expect(request!.url.origin + request!.url.pathname).toBe(`https://env.test/onepin/api/v1/workflows/${workflow}/runs`)
      expect(request!.headers["authorization"]).toBe("Bearer op_live_env")
      expect(request!.headers["x-workspace-id"]).toBe(workspace)
    }))

  it.scoped("the --workspace flag wins over the environment", () =>
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

  it.scoped("an empty workspace variable means none", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* withEnv({ ONEPIN_API_KEY: "k", ONEPIN_WORKSPACE_ID: "" })
      expect(service.account).toBeNull()
      yield* collect(service.runs(workflow))
      expect((yield* seen)[0]!.headers).not.toHaveProperty("x-workspace-id")
    }))

  it.scoped("no key in the environment: the layer fails with Unauthorized, before any request", () =>
    Effect.gen(function*() {
      const error = yield* failure(withEnv({ ONEPIN_API_KEY: "", ONEPIN_WORKSPACE_ID: workspace }))
      expect(error._tag).toBe("Unauthorized")
      expect(error.message).toContain("ONEPIN_API_KEY")
    }))

  it.scoped("plain http from the environment is refused unless allowInsecure is passed", () =>
    Effect.gen(function*() {
      const env = { ONEPIN_API_KEY: "k", ONEPIN_BASE_URL: "http://env.test/api/v1" }
      const error = yield* failure(withEnv(env))
      expect(error).toMatchObject({ _tag: "InvalidRequest", field: "base_url" })
      const { seen, service } = yield* withEnv(env, { allowInsecure: true })
      yield* collect(service.runs(workflow))
      expect((yield* seen)[0]!.url.origin).toBe("http://env.test")
    }))
})
