import { describe, expect, it } from "@effect/vitest"
import { ProviderError, RateBudget, StepRecord, WorkflowProvider } from "@steptrail/core"
import * as TestHttpClient from "@steptrail/core/TestHttpClient"
import { Chunk, ConfigProvider, Context, Effect, Fiber, Layer, Redacted, Schema, Stream, TestClock } from "effect"
import { readFileSync } from "node:fs"
import { Orchestra } from "../src/index.js"

const seedText = readFileSync(new URL("./fixtures/seed-003-steps.json", import.meta.url), "utf8")
const base = "https://orchestra.test/api/v1/workflow"
const prefix = "/api/v1/workflow"
const { json } = TestHttpClient

const runAt = (i: number) => ({
  id: `run-${i}`,
  status: i % 10 === 0 ? "running" : i % 7 === 0 ? "failed" : "completed",
  start_time: new Date(Date.UTC(2025, 2, 13) - i * 60_000).toISOString(),
  end_time: null,
  elapsed_time: null,
  error: null,
  outputs: null,
  inputs: null
})

/** A listing of `total` runs, newest first, answering limit/offset. */
const listing = (total: number): TestHttpClient.Answer => (url) => {
  const limit = Number(url.searchParams.get("limit"))
  const offset = Number(url.searchParams.get("offset"))
  const items = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, k) => runAt(offset + k))
  return json(200, items)
}

const seedAnswer = () => new Response(seedText, { status: 200, headers: { "content-type": "application/json" } })

/** The failure of `effect`; a success fails the test with a short message. */
const failure = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.either(effect), (result) =>
    result._tag === "Left"
      ? Effect.succeed(result.left)
      : Effect.die(new Error(`expected a failure, got ${JSON.stringify(result.right).slice(0, 200)}`)))

/** The provider over a test HttpClient, with budgets of its own (not the process's). */
const provider = (answer: TestHttpClient.Answer, config: Partial<Orchestra.Config> = {}) =>
  Effect.gen(function*() {
    const http = yield* TestHttpClient.make(answer)
    const service = yield* Orchestra.make({ apiKey: Redacted.make("sk-test"), baseUrl: base, ...config }).pipe(
      Effect.provide(http.layer),
      Effect.provide(RateBudget.layer())
    )
    return { service, seen: http.seen }
  })

/** The failure of building the provider, and how many requests were sent meanwhile. */
const buildFailure = (config: Partial<Orchestra.Config>) =>
  Effect.gen(function*() {
    const http = yield* TestHttpClient.make(listing(1))
    const error = yield* failure(
      Orchestra.make({ apiKey: Redacted.make("sk-test"), baseUrl: base, ...config }).pipe(
        Effect.provide(http.layer),
        Effect.provide(RateBudget.layer())
      )
    )
    return { error, requests: (yield* http.seen).length }
  })

const collect = <A, E>(stream: Stream.Stream<A, E>) => Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

/** Runs `effect` to its end, sleeping (retries, pauses) on the test clock. */
const settle = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(Effect.either(effect))
    yield* TestClock.adjust("10 minutes")
    return yield* Fiber.join(fiber)
  })

