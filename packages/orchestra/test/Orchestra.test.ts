import { HttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { ProviderError, StepRecord, WorkflowProvider } from "@steptrail/core"
import { Chunk, ConfigProvider, Effect, Either, Fiber, Layer, Redacted, Schema, Stream, TestClock } from "effect"
import { readFileSync } from "node:fs"
import { Orchestra } from "../src/index.js"
import { type Answer, fake, json } from "./fake.js"

const seedText = readFileSync(new URL("./fixtures/seed-003-steps.json", import.meta.url), "utf8")
const base = "https://orchestra.test/api/v1/workflow"
const prefix = "/api/v1/workflow"

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
const listing = (total: number): Answer => (url) => {
  const limit = Number(url.searchParams.get("limit"))
  const offset = Number(url.searchParams.get("offset"))
  const items = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, k) => runAt(offset + k))
  return json(200, items)
}

const provider = (answer: Answer, config: Partial<Orchestra.Config> = {}) =>
  Effect.gen(function*() {
    const { client, seen } = yield* fake(answer)
    const service = yield* Orchestra.make({ apiKey: Redacted.make("sk-test"), baseUrl: base, ...config }).pipe(
      Effect.provideService(HttpClient.HttpClient, client)
    )
    return { service, seen }
  })

const collect = <A, E>(stream: Stream.Stream<A, E>) => Effect.map(Stream.runCollect(stream), Chunk.toReadonlyArray)

const failure = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.flip(effect)

