import { HttpClient, HttpClientError, type HttpClientRequest, HttpClientResponse } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { Clock, Duration, Effect, Either, Exit, Fiber, Logger, LogLevel, Metric, Option, Redacted, Ref, Schema, TestClock } from "effect"
import * as Metrics from "../src/Metrics.js"
import * as ProviderClient from "../src/ProviderClient.js"
import * as ProviderError from "../src/ProviderError.js"
import * as RateBudget from "../src/RateBudget.js"

const SECRET = "sk-live-7f3a9c0d2e1b"

interface Sent {
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
  readonly at: number
}

interface Answer {
  readonly status?: number
  readonly body?: ConstructorParameters<typeof Response>[0]
  readonly headers?: Record<string, string>
}

type Responder = (
  request: HttpClientRequest.HttpClientRequest,
  n: number
) => Answer | Effect.Effect<Answer, HttpClientError.HttpClientError>

const json = (value: unknown, status = 200, headers: Record<string, string> = {}): Answer => ({
  status,
  body: JSON.stringify(value),
  headers: { "content-type": "application/json", ...headers }
})

/** A fake HttpClient answering with `respond`; every request (URL, headers, clock time) is kept. */
const fakeClient = (respond: Responder) =>
  Effect.gen(function*() {
    const sent = yield* Ref.make<ReadonlyArray<Sent>>([])
    const client = HttpClient.make((request, url) =>
      Effect.gen(function*() {
        const at = yield* Clock.currentTimeMillis
        const n = yield* Ref.modify(sent, (all) => [all.length, [...all, { url, headers: request.headers, at }]])
        const answer = respond(request, n)
        const { body = null, headers = {}, status = 200 } = Effect.isEffect(answer) ? yield* answer : answer
        return HttpClientResponse.fromWeb(request, new Response(body, { status, headers }))
      })
    )
    return { client, sent: Ref.get(sent) }
  })

const describeBody = (answer: ProviderClient.ErrorAnswer): ProviderClient.Described => {
  try {
    const parsed = JSON.parse(answer.body) as { message?: string; field?: string }
    return { detail: parsed.message ?? answer.body, field: parsed.field }
  } catch {
    return { detail: answer.body === "" ? `HTTP ${answer.status}` : answer.body }
  }
}

const baseOptions: ProviderClient.Options = {
  provider: "acme",
  baseUrl: "https://api.example.com/v1/",
  headers: { authorization: Redacted.make(`Bearer ${SECRET}`), "x-client": "steptrail" },
  describe: describeBody,
  retry: { times: 2, base: "100 millis", cap: "1 seconds" }
}

/** Builds the client over a fake transport, with budgets of its own (not the process's). */
const setup = (respond: Responder, options: Partial<ProviderClient.Options> = {}, budgets = RateBudget.layer()) =>
  Effect.gen(function*() {
    const { client, sent } = yield* fakeClient(respond)
    const api = yield* ProviderClient.make({ ...baseOptions, ...options }).pipe(
      Effect.provideService(HttpClient.HttpClient, client),
      Effect.provide(budgets),
      Effect.scoped
    )
    return { api, sent }
  })

/** The raw body, as an endpoint answering bytes reads it. */
const bodyOf = (api: ProviderClient.ProviderClient, request: ProviderClient.Request) =>
  api.get(request, "application/json, application/octet-stream", Effect.succeed)

/** Runs an effect that may sleep (retries, timeouts) to its end with the test clock. */
const settle = <A, E>(effect: Effect.Effect<A, E>) =>
  Effect.gen(function*() {
    const fiber = yield* Effect.fork(Effect.either(effect))
    yield* TestClock.adjust("1 hours")
    return yield* Fiber.join(fiber)
  })

const failure = <A>(result: Either.Either<A, ProviderError.ProviderError>): ProviderError.ProviderError => {
  if (Either.isRight(result)) throw new Error(`expected a failure, got ${JSON.stringify(result.right)}`)
  return result.left
}

const Ok = Schema.Struct({ ok: Schema.Boolean })