describe("Orchestra.runs", () => {
  for (const [total, requests] of [[0, 1], [1, 1], [99, 1], [100, 2], [101, 2], [250, 3], [300, 4]] as const) {
    it.scoped(`pages ${total} runs in ${requests} request(s)`, () =>
      Effect.gen(function*() {
        const { seen, service } = yield* provider(listing(total))
        const runs = yield* collect(service.runs("wf-1"))
        expect(runs).toHaveLength(total)
        expect(new Set(runs.map((r) => r.id)).size).toBe(total)
        const urls = yield* seen
        expect(urls).toHaveLength(requests)
        expect(urls.map((s) => s.url.searchParams.get("offset"))).toEqual(
          Array.from({ length: requests }, (_, i) => String(i * 100))
        )
        for (const s of urls) {
          expect(s.url.pathname).toBe(`${prefix}/workflows/wf-1/runs`)
          expect(s.url.searchParams.get("limit")).toBe("100")
          expect(s.headers["authorization"]).toBe("Bearer sk-test")
        }
      }))
  }

  it.scoped("maps runs to RunRefs", () =>
    Effect.gen(function*() {
      const { service } = yield* provider(listing(3))
      const [first] = yield* collect(service.runs("wf-1"))
      expect(first).toEqual({
        provider: "orchestra",
        account: null,
        workflow: "wf-1",
        id: "run-0",
        status: "running",
        providerStatus: "running",
        terminal: false,
        createdAt: "2025-03-13T00:00:00.000Z",
        updatedAt: null
      })
    }))

  it.scoped("filters on the client: status words and time window", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(listing(250))
      const failed = yield* collect(service.runs("wf-1", { status: ["failed"] }))
      // i % 7 === 0 and i % 10 !== 0, for i < 250
      const expected = Array.from({ length: 250 }, (_, i) => i).filter((i) => i % 7 === 0 && i % 10 !== 0)
      expect(failed.map((r) => r.id)).toEqual(expected.map((i) => `run-${i}`))
      expect((yield* seen).every((s) => !s.url.searchParams.has("status"))).toBe(true)
      const window = yield* collect(
        service.runs("wf-1", {
          since: new Date(Date.UTC(2025, 2, 13) - 10 * 60_000),
          until: new Date(Date.UTC(2025, 2, 13) - 5 * 60_000)
        })
      )
      expect(window.map((r) => r.id)).toEqual(["run-6", "run-7", "run-8", "run-9", "run-10"])
    }))

  it.scoped("stops paging once the newest-first listing passes `since`", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(listing(300))
      const recent = yield* collect(service.runs("wf-1", { since: new Date(Date.UTC(2025, 2, 13) - 150 * 60_000) }))
      expect(recent.map((r) => r.id)).toEqual(Array.from({ length: 151 }, (_, i) => `run-${i}`))
      expect((yield* seen).map((s) => s.url.searchParams.get("offset"))).toEqual(["0", "100"])
    }))

  it.scoped("skips a run seen twice when the listing shifts", () =>
    Effect.gen(function*() {
      // a new run arrives between the first and the second page
      const { service } = yield* provider((url, count) => {
        const offset = Number(url.searchParams.get("offset"))
        const shift = count === 0 ? 0 : 1
        const items = Array.from({ length: Math.max(0, Math.min(100, 151 + shift - offset)) }, (_, k) =>
          runAt(offset + k - shift))
        return json(200, items)
      })
      const runs = yield* collect(service.runs("wf-1"))
      expect(runs).toHaveLength(151)
      expect(new Set(runs.map((r) => r.id)).size).toBe(151)
    }))
})