describe("Orchestra.runs", () => {
  for (const [total, requests] of [[0, 1], [1, 1], [99, 1], [100, 2], [101, 2], [250, 3], [300, 4]] as const) {
    it.effect(`pages ${total} runs in ${requests} request(s)`, () =>
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

  it.effect("maps runs to RunRefs", () =>
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

  it.effect("filters on the client: status words and time window", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(listing(250))
      const failed = yield* collect(service.runs("wf-1", { status: ["failed"] }))
      expect(failed.length).toBeGreaterThan(0)
      expect(failed.every((r) => r.providerStatus === "failed")).toBe(true)
      expect((yield* seen).every((s) => !s.url.searchParams.has("status"))).toBe(true)
      const window = yield* collect(
        service.runs("wf-1", {
          since: new Date(Date.UTC(2025, 2, 13) - 10 * 60_000),
          until: new Date(Date.UTC(2025, 2, 13) - 5 * 60_000)
        })
      )
      expect(window.map((r) => r.id)).toEqual(["run-6", "run-7", "run-8", "run-9", "run-10"])
    }))

  it.effect("skips a run seen twice when the listing shifts", () =>
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

describe("Orchestra.run", () => {
  it.effect("accepts an object", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(() => json(200, runAt(3)))
      const ref = yield* service.run("wf-1", "run-3")
      expect(ref.id).toBe("run-3")
      expect(ref.status).toBe("complete")
      expect((yield* seen)[0]!.url.pathname).toBe(`${prefix}/workflows/wf-1/runs/run-3`)
    }))

  it.effect("accepts a one-element array", () =>
    Effect.gen(function*() {
      const { service } = yield* provider(() => json(200, [runAt(7)]))
      const ref = yield* service.run("wf-1", "run-7")
      expect(ref).toMatchObject({ id: "run-7", status: "errored", providerStatus: "failed", terminal: true })
    }))

  it.effect("404 and an empty array are NotFound", () =>
    Effect.gen(function*() {
      const { service } = yield* provider(() => json(404, { detail: "Run not found" }))
      const error = yield* failure(service.run("wf-1", "nope"))
      expect(error._tag).toBe("NotFound")
      expect(error.message).toContain("Run not found")
      expect(error.message).toContain("(run nope)")
      expect(ProviderError.exitCode(error)).toBe(4)
      const empty = yield* provider(() => json(200, []))
      expect((yield* failure(empty.service.run("wf-1", "nope")))._tag).toBe("NotFound")
    }))

  it.effect("an id cannot change the path", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(() => json(200, runAt(1)))
      yield* service.run("wf/../x", "a?b#c")
      expect((yield* seen)[0]!.url.pathname).toBe(`${prefix}/workflows/wf%2F..%2Fx/runs/a%3Fb%23c`)
      const error = yield* failure(service.run("wf-1", ".."))
      expect(error._tag).toBe("InvalidRequest")
      expect((yield* seen)).toHaveLength(1)
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

  it.effect("one valid record per executed node, oldest first", () =>
    Effect.gen(function*() {
      // the API's order is not relied on: reversed here
      const reversed = JSON.stringify(JSON.parse(seedText).reverse())
      const { seen, service } = yield* provider(() =>
        new Response(reversed, { status: 200, headers: { "content-type": "application/json" } })
      )
      const records = yield* collect(service.steps(run))
      expect(records.map((r) => [r.step_index, r.name])).toEqual([[0, "model"], [1, "slack_integration"]])
      for (const record of records) expect(Schema.is(StepRecord.StepRecord)(record)).toBe(true)
      expect((yield* seen)[0]!.url.pathname).toBe(`${prefix}/workflows/wf-1/runs/${run.id}/steps`)
    }))

  it.effect("a malformed body is a DecodeFailure naming the field (after retries)", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(() => json(200, [{ id: "s1", node_id: 42 }]), {
        retry: { times: 2 }
      })
      const fiber = yield* Effect.fork(Effect.either(collect(service.steps(run))))
      yield* TestClock.adjust("1 minute")
      const result = yield* Fiber.join(fiber)
      expect(Either.isLeft(result) && result.left._tag).toBe("DecodeFailure")
      expect(Either.isLeft(result) && result.left.message).toContain("$[0].node_id")
      expect(Either.isLeft(result) && result.left.message).toContain(`(run ${run.id})`)
      expect(yield* seen).toHaveLength(3)
    }))

  it.effect("429 is retried after Retry-After", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider((_, count) =>
        count === 0 ? json(429, { detail: "Too Many Requests" }, { "retry-after": "3" }) : new Response(seedText, {
          status: 200,
          headers: { "content-type": "application/json" }
        })
      )
      const fiber = yield* Effect.fork(collect(service.steps(run)))
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

  it.effect("401 and 403 are Unauthorized", () =>
    Effect.gen(function*() {
      for (const status of [401, 403]) {
        const { service } = yield* answerWith(status, JSON.stringify({ detail: "Invalid API key" }))
        const error = yield* failure(collect(service.runs("wf-1")))
        expect(error).toMatchObject({ _tag: "Unauthorized", status, detail: "Invalid API key" })
        expect(ProviderError.exitCode(error)).toBe(3)
      }
    }))

  it.effect("a FastAPI validation list names the field", () =>
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

  it.effect("400 with a plain detail", () =>
    Effect.gen(function*() {
      const { service } = yield* answerWith(400, JSON.stringify({ detail: "limit must be positive" }))
      const error = yield* failure(collect(service.runs("wf-1")))
      expect(error).toMatchObject({ _tag: "InvalidRequest", status: 400, detail: "limit must be positive" })
    }))

  it.effect("a body that is not JSON falls back to the status text", () =>
    Effect.gen(function*() {
      const { service } = yield* answerWith(404, "<html><body>nginx</body></html>", "text/html")
      const error = yield* failure(service.run("wf-1", "r"))
      expect(error).toMatchObject({ _tag: "NotFound", detail: "Not Found" })
    }))

  it.effect("a missing or empty API key is Unauthorized naming the variable, with no request", () =>
    Effect.gen(function*() {
      for (const apiKey of [undefined, Redacted.make(""), Redacted.make("  ")]) {
        const { seen, service } = yield* provider(listing(1), { apiKey })
        const error = yield* failure(collect(service.runs("wf-1")))
        expect(error._tag).toBe("Unauthorized")
        expect(error).not.toHaveProperty("status", expect.anything())
        expect(error.message).toBe("orchestra: not authorized: no API key: set ORCHESTRA_API_KEY")
        expect(yield* seen).toHaveLength(0)
      }
    }))

  it.effect("a base URL that is not http(s) is refused", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* provider(listing(1), { baseUrl: "orchestra.arcee.ai" })
      const error = yield* failure(service.run("wf-1", "r"))
      expect(error._tag).toBe("InvalidRequest")
      expect(yield* seen).toHaveLength(0)
    }))
})

describe("Orchestra.layerConfig", () => {
  const withEnv = (env: Record<string, string>, overrides: Partial<Orchestra.Config> = {}) =>
    Effect.gen(function*() {
      const { client, seen } = yield* fake(listing(1))
      const layer = Orchestra.layerConfig(overrides).pipe(
        Layer.provide(Layer.succeed(HttpClient.HttpClient, client)),
        Layer.provide(Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env)))))
      )
      const service = yield* Effect.provide(WorkflowProvider.WorkflowProvider, layer)
      return { service, seen }
    })

  it.effect("reads the key and base URL from the environment", () =>
    Effect.gen(function*() {
      const { seen, service } = yield* withEnv({ ORCHESTRA_API_KEY: "env-key", ORCHESTRA_BASE_URL: "http://env.test/o" })
      yield* collect(service.runs("wf"))
      const [request] = yield* seen
      expect(request!.url.href).toBe("http://env.test/o/workflows/wf/runs?limit=100&offset=0")
      expect(request!.headers["authorization"]).toBe("Bearer env-key")
      expect(service.provider).toBe("orchestra")
      expect(service.account).toBeNull()
    }))

  it.effect("explicit overrides win; the default base URL applies", () =>
    Effect.gen(function*() {
      const env = { ORCHESTRA_API_KEY: "env-key", ORCHESTRA_BASE_URL: "http://env.test/o" }
      const a = yield* withEnv(env, { baseUrl: "http://flag.test/o", apiKey: Redacted.make("flag-key") })
      yield* collect(a.service.runs("wf"))
      const [ra] = yield* a.seen
      expect(ra!.url.origin + ra!.url.pathname).toBe("http://flag.test/o/workflows/wf/runs")
      expect(ra!.headers["authorization"]).toBe("Bearer flag-key")
      const b = yield* withEnv({ ORCHESTRA_API_KEY: "k", ORCHESTRA_BASE_URL: "" })
      yield* collect(b.service.runs("wf"))
      expect((yield* b.seen)[0]!.url.origin).toBe("https://orchestra.arcee.ai")
    }))

  it.effect("no key in the environment: Unauthorized on use", () =>
    Effect.gen(function*() {
      const { service } = yield* withEnv({})
      const error = yield* failure(collect(service.runs("wf")))
      expect(error.message).toContain("ORCHESTRA_API_KEY")
    }))
})