describe("ProviderClient", () => {
  describe("requests", () => {
    it.effect("puts the base URL in front of encoded path segments", () =>
      Effect.gen(function*() {
        const { api, sent } = yield* setup(() => json({ ok: true }))
        yield* api.json({ path: ["workflows", "a/b?c d", "runs"] }, Ok)
        const [request] = yield* sent
        expect(request!.url.href).toBe("https://api.example.com/v1/workflows/a%2Fb%3Fc%20d/runs")
        expect(request!.url.search).toBe("")
      }))

    it.effect("an id is always one segment, whatever it holds", () =>
      Effect.gen(function*() {
        const ids = ["%2F", "%2e%2e", "../x", "..%2F..", "a#b", "x?y=1", "é ü", ".hidden", "a\\b", "..."]
        const { api, sent } = yield* setup(() => json({ ok: true }))
        for (const id of ids) yield* api.json({ path: ["runs", id, "steps"] }, Ok)
        const urls = (yield* sent).map((s) => s.url)
        urls.forEach((url, i) => {
          expect(url.origin).toBe("https://api.example.com")
          expect(url.search).toBe("")
          expect(url.hash).toBe("")
          const segments = url.pathname.split("/")
          expect(segments).toHaveLength(5)
          expect(segments.slice(0, 3)).toEqual(["", "v1", "runs"])
          expect(decodeURIComponent(segments[3]!)).toBe(ids[i])
          expect(segments[4]).toBe("steps")
        })
        expect(urls[0]!.pathname).toBe("/v1/runs/%252F/steps")
      }))

    it.effect.each(["", ".", ".."])("refuses the segment %j before sending anything", (segment) =>
      Effect.gen(function*() {
        const { api, sent } = yield* setup(() => json({ ok: true }))
        const error = failure(yield* settle(api.json({ path: ["runs", segment], run: segment }, Ok)))
        expect(error._tag).toBe("InvalidRequest")
        expect(error.message).toContain("not a valid id")
        expect(yield* sent).toHaveLength(0)
        const viaBody = failure(yield* settle(bodyOf(api, { path: [segment] })))
        expect(viaBody._tag).toBe("InvalidRequest")
        expect(yield* sent).toHaveLength(0)
      }))

    it.effect("strips trailing slashes of the base URL", () =>
      Effect.gen(function*() {
        const { api, sent } = yield* setup(() => json({ ok: true }), { baseUrl: "http://127.0.0.1:8787/api//" })
        yield* api.json({ path: ["x"] }, Ok)
        expect((yield* sent)[0]!.url.href).toBe("http://127.0.0.1:8787/api/x")
      }))

    it.effect("sends query parameters, dropping undefined ones", () =>
      Effect.gen(function*() {
        const { api, sent } = yield* setup(() => json({ ok: true }))
        yield* api.json({
          path: ["runs"],
          query: { cursor: "a&b=c d", per_page: 100, full: false, status: undefined, since: "2024-05-01T00:00:00Z" }
        }, Ok)
        const params = (yield* sent)[0]!.url.searchParams
        expect([...params.keys()].sort()).toEqual(["cursor", "full", "per_page", "since"])
        expect(params.get("cursor")).toBe("a&b=c d")
        expect(params.get("per_page")).toBe("100")
        expect(params.get("full")).toBe("false")
        expect(params.get("since")).toBe("2024-05-01T00:00:00Z")
      }))

    it.effect("repeats a parameter given as an array, in order", () =>
      Effect.gen(function*() {
        const { api, sent } = yield* setup(() => json({ ok: true }))
        yield* api.json({ path: ["runs"], query: { status: ["failed", "running"], limit: 10 } }, Ok)
        const url = (yield* sent)[0]!.url
        expect(url.searchParams.getAll("status")).toEqual(["failed", "running"])
        expect(url.search).toBe("?status=failed&status=running&limit=10")
      }))

    it.effect("sends the headers, Redacted values unwrapped, and asks for JSON", () =>
      Effect.gen(function*() {
        const { api, sent } = yield* setup(() => json({ ok: true }))
        yield* api.json({ path: ["x"] }, Ok)
        yield* bodyOf(api, { path: ["y"] })
        const [first, second] = yield* sent
        expect(first!.headers["authorization"]).toBe(`Bearer ${SECRET}`)
        expect(first!.headers["x-client"]).toBe("steptrail")
        expect(first!.headers["accept"]).toBe("application/json")
        expect(second!.headers["authorization"]).toBe(`Bearer ${SECRET}`)
        expect(second!.headers["accept"]).toContain("application/octet-stream")
      }))
  })

  describe("answers", () => {
    it.effect("decodes a JSON body, ignoring fields it does not know (they are not checked, and may stay)", () =>
      Effect.gen(function*() {
        const { api } = yield* setup(() => json({ ok: true, extra: [1, 2] }))
        expect(yield* api.json({ path: ["x"] }, Ok)).toMatchObject({ ok: true })
      }))

    it.effect.each(["application/json; charset=utf-8", "application/problem+json", "APPLICATION/JSON"])(
      "accepts the content type %s",
      (contentType) =>
        Effect.gen(function*() {
          const { api } = yield* setup(() => ({ body: `{"ok":true}`, headers: { "content-type": contentType } }))
          expect(yield* api.json({ path: ["x"] }, Ok)).toEqual({ ok: true })
        })
    )

    it.effect("accepts JSON without a content type", () =>
      Effect.gen(function*() {
        const { api } = yield* setup(() => ({ body: new TextEncoder().encode(`{"ok":true}`) }))
        expect(yield* api.json({ path: ["x"] }, Ok)).toEqual({ ok: true })
      }))

    it.effect("get() returns the bytes, their media type and endpoint", () =>
      Effect.gen(function*() {
        const bytes = new Uint8Array([0, 1, 2, 255, 254])
        const { api } = yield* setup(() => ({ body: bytes, headers: { "content-type": "application/octet-stream" } }))
        const body = yield* bodyOf(api, { path: ["blob"] })
        expect(body.contentType).toBe("application/octet-stream")
        expect(body.endpoint).toBe("GET /v1/blob")
        expect([...body.bytes]).toEqual([...bytes])
      }))

    it.effect("get() joins a streamed body", () =>
      Effect.gen(function*() {
        const { api } = yield* setup(() => ({ body: streamOf(5, 100) }))
        const body = yield* bodyOf(api, { path: ["blob"] })
        expect(body.bytes.length).toBe(500)
        expect(body.contentType).toBe("")
      }))
  })

  describe("status mapping", () => {
    it.effect.each([
      [401, "Unauthorized", 3],
      [403, "Unauthorized", 3],
      [404, "NotFound", 4],
      [400, "InvalidRequest", 2],
      [422, "InvalidRequest", 2],
      [429, "RateLimited", 5],
      [500, "Unavailable", 5],
      [502, "Unavailable", 5],
      [503, "Unavailable", 5],
      [408, "Unavailable", 5],
      [426, "UnexpectedResponse", 1],
      [418, "UnexpectedResponse", 1],
      [302, "UnexpectedResponse", 1]
    ] as const)("%i is %s", ([status, tag]) =>
      Effect.gen(function*() {
        const { api } = yield* setup(() => json({ message: "the server said\nno" }, status), { retry: { times: 0 } })
        const error = failure(yield* settle(api.json({ path: ["x"] }, Ok)))
        expect(error._tag).toBe(tag)
        expect(error.message).toContain("the server said no")
        expect(error.message).not.toMatch(/[\r\n]/)
        if (status !== 429 && status !== 404) expect(error.message).toContain(String(status))
      }))

    it.effect("a 422 names the field the provider names", () =>
      Effect.gen(function*() {
        const { api } = yield* setup(() => json({ message: "must be 1..100", field: "per_page" }, 422))
        const error = failure(yield* settle(api.json({ path: ["x"] }, Ok)))
        expect(error._tag).toBe("InvalidRequest")
        expect(error._tag === "InvalidRequest" && error.field).toBe("per_page")
        expect(error.message).toContain("per_page")
      }))

    it.effect("client errors are not retried", () =>
      Effect.gen(function*() {
        for (const status of [400, 401, 403, 404, 422, 426]) {
          const { api, sent } = yield* setup(() => json({ message: "no" }, status))
          yield* settle(api.json({ path: ["x"] }, Ok))
          expect(yield* sent).toHaveLength(1)
        }
      }))

    it.effect("transient failures are retried `times` times", () =>
      Effect.gen(function*() {
        for (const status of [408, 500, 503]) {
          const { api, sent } = yield* setup(() => json({ message: "busy" }, status))
          const error = failure(yield* settle(api.json({ path: ["x"] }, Ok)))
          expect(error.message).toContain("busy")
          expect(yield* sent).toHaveLength(3)
        }
      }))

    it.effect("a 429 carries its Retry-After", () =>
      Effect.gen(function*() {
        const { api } = yield* setup(() => json({ message: "slow" }, 429, { "retry-after": "3" }), {
          retry: { times: 0, rateLimitPatience: "2 seconds" }
        })
        const error = failure(yield* settle(api.json({ path: ["x"] }, Ok)))
        expect(error._tag === "RateLimited" && error.retryAfterMs).toBe(3000)
      }))

    it.effect("a transport failure is Unavailable, retried", () =>
      Effect.gen(function*() {
        const { api, sent } = yield* setup((request) =>
          Effect.fail(
            new HttpClientError.RequestError({
              request,
              reason: "Transport",
              cause: Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:9"), { code: "ECONNREFUSED" })
            })
          )
        )
        const error = failure(yield* settle(api.json({ path: ["x"] }, Ok)))
        expect(error._tag).toBe("Unavailable")
        expect(error.message).toContain("ECONNREFUSED")
        expect(yield* sent).toHaveLength(3)
      }))

    it.effect("reads only the head of a runaway error body", () =>
      Effect.gen(function*() {
        const pulls = { count: 0 }
        const { api } = yield* setup(() => ({ status: 500, body: endless(pulls, 4096) }), { retry: { times: 0 } })
        const error = failure(yield* settle(api.json({ path: ["x"] }, Ok)))
        expect(error._tag).toBe("Unavailable")
        expect(error.message.length).toBeLessThan(1000)
        expect(pulls.count).toBeLessThan(64)
      }))
  })

  describe("retries", () => {
    it.effect("a 500 then a 200 succeeds after the backoff", () =>
      Effect.gen(function*() {
        const { api, sent } = yield* setup((_, n) => (n === 0 ? json({ message: "oops" }, 500) : json({ ok: true })))
        const fiber = yield* Effect.fork(api.json({ path: ["x"] }, Ok))
        yield* TestClock.adjust("50 millis")
        expect(yield* sent).toHaveLength(1)
        yield* TestClock.adjust("1 seconds")
        expect(yield* Fiber.join(fiber)).toEqual({ ok: true })
        const times = (yield* sent).map((s) => s.at)
        expect(times).toHaveLength(2)
        expect(times[1]! - times[0]!).toBeGreaterThanOrEqual(80)
        expect(times[1]! - times[0]!).toBeLessThanOrEqual(120)
      }))

    it.effect("waits at least a 429's Retry-After before the next attempt", () =>
      Effect.gen(function*() {
        const { api, sent } = yield* setup((_, n) =>
          n === 0 ? json({ message: "slow" }, 429, { "retry-after": "5" }) : json({ ok: true })
        )
        const fiber = yield* Effect.fork(api.json({ path: ["x"] }, Ok))
        yield* TestClock.adjust("4900 millis")
        expect(yield* sent).toHaveLength(1)
        yield* TestClock.adjust("200 millis")
        expect(yield* sent).toHaveLength(2)
        expect(yield* Fiber.join(fiber)).toEqual({ ok: true })
      }))
  })

  describe("bodies of the wrong shape", () => {
    const Nested = Schema.Struct({ a: Schema.Struct({ b: Schema.Array(Schema.Number) }) })

    it.effect("JSON of another shape fails at once, naming the endpoint and the field", () =>
      Effect.gen(function*() {
        const { api, sent } = yield* setup(() => json({ a: { b: [1, 2, "three"] } }))
        const error = failure(yield* settle(api.json({ path: ["runs", "run-1"], workflow: "w", run: "run-1" }, Nested)))
        expect(error._tag).toBe("DecodeFailure")
        expect(error._tag === "DecodeFailure" && error.path).toBe("$.a.b[2]")
        expect(error.message).toBe(
          "acme: unexpected response from GET /v1/runs/run-1 at $.a.b[2]: Expected number, actual \"three\" (workflow w, run run-1)"
        )
        expect(ProviderError.isRetryable(error)).toBe(false)
        expect(yield* sent).toHaveLength(1)
      }))

    it.effect("a missing field is named too", () =>
      Effect.gen(function*() {
        const { api } = yield* setup(() => json({ a: {} }), { retry: { times: 0 } })
        const error = failure(yield* settle(api.json({ path: ["x"] }, Nested)))
        expect(error._tag === "DecodeFailure" && error.path).toBe("$.a.b")
      }))

    it.effect.each([
      ["HTML with an HTML content type", { body: "<html><body>502 Bad Gateway</body></html>", headers: { "content-type": "text/html" } }],
      ["HTML labelled JSON", { body: "<html>\n<body>oops</body>\n</html>", headers: { "content-type": "application/json" } }],
      ["truncated JSON", { body: `{"a": {"b": [1, 2`, headers: { "content-type": "application/json" } }],
      ["an empty body", { body: "", headers: { "content-type": "application/json" } }],
      ["plain text", { body: "ok", headers: { "content-type": "text/plain" } }]
    ] as const)("%s is a transient DecodeFailure, retried", ([, answer]) =>
      Effect.gen(function*() {
        const { api, sent } = yield* setup(() => answer)
        const error = failure(yield* settle(api.json({ path: ["x"] }, Nested)))
        expect(error._tag).toBe("DecodeFailure")
        expect(error._tag === "DecodeFailure" && error.path).toBe("$")
        expect(error._tag === "DecodeFailure" && error.transient).toBe(true)
        expect(error.message).toContain("from GET /v1/x")
        expect(error.message).not.toMatch(/[\r\n]/)
        expect(yield* sent).toHaveLength(3)
      }))

    it.effect("a cut body followed by a whole one succeeds", () =>
      Effect.gen(function*() {
        const { api, sent } = yield* setup((_, n) => (n === 0 ? { body: `{"ok":`, headers: { "content-type": "application/json" } } : json({ ok: true })))
        expect(yield* settle(api.json({ path: ["x"] }, Ok))).toEqual(Either.right({ ok: true }))
        expect(yield* sent).toHaveLength(2)
      }))
  })

  describe("body size limit", () => {
    it.effect("refuses a body whose declared length is over the limit without reading it", () =>
      Effect.gen(function*() {
        const pulls = { count: 0 }
        const { api } = yield* setup(
          () => ({ body: endless(pulls, 100), headers: { "content-type": "application/json", "content-length": "5000" } }),
          { maxBodyBytes: 1000, retry: { times: 0 } }
        )
        const error = failure(yield* settle(api.json({ path: ["x"] }, Ok)))
        expect(error._tag).toBe("DecodeFailure")
        expect(error.message).toContain("5000")
        expect(error.message).toContain("1000")
        expect(pulls.count).toBeLessThanOrEqual(1)
      }))

    it.effect("stops reading a streamed body once it passes the limit", () =>
      Effect.gen(function*() {
        const pulls = { count: 0 }
        const { api } = yield* setup(() => ({ body: endless(pulls, 100) }), { maxBodyBytes: 1000, retry: { times: 0 } })
        const error = failure(yield* settle(bodyOf(api, { path: ["x"] })))
        expect(error._tag).toBe("DecodeFailure")
        expect(error.message).toContain("1000-byte limit")
        expect(pulls.count).toBeGreaterThan(10)
        expect(pulls.count).toBeLessThan(40)
      }))

    it.effect("a body over the limit is permanent: not fetched again, whatever the retry budget", () =>
      Effect.gen(function*() {
        const pulls = { count: 0 }
        const declared = yield* setup(
          () => ({ body: endless(pulls, 100), headers: { "content-type": "application/json", "content-length": "5000" } }),
          { maxBodyBytes: 1000, retry: { times: 5 } }
        )
        const first = failure(yield* settle(declared.api.json({ path: ["x"] }, Ok)))
        expect(first._tag === "DecodeFailure" && ProviderError.isRetryable(first)).toBe(false)
        expect(yield* declared.sent).toHaveLength(1)
        const streamed = yield* setup(() => ({ body: endless(pulls, 100) }), { maxBodyBytes: 1000, retry: { times: 5 } })
        const second = failure(yield* settle(bodyOf(streamed.api, { path: ["x"] })))
        expect(second._tag === "DecodeFailure" && ProviderError.isRetryable(second)).toBe(false)
        expect(yield* streamed.sent).toHaveLength(1)
      }))

    it.effect("takes a body of exactly the limit", () =>
      Effect.gen(function*() {
        const { api } = yield* setup(() => ({ body: streamOf(10, 100) }), { maxBodyBytes: 1000 })
        expect((yield* bodyOf(api, { path: ["x"] })).bytes.length).toBe(1000)
      }))
  })

  describe("timeouts", () => {
    it.effect("an answer that never comes is Unavailable after the timeout", () =>
      Effect.gen(function*() {
        const { api, sent } = yield* setup(() => Effect.never, { timeout: "5 seconds", retry: { times: 0 } })
        const fiber = yield* Effect.fork(Effect.either(api.json({ path: ["x"], run: "r-1" }, Ok)))
        yield* TestClock.adjust("4999 millis")
        expect(Option.isNone(yield* Fiber.poll(fiber))).toBe(true)
        yield* TestClock.adjust("1 millis")
        const error = failure(yield* Fiber.join(fiber))
        expect(error._tag).toBe("Unavailable")
        expect(error.message).toContain("5s")
        expect(error.run).toBe("r-1")
        expect(yield* sent).toHaveLength(1)
      }))

    it.effect("a body that stalls times out too", () =>
      Effect.gen(function*() {
        const { api } = yield* setup(() => ({ body: stalled() }), { timeout: "2 seconds", retry: { times: 0 } })
        const fiber = yield* Effect.fork(Effect.either(bodyOf(api, { path: ["x"] })))
        yield* TestClock.adjust("2 seconds")
        const error = failure(yield* Fiber.join(fiber))
        expect(error._tag).toBe("Unavailable")
      }))

    it.effect("each attempt has its own timeout", () =>
      Effect.gen(function*() {
        const { api, sent } = yield* setup((_, n) => (n === 0 ? Effect.never : json({ ok: true })), {
          timeout: "5 seconds"
        })
        expect(yield* settle(api.json({ path: ["x"] }, Ok))).toEqual(Either.right({ ok: true }))
        expect(yield* sent).toHaveLength(2)
      }))
  })

  describe("rate budget", () => {
    const BUDGET = { limit: 2, window: Duration.seconds(10) }
    const WINDOW = 10_000 + Duration.toMillis(RateBudget.SLACK)

    it.effect("every request takes from the credential's budget", () =>
      Effect.gen(function*() {
        const { api, sent } = yield* setup(() => json({ ok: true }), { budget: BUDGET })
        const fiber = yield* Effect.fork(
          Effect.all([1, 2, 3].map(() => api.json({ path: ["x"] }, Ok)), { concurrency: "unbounded" })
        )
        yield* TestClock.adjust("1 minutes")
        yield* Fiber.join(fiber)
        expect((yield* sent).map((s) => s.at)).toEqual([0, 0, WINDOW])
      }))

    it.effect("waiting for the budget is never inside the timeout: an export waits as long as its budget requires", () =>
      Effect.gen(function*() {
        const { api, sent } = yield* setup(() => json({ ok: true }), {
          budget: { limit: 1, window: Duration.minutes(5) },
          timeout: "2 seconds",
          retry: { times: 0 }
        })
        const fiber = yield* Effect.fork(
          Effect.all([1, 2, 3].map(() => api.json({ path: ["x"] }, Ok)), { concurrency: "unbounded" })
        )
        yield* TestClock.adjust("20 minutes")
        expect(yield* Fiber.join(fiber)).toEqual([{ ok: true }, { ok: true }, { ok: true }])
        expect((yield* sent).map((s) => s.at)).toEqual([0, 300_010, 600_020])
      }))

    it.effect("two clients on one credential share one budget; another credential has its own", () =>
      Effect.gen(function*() {
        const budgets = RateBudget.layer()
        const shared = yield* Effect.gen(function*() {
          const { client, sent } = yield* fakeClient(() => json({ ok: true }))
          const make = (options: Partial<ProviderClient.Options>) =>
            ProviderClient.make({ ...baseOptions, budget: BUDGET, ...options }).pipe(
              Effect.provideService(HttpClient.HttpClient, client)
            )
          const a = yield* make({})
          const b = yield* make({ baseUrl: "https://api.example.com/other" }) // same host, same token
          const c = yield* make({ headers: { authorization: Redacted.make("Bearer another-token") } })
          const fiber = yield* Effect.fork(
            Effect.all([a, b, a, b, c, c].map((api) => api.json({ path: ["x"] }, Ok)), { concurrency: "unbounded" })
          )
          yield* TestClock.adjust("1 minutes")
          yield* Fiber.join(fiber)
          return yield* sent
        }).pipe(Effect.provide(budgets), Effect.scoped)
        const tokenOf = (s: Sent) => s.headers["authorization"]
        const first = shared.filter((s) => tokenOf(s) === `Bearer ${SECRET}`).map((s) => s.at)
        const other = shared.filter((s) => tokenOf(s) === "Bearer another-token").map((s) => s.at)
        expect(first).toEqual([0, 0, WINDOW, WINDOW])
        expect(other).toEqual([0, 0])
      }))

    it.effect("a 429 pauses every request on the credential for its Retry-After", () =>
      Effect.gen(function*() {
        const { api, sent } = yield* setup((_, n) => (n === 0 ? json({ message: "slow" }, 429, { "retry-after": "7" }) : json({ ok: true })))
        const call = yield* Effect.fork(api.json({ path: ["x"] }, Ok))
        yield* TestClock.adjust("0 millis")
        const other = yield* Effect.fork(api.json({ path: ["y"] }, Ok))
        yield* TestClock.adjust("6999 millis")
        expect(Option.isNone(yield* Fiber.poll(other))).toBe(true)
        expect(yield* sent).toHaveLength(1)
        yield* TestClock.adjust("1 millis")
        expect(yield* Fiber.join(call)).toEqual({ ok: true })
        expect(yield* Fiber.join(other)).toEqual({ ok: true })
        expect((yield* sent).map((s) => s.at)).toEqual([0, 7000, 7000])
        const status = yield* api.budget.status
        expect(status.pausedMillis).toBe(7000)
        expect(status.waitedMillis).toBe(7000)
      }))

    it.effect("a 429 is not a retry: with no retries left, a request answered 429 still succeeds after the pause; each 429 is counted", () =>
      Effect.gen(function*() {
        const { api, sent } = yield* setup(
          (_, n) => (n < 5 ? json({ message: "slow" }, 429, { "retry-after": "5" }) : json({ ok: true })),
          { retry: { times: 0 } }
        )
        const before = (yield* Metric.value(Metrics.rateLimited)).count
        expect(yield* settle(api.json({ path: ["x"] }, Ok))).toEqual(Either.right({ ok: true }))
        expect((yield* sent).map((s) => s.at)).toEqual([0, 5000, 10_000, 15_000, 20_000, 25_000])
        // each 429 counted (what serve's /metrics shows)
        expect((yield* Metric.value(Metrics.rateLimited)).count - before).toBe(5)
      }))

    it.effect("without Retry-After, consecutive 429s pause 1 s, 2 s, 4 s ...", () =>
      Effect.gen(function*() {
        const { api, sent } = yield* setup((_, n) => (n < 4 ? json({ message: "slow" }, 429) : json({ ok: true })))
        expect(yield* settle(api.json({ path: ["x"] }, Ok))).toEqual(Either.right({ ok: true }))
        expect((yield* sent).map((s) => s.at)).toEqual([0, 1000, 3000, 7000, 15_000])
      }))

    it.effect("a request answered 429 for longer than the patience fails RateLimited (exit 5)", () =>
      Effect.gen(function*() {
        const { api, sent } = yield* setup(() => json({ message: "blocked" }, 429, { "retry-after": "60" }), {
          retry: { rateLimitPatience: "3 minutes" }
        })
        const error = failure(yield* settle(api.json({ path: ["x"], run: "r" }, Ok)))
        expect(error._tag).toBe("RateLimited")
        expect(ProviderError.exitCode(error)).toBe(5)
        expect((yield* sent).map((s) => s.at)).toEqual([0, 60_000, 120_000, 180_000])
      }))
  })

  describe("verbose", () => {
    it.effect("logs nothing per request where debug logs are off when the client is made", () =>
      Effect.gen(function*() {
        const lines = yield* Ref.make<ReadonlyArray<string>>([])
        const logger = Logger.make(({ message }) => {
          Effect.runSync(Ref.update(lines, (all) => [...all, String(message)]))
        })
        const { api } = yield* setup(() => json({ ok: true }))
        yield* api.json({ path: ["x"] }, Ok).pipe(
          Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
          Logger.withMinimumLogLevel(LogLevel.Debug)
        )
        expect(yield* Ref.get(lines)).toEqual([])
      }))

    it.effect("logs one debug line per request: method, path, status, milliseconds", () =>
      Effect.gen(function*() {
        const lines = yield* Ref.make<ReadonlyArray<string>>([])
        const logger = Logger.make(({ message }) => {
          Effect.runSync(Ref.update(lines, (all) => [...all, String(Array.isArray(message) ? message.join(" ") : message)]))
        })
        // the client is made where debug logs are on, as `--verbose` does for the whole export
        yield* Effect.gen(function*() {
          const { api } = yield* setup((_, n) => (n === 0 ? json({ message: "down" }, 503) : json({ ok: true })))
          yield* settle(api.json({ path: ["runs", "r-1"], query: { per_page: 2 }, run: "r-1" }, Ok))
        }).pipe(
          Effect.provide(Logger.replace(Logger.defaultLogger, logger)),
          Logger.withMinimumLogLevel(LogLevel.Debug)
        )
        const logged = yield* Ref.get(lines)
        expect(logged).toHaveLength(3)
        expect(logged[0]).toMatch(/^GET \/v1\/runs\/r-1\?per_page=2 503 \d+ms$/)
        expect(logged[1]).toBe("retrying: acme: unavailable (HTTP 503): down (run r-1)")
        expect(logged[2]).toMatch(/^GET \/v1\/runs\/r-1\?per_page=2 200 \d+ms$/)
        expect(logged.join("\n")).not.toContain(SECRET)
      }))
  })

  describe("errors", () => {
    it.effect("name the run of the request", () =>
      Effect.gen(function*() {
        for (const answer of [json({ message: "gone" }, 404), json({ message: "down" }, 503), json({ nope: 1 })]) {
          const { api } = yield* setup(() => answer)
          const error = failure(yield* settle(api.json({ path: ["runs", "run-42"], run: "run-42" }, Ok)))
          expect(error.run).toBe("run-42")
          expect(error.message).toContain("run-42")
        }
        const { api } = yield* setup(() => json({ message: "down" }, 503))
        const viaBody = failure(yield* settle(bodyOf(api, { path: ["x"], run: "run-43" })))
        expect(viaBody.run).toBe("run-43")
        expect(viaBody.message).toContain("(run run-43)")
      }))

    it.effect("never carry a secret, even one the server echoes", () =>
      Effect.gen(function*() {
        const echo = `invalid token: Bearer ${SECRET}`
        const answers: ReadonlyArray<Responder> = [
          () => json({ message: echo }, 401),
          () => json({ message: echo }, 403),
          () => json({ message: echo, field: `authorization=${SECRET}` }, 422),
          () => json({ message: echo }, 500),
          () => json({ message: echo }, 429),
          () => json({ message: echo }, 426),
          () => ({ status: 400, body: `<html>${SECRET}</html>`, headers: { "content-type": "text/html" } }),
          () => ({ body: `token ${SECRET}`, headers: { "content-type": "application/json" } }),
          () => ({ body: SECRET, headers: { "content-type": `text/${SECRET}` } }),
          () => json({ ok: SECRET }),
          (request) =>
            Effect.fail(new HttpClientError.RequestError({ request, reason: "Transport", cause: new Error(`refused ${SECRET}`) })),
          () => Effect.never
        ]
        for (const respond of answers) {
          const { api } = yield* setup(respond, { timeout: "1 seconds" })
          const error = failure(yield* settle(api.json({ path: ["x"], run: "r" }, Ok)))
          expect(error.message).not.toContain(SECRET)
          expect(JSON.stringify(error)).not.toContain(SECRET)
          expect(String(error)).not.toContain(SECRET)
        }
      }))

    it.effect("a client without secrets leaves details alone", () =>
      Effect.gen(function*() {
        const { api } = yield* setup(() => json({ message: "Bearer abc" }, 401), { headers: { "x-plain": "abc" } })
        const error = failure(yield* settle(api.json({ path: ["x"] }, Ok)))
        expect(error.message).toContain("Bearer abc")
      }))
  })

  it.effect("interrupting a call interrupts its request", () =>
    Effect.gen(function*() {
      const { api } = yield* setup(() => Effect.never)
      const fiber = yield* Effect.fork(api.json({ path: ["x"] }, Ok))
      yield* TestClock.adjust("1 seconds")
      const exit = yield* Fiber.interrupt(fiber)
      expect(Exit.isInterrupted(exit)).toBe(true)
    }))
})

/** `count` chunks of `size` bytes. */
function streamOf(count: number, size: number): ReadableStream<Uint8Array> {
  let sent = 0
  return new ReadableStream({
    pull(controller) {
      if (sent++ < count) controller.enqueue(new Uint8Array(size).fill(0x20))
      else controller.close()
    }
  })
}

/**
 * Chunks of `size` bytes, each pull counted: endless for a reader that respects a limit (it
 * closes after 2,000 pulls so that a reader that does not fails the test instead of hanging it).
 */
function endless(pulls: { count: number }, size: number): ReadableStream<Uint8Array> {
  return new ReadableStream(
    {
      pull(controller) {
        if (++pulls.count > 2000) return controller.close()
        controller.enqueue(new Uint8Array(size).fill(0x61))
      }
    },
    { highWaterMark: 0 }
  )
}

/** A body that never sends a byte. */
function stalled(): ReadableStream<Uint8Array> {
  return new ReadableStream({ pull: () => new Promise(() => {}) })
}