describe("Orchestra.lookup", () => {
  const lookupOne = (service: WorkflowProvider.Service, workflow: string, id: string) =>
    Effect.map(service.lookup(workflow, [id]), (runs) => {
      expect(runs).toHaveLength(1)
      return runs[0]!
    })

  it.scoped("accepts an object", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(() => json(200, runAt(3)))
      const ref = yield* lookupOne(service, "wf-1", "run-3")
      expect(ref).toMatchObject({ id: "run-3", status: "complete", workflow: "wf-1", provider: "orchestra" })
      expect((yield* seen)[0]!.url.pathname).toBe(`${prefix}/workflows/wf-1/runs/run-3`)
    }))

  it.scoped("accepts a one-element array", () =>
    Effect.gen(function*() {
      const { service } = yield* provider(() => json(200, [runAt(7)]))
      const ref = yield* lookupOne(service, "wf-1", "run-7")
      expect(ref).toMatchObject({ id: "run-7", status: "errored", providerStatus: "failed", terminal: true })
    }))

  it.scoped("takes the run asked for from an array of several", () =>
    Effect.gen(function*() {
      const { service } = yield* provider(() => json(200, [runAt(8), runAt(7), runAt(6)]))
      const ref = yield* lookupOne(service, "wf-1", "run-7")
      expect(ref).toMatchObject({ id: "run-7", providerStatus: "failed" })
    }))

  it.scoped("an array whose element is another run is NotFound: never another run's records", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider((url) =>
        url.pathname.endsWith("/steps") ? seedAnswer() : json(200, [runAt(8)])
      )
      // as an export would: look the run up, then fetch its steps
      const error = yield* failure(
        Effect.flatMap(service.lookup("wf-1", ["run-7"]), (runs) => Effect.forEach(runs, (run) => service.steps(run)))
      )
      expect(error).toMatchObject({ _tag: "NotFound", workflow: "wf-1", run: "run-7" })
      expect(error.message).toBe("orchestra: not found: no such run (workflow wf-1, run run-7)")
      expect(ProviderError.exitCode(error)).toBe(4)
      expect((yield* seen).map((s) => s.url.pathname)).toEqual([`${prefix}/workflows/wf-1/runs/run-7`])
    }))

  it.scoped("an object that describes another run is NotFound", () =>
    Effect.gen(function*() {
      const { service } = yield* provider(() => json(200, runAt(8)))
      const error = yield* failure(service.lookup("wf-1", ["run-7"]))
      expect(error).toMatchObject({ _tag: "NotFound", run: "run-7" })
      expect(error.detail).toBe("the answer describes run \"run-8\", not the run asked for")
    }))

  it.scoped("404 and an empty array are NotFound", () =>
    Effect.gen(function*() {
      const { service } = yield* provider(() => json(404, { detail: "Run not found" }))
      const error = yield* failure(service.lookup("wf-1", ["nope"]))
      expect(error._tag).toBe("NotFound")
      expect(error.message).toContain("Run not found")
      expect(error.message).toContain("(workflow wf-1, run nope)")
      expect(ProviderError.exitCode(error)).toBe(4)
      const empty = yield* provider(() => json(200, []))
      const none = yield* failure(empty.service.lookup("wf-1", ["nope"]))
      expect(none).toMatchObject({ _tag: "NotFound", detail: "no such run", run: "nope" })
    }))

  it.scoped("several ids: one request each, runs in the order asked, each once", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider((url) => json(200, [runAt(Number(url.pathname.split("-").at(-1)))]))
      const runs = yield* service.lookup("wf-1", ["run-5", "run-2", "run-5", "run-9"])
      expect(runs.map((r) => r.id)).toEqual(["run-5", "run-2", "run-9"])
      expect((yield* seen).map((s) => s.url.pathname.split("/").at(-1)).sort()).toEqual(["run-2", "run-5", "run-9"])
    }))

  it.scoped("an id cannot change the path", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(() => json(200, { ...runAt(1), id: "a?b#c" }))
      yield* service.lookup("wf/../x", ["a?b#c"])
      expect((yield* seen)[0]!.url.pathname).toBe(`${prefix}/workflows/wf%2F..%2Fx/runs/a%3Fb%23c`)
      const error = yield* failure(service.lookup("wf-1", [".."]))
      expect(error._tag).toBe("InvalidRequest")
      expect(yield* seen).toHaveLength(1)
    }))
})

describe("Orchestra.steps", () => {
  const run = {
    provider: "orchestra",
    account: null,
    workflow: "wf-1",
    id: "5b69669f-975a-49af-a33a-61ff9ae5a20f",
    status: "complete",
    providerStatus: "completed",
    terminal: true,
    createdAt: null,
    updatedAt: null
  } satisfies WorkflowProvider.RunRef

  it.scoped("one valid record per executed node, oldest first", () =>
    Effect.gen(function*() {
      // the API's order is not relied on: reversed here
      const reversed = JSON.stringify(JSON.parse(seedText).reverse())
      const { seen, service } = yield* provider(() =>
        new Response(reversed, { status: 200, headers: { "content-type": "application/json" } })
      )
      const records = yield* service.steps(run)
      expect(records.map((r) => [r.step_index, r.name])).toEqual([[0, "model"], [1, "slack_integration"]])
      for (const record of records) expect(Schema.is(StepRecord.StepRecord)(record)).toBe(true)
      expect(records.every((r) => r.run_id === run.id && r.run_status === "complete")).toBe(true)
      expect((yield* seen)[0]!.url.pathname).toBe(`${prefix}/workflows/wf-1/runs/${run.id}/steps`)
      // fullOutput changes nothing: the listing carries full outputs
      expect(yield* service.steps(run, { fullOutput: true })).toEqual(records)
      expect(yield* seen).toHaveLength(2)
    }))

  it.scoped("JSON of the wrong shape fails at once, naming the endpoint and the field", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(() => json(200, [{ id: "s1", node_id: 42 }]), {
        retry: { times: 2 }
      })
      const result = yield* settle(service.steps(run))
      if (result._tag === "Right") throw new Error("expected a failure")
      expect(result.left._tag).toBe("DecodeFailure")
      expect(ProviderError.exitCode(result.left)).toBe(1)
      expect(result.left.message).toBe(
        `orchestra: unexpected response from GET ${prefix}/workflows/wf-1/runs/${run.id}/steps at $[0].node_id: ` +
          `Expected string, actual 42 (workflow wf-1, run ${run.id})`
      )
      expect(yield* seen).toHaveLength(1)
    }))

  it.scoped("a body that is not JSON is fetched again, like a cut connection", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider((_, count) =>
        count === 0 ? new Response("<html>502</html>", { headers: { "content-type": "text/html" } }) : seedAnswer()
      )
      const result = yield* settle(service.steps(run))
      expect(result._tag === "Right" && result.right.map((r) => r.name)).toEqual(["model", "slack_integration"])
      expect(yield* seen).toHaveLength(2)
    }))

  it.scoped("429 is re-sent after Retry-After, without using a retry", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(
        (_, count) => count === 0 ? json(429, { detail: "Too Many Requests" }, { "retry-after": "3" }) : seedAnswer(),
        { retry: { times: 0 } }
      )
      const fiber = yield* Effect.fork(service.steps(run))
      yield* TestClock.adjust("2 seconds")
      expect(yield* seen).toHaveLength(1)
      yield* TestClock.adjust("10 seconds")
      const records = yield* Fiber.join(fiber)
      expect(records).toHaveLength(2)
      expect(yield* seen).toHaveLength(2)
    }))
})

describe("Orchestra errors", () => {
  const answerWith = (status: number, body: string, contentType = "application/json") =>
    provider(() => new Response(body, { status, headers: { "content-type": contentType } }))

  it.scoped("401 and 403 are Unauthorized", () =>
    Effect.gen(function*() {
      for (const status of [401, 403]) {
        const { service } = yield* answerWith(status, JSON.stringify({ detail: "Invalid API key" }))
        const error = yield* failure(collect(service.runs("wf-1")))
        expect(error).toMatchObject({ _tag: "Unauthorized", status, detail: "Invalid API key", workflow: "wf-1" })
        expect(ProviderError.exitCode(error)).toBe(3)
      }
    }))

  it.scoped("a FastAPI validation list names the field", () =>
    Effect.gen(function*() {
      const { service } = yield* answerWith(
        422,
        JSON.stringify({
          detail: [
            { loc: ["query", "limit"], msg: "Input should be less than or equal to 100", type: "less_than_equal" },
            { loc: ["query", "offset"], msg: "Input should be a valid integer", type: "int_parsing" }
          ]
        })
      )
      const error = yield* failure(collect(service.runs("wf-1")))
      expect(error).toMatchObject({
        _tag: "InvalidRequest",
        status: 422,
        field: "limit",
        detail: "limit: Input should be less than or equal to 100 (and 1 more)"
      })
      expect(ProviderError.exitCode(error)).toBe(2)
    }))

  it.scoped("400 with a plain detail", () =>
    Effect.gen(function*() {
      const { service } = yield* answerWith(400, JSON.stringify({ detail: "limit must be positive" }))
      const error = yield* failure(collect(service.runs("wf-1")))
      expect(error).toMatchObject({ _tag: "InvalidRequest", status: 400, detail: "limit must be positive" })
    }))

  it.scoped("a body that is not JSON falls back to the status text", () =>
    Effect.gen(function*() {
      const { service } = yield* answerWith(404, "<html><body>nginx</body></html>", "text/html")
      const error = yield* failure(service.lookup("wf-1", ["r"]))
      expect(error).toMatchObject({ _tag: "NotFound", detail: "Not Found" })
    }))
})

describe("Orchestra.make", () => {
  // [what is wrong, the config, the error and the end of its message]: all at build, no request sent
  const refusals = [
    ["no key", { apiKey: undefined }, "Unauthorized", "not authorized: no credentials: set ORCHESTRA_API_KEY"],
    ["an empty key", { apiKey: Redacted.make("") }, "Unauthorized", "set ORCHESTRA_API_KEY"],
    ["a blank key", { apiKey: Redacted.make(" \n") }, "Unauthorized", "set ORCHESTRA_API_KEY"],
    ["a base URL that is not a URL", { baseUrl: "orchestra.arcee.ai/api/v1/workflow" }, "InvalidRequest", "is not a URL"],
    ["a base URL that is not http(s)", { baseUrl: "ftp://orchestra.arcee.ai/api/v1/workflow" }, "InvalidRequest", "got ftp:"],
    ["a base URL with credentials", { baseUrl: "https://u:pw@orchestra.arcee.ai/api/v1/workflow" }, "InvalidRequest", "use the environment variables"],
    ["plain http off loopback", { baseUrl: "http://orchestra.internal/api" }, "InvalidRequest", "or pass --allow-insecure"]
  ] as const

  it.scoped.each(refusals)("%s is refused when the provider is built, before any request", ([, config, tag, end]) =>
    Effect.gen(function*() {
      const { error, requests } = yield* buildFailure(config)
      expect({ tag: error._tag, exit: ProviderError.exitCode(error), requests }).toEqual({
        tag,
        exit: tag === "Unauthorized" ? 3 : 2,
        requests: 0
      })
      expect(error.message.endsWith(end)).toBe(true)
      expect(error).not.toHaveProperty("status", expect.anything())
    }))

  it.scoped("plain http is taken to loopback, and elsewhere only with allowInsecure", () =>
    Effect.gen(function*() {
      for (const [baseUrl, allowInsecure, origin] of [["http://orchestra.internal/api", true, "http://orchestra.internal"], ["http://127.0.0.1:9/api", false, "http://127.0.0.1:9"]] as const) {
        const { seen, service } = yield* provider(listing(1), { baseUrl, allowInsecure })
        yield* collect(service.runs("wf"))
        expect((yield* seen)[0]!.url.origin).toBe(origin)
      }
    }))
})

describe("Orchestra.layerConfig", () => {
  const withEnv = (env: Record<string, string>, overrides: Partial<Orchestra.Config> = {}) =>
    Effect.gen(function*() {
      const http = yield* TestHttpClient.make(listing(1))
      const layer = Orchestra.layerConfig(overrides).pipe(
        Layer.provide(http.layer),
        Layer.provide(RateBudget.layer()),
        Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
      )
      const service = yield* Effect.map(Layer.build(layer), Context.get(WorkflowProvider.WorkflowProvider))
      return { service, seen: http.seen }
    })

  it.scoped("reads the key and base URL from the environment", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* withEnv({ ORCHESTRA_API_KEY: "env-key", ORCHESTRA_BASE_URL: "https://env.test/o" })
      yield* collect(service.runs("wf"))
      const [request] = yield* seen
      expect(request!.url.href).toBe("https://env.test/o/workflows/wf/runs?limit=100&offset=0")
      expect(request!.headers["authorization"]).toBe("Bearer env-key")
      expect(service.provider).toBe("orchestra")
      expect(service.account).toBeNull()
    }))

  it.scoped("explicit overrides win; the default base URL applies", () =>
    Effect.gen(function*() {
      const env = { ORCHESTRA_API_KEY: "env-key", ORCHESTRA_BASE_URL: "https://env.test/o" }
      const a = yield* withEnv(env, { baseUrl: "https://flag.test/o", apiKey: Redacted.make("flag-key") })
      yield* collect(a.service.runs("wf"))
      const [ra] = yield* a.seen
      expect(ra!.url.origin + ra!.url.pathname).toBe("https://flag.test/o/workflows/wf/runs")
      expect(ra!.headers["authorization"]).toBe("Bearer flag-key")
      const b = yield* withEnv({ ORCHESTRA_API_KEY: " k ", ORCHESTRA_BASE_URL: "" })
      yield* collect(b.service.runs("wf"))
      const [rb] = yield* b.seen
      expect(rb!.url.origin + rb!.url.pathname).toBe("https://orchestra.arcee.ai/api/v1/workflow/workflows/wf/runs")
      expect(rb!.headers["authorization"]).toBe("Bearer k")
    }))

  it.scoped("no key in the environment: the layer fails with Unauthorized, before any request", () =>
    Effect.gen(function*() {
      const error = yield* failure(withEnv({ ORCHESTRA_API_KEY: " " }))
      expect(error._tag).toBe("Unauthorized")
      expect(error.message).toContain("ORCHESTRA_API_KEY")
    }))

  it.scoped("plain http from the environment is refused unless allowInsecure is passed", () =>
    Effect.gen(function*() {
      const env = { ORCHESTRA_API_KEY: "k", ORCHESTRA_BASE_URL: "http://env.test/o" }
      const error = yield* failure(withEnv(env))
      expect(error).toMatchObject({ _tag: "InvalidRequest", field: "base_url" })
      const { seen, service } = yield* withEnv(env, { allowInsecure: true })
      yield* collect(service.runs("wf"))
      expect((yield* seen)[0]!.url.origin).toBe("http://env.test")
    }))
})
