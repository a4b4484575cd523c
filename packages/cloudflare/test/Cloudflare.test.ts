import { describe, expect, it } from "@effect/vitest"
import { ProviderError, RateBudget, StepRecord, WorkflowProvider } from "@steptrail/core"
import { Chunk, ConfigProvider, Context, Effect, Either, Fiber, Layer, Redacted, Schema, Stream, TestClock } from "effect"
import * as Cloudflare from "../src/Cloudflare.js"
import * as CloudflareApi from "../src/CloudflareApi.js"
import { ACCOUNT, BASE, envelope, failure, fake, type Handler, json, PREFIX } from "./fixtures/fake.js"
import { seed000StepBody } from "./fixtures/seeds.js"

const token = Redacted.make("secret-token")
const config: Cloudflare.Config = { accountId: ACCOUNT, apiToken: token, baseUrl: BASE }

const withProvider = <A, E>(
  handler: Handler,
  use: (provider: WorkflowProvider.Service) => Effect.Effect<A, E>,
  overrides: Partial<Cloudflare.Config> = {}
) =>
  Effect.gen(function*() {
    const http = yield* fake(handler)
    const result = yield* Cloudflare.make({ ...config, ...overrides }).pipe(
      Effect.flatMap(use),
      Effect.provide(http.layer),
      Effect.provide(RateBudget.layer()),
      Effect.scoped,
      Effect.either
    )
    return { result, seen: yield* http.seen }
  })

/** One run by id, as export and follow look runs up. */
const lookupOne = (provider: WorkflowProvider.Service, workflow: string, id: string) =>
  Effect.map(provider.lookup(workflow, [id]), (runs) => {
    expect(runs.map((r) => r.id)).toEqual([id])
    return runs[0]!
  })

const collect = <A, E>(stream: Stream.Stream<A, E>) => Stream.runCollect(stream).pipe(Effect.map(Chunk.toReadonlyArray))

const item = (id: string, status = "complete", created = "2024-05-01T10:00:00.000Z") => ({
  id,
  status,
  created_on: created,
  modified_on: created,
  ended_on: null,
  workflow_id: "w",
  version_id: "v"
})

const ref = (id: string, status = "complete"): WorkflowProvider.RunRef => ({
  provider: "cloudflare",
  account: ACCOUNT,
  workflow: "wf",
  id,
  status: "complete",
  providerStatus: status,
  terminal: true,
  createdAt: null,
  updatedAt: null
})

const T0 = "2024-05-01T10:00:00.000Z"
const T1 = "2024-05-01T10:00:01.000Z"
const doStep = (name: string, output: string | null, over: Record<string, unknown> = {}) => ({
  type: "step",
  name,
  start: T0,
  end: T1,
  success: true,
  output,
  attempts: [{ start: T0, end: T1, success: true, error: null }],
  config: { retries: { delay: "1 second", limit: 3, backoff: "constant" }, timeout: "1 minute" },
  ...over
})
const instance = (steps: ReadonlyArray<unknown>, status = "complete") =>
  envelope({ status, queued: T0, start: T0, end: T1, step_count: steps.length, steps, trigger: { source: "api" } })

const isRecord = Schema.is(StepRecord.StepRecord)
const pathOf = (url: URL) => url.pathname.slice(PREFIX.length)

describe("Cloudflare provider", () => {
  describe("runs", () => {
    it.effect("follows the cursor across every page, once each", () =>
      Effect.gen(function*() {
        const pages: Record<string, { items: Array<unknown>; next?: string }> = {
          "": { items: [item("a"), item("b")], next: "c1" },
          c1: { items: [item("c")], next: "c2" },
          c2: { items: [item("d")] }
        }
        const { result, seen } = yield* withProvider(
          (url) => {
            const page = pages[url.searchParams.get("cursor") ?? ""]!
            return json(envelope(page.items, { count: page.items.length, per_page: 100, total_count: 4, cursor: page.next }))
          },
          (p) => collect(p.runs("wf"))
        )
        const runs = Either.getOrThrow(result)
        expect(runs.map((r) => r.id)).toEqual(["a", "b", "c", "d"])
        expect(runs[0]).toEqual({
          provider: "cloudflare",
          account: ACCOUNT,
          workflow: "wf",
          id: "a",
          status: "complete",
          providerStatus: "complete",
          terminal: true,
          createdAt: "2024-05-01T10:00:00.000Z",
          updatedAt: "2024-05-01T10:00:00.000Z",
          version: "complete@2024-05-01T10:00:00.000Z"
        })
        expect(seen).toHaveLength(3)
        expect(seen.map((s) => s.url.searchParams.get("cursor"))).toEqual([null, "c1", "c2"])
        for (const s of seen) {
          expect(pathOf(s.url)).toBe("/wf/instances")
          expect(s.url.searchParams.get("per_page")).toBe("100")
          expect(s.headers["authorization"]).toBe("Bearer secret-token")
        }
      }))

    it.effect("goes on past empty pages that carry a cursor, to the page without one", () =>
      Effect.gen(function*() {
        const pages: Record<string, { items: Array<unknown>; next?: string }> = {
          "": { items: [item("a")], next: "c1" },
          c1: { items: [], next: "c2" },
          c2: { items: [], next: "c3" },
          c3: { items: [item("b")] }
        }
        const { result, seen } = yield* withProvider(
          (url) => {
            const page = pages[url.searchParams.get("cursor") ?? ""]!
            return json(envelope(page.items, { count: page.items.length, per_page: 100, total_count: 2, cursor: page.next }))
          },
          (p) => collect(p.runs("wf"))
        )
        expect(Either.getOrThrow(result).map((r) => r.id)).toEqual(["a", "b"])
        expect(seen.map((s) => s.url.searchParams.get("cursor"))).toEqual([null, "c1", "c2", "c3"])
      }))

    it.effect("sends one status, since and until to the server, and filters on the client too", () =>
      Effect.gen(function*() {
        const since = new Date("2024-05-01T00:00:00Z")
        const until = new Date("2024-05-02T00:00:00Z")
        const { result, seen } = yield* withProvider(
          () =>
            json(envelope([
              item("in", "errored", "2024-05-01T12:00:00Z"),
              item("early", "errored", "2024-04-30T12:00:00Z"),
              item("at-until", "errored", "2024-05-02T00:00:00Z"),
              item("other-status", "complete", "2024-05-01T12:00:00Z")
            ])),
          (p) => collect(p.runs("wf", { status: ["errored"], since, until }))
        )
        expect(Either.getOrThrow(result).map((r) => r.id)).toEqual(["in"])
        const params = seen[0]!.url.searchParams
        expect(params.get("status")).toBe("errored")
        expect(params.get("date_start")).toBe("2024-05-01T00:00:00.000Z")
        expect(params.get("date_end")).toBe("2024-05-02T00:00:00.000Z")
      }))

    it.effect("filters several statuses on the client only", () =>
      Effect.gen(function*() {
        const { result, seen } = yield* withProvider(
          () => json(envelope([item("a", "errored"), item("b", "complete"), item("c", "terminated")])),
          (p) => collect(p.runs("wf", { status: ["errored", "terminated"] }))
        )
        expect(Either.getOrThrow(result).map((r) => r.id)).toEqual(["a", "c"])
        expect(seen[0]!.url.searchParams.has("status")).toBe(false)
        expect(seen[0]!.url.searchParams.has("date_start")).toBe(false)
      }))

    it.effect("a cursor that repeats ends the listing with an error", () =>
      Effect.gen(function*() {
        const { result } = yield* withProvider(
          () => json(envelope([item("a")], { cursor: "same" })),
          (p) => collect(p.runs("wf"))
        )
        expect(Either.isLeft(result) && result.left._tag).toBe("DecodeFailure")
      }))

    it.effect("empty pages whose cursor repeats end with a DecodeFailure naming the workflow and the cursor (exit 1)", () =>
      Effect.gen(function*() {
        const { result, seen } = yield* withProvider(
          (url) => json(envelope(url.searchParams.get("cursor") === null ? [item("a")] : [], { cursor: "same" })),
          (p) => collect(p.runs("wf"))
        )
        const error = Either.flip(result).pipe(Either.getOrThrow)
        expect(error._tag).toBe("DecodeFailure")
        expect(error.message).toContain(`cursor "same" came back twice`)
        expect(error.message).toContain("(workflow wf)")
        expect(ProviderError.exitCode(error)).toBe(1)
        expect(seen).toHaveLength(2)
      }))
  })

  describe("errors", () => {
    it.effect("401 is Unauthorized with Cloudflare's message, not retried", () =>
      Effect.gen(function*() {
        const { result, seen } = yield* withProvider(
          () => failure(401, 10000, "Authentication error"),
          (p) => collect(p.runs("wf"))
        )
        if (Either.isRight(result)) throw new Error("expected a failure")
        expect(result.left._tag).toBe("Unauthorized")
        expect(result.left.message).toBe("cloudflare: not authorized (HTTP 401): Authentication error [10000] (workflow wf)")
        expect(seen).toHaveLength(1)
      }))

    it.effect("404 on a run is NotFound naming the run", () =>
      Effect.gen(function*() {
        const { result, seen } = yield* withProvider(
          () => failure(404, 1101, "instance not found"),
          (p) => lookupOne(p, "wf", "missing")
        )
        if (Either.isRight(result)) throw new Error("expected a failure")
        expect(result.left._tag).toBe("NotFound")
        expect(result.left.run).toBe("missing")
        expect(result.left.message).toContain("instance not found [1101]")
        expect(seen[0]!.url.searchParams.get("simple")).toBe("true")
        expect(pathOf(seen[0]!.url)).toBe("/wf/instances/missing")
      }))

    it.effect("429 with Retry-After is waited out and retried", () =>
      Effect.gen(function*() {
        const fiber = yield* withProvider(
          (_, count) =>
            count === 0
              ? failure(429, 971, "Please wait and consider throttling your request speed", { "retry-after": "30" })
              : json(envelope({ status: "running", queued: T0, start: T0, end: null })),
          (p) => lookupOne(p, "wf", "i-1")
        ).pipe(Effect.fork)
        yield* TestClock.adjust("29 seconds")
        // Not yet: Retry-After is a floor.
        expect(fiber.unsafePoll()).toBeNull()
        yield* TestClock.adjust("2 seconds")
        const { result, seen } = yield* Fiber.join(fiber)
        expect(Either.getOrThrow(result).status).toBe("running")
        expect(seen).toHaveLength(2)
      }))

    it.effect("JSON of the wrong shape fails at once (exit 1), naming the endpoint and its path", () =>
      Effect.gen(function*() {
        const fiber = yield* withProvider(
          () => json(instance([{ type: "teleport" }])),
          (p) => p.steps(ref("i-1")),
          { retry: { times: 2 } }
        ).pipe(Effect.fork)
        yield* TestClock.adjust("1 minute")
        const { result, seen } = yield* Fiber.join(fiber)
        if (Either.isRight(result)) throw new Error("expected a failure")
        expect(result.left._tag).toBe("DecodeFailure")
        expect(result.left.message).toContain(`from GET ${PREFIX}/wf/instances/i-1 at $.result.steps[0].type`)
        expect(result.left.message).toMatch(/\(workflow wf, run i-1\)$/)
        expect(result.left.run).toBe("i-1")
        expect(ProviderError.exitCode(result.left)).toBe(1)
        expect(seen).toHaveLength(1)
      }))

    it.effect("a body that is not JSON is fetched again, like a cut connection", () =>
      Effect.gen(function*() {
        const fiber = yield* withProvider(
          (_, count) =>
            count === 0
              ? new Response("<html>bad gateway</html>", { headers: { "content-type": "text/html" } })
              : json(instance([doStep("a-1", "1")])),
          (p) => p.steps(ref("i-1")),
          { retry: { times: 2 } }
        ).pipe(Effect.fork)
        yield* TestClock.adjust("1 minute")
        const { result, seen } = yield* Fiber.join(fiber)
        expect(Either.getOrThrow(result).map((r) => r.output)).toEqual([1])
        expect(seen).toHaveLength(2)
      }))

    it.effect.each([
      ["a blank token", { apiToken: Redacted.make(" ") }],
      ["no token", { apiToken: undefined }],
      ["an email without a key", { apiToken: undefined, email: "me@example.com" }],
      ["a key without an email", { apiToken: undefined, apiKey: Redacted.make("k3y") }],
      ["a blank email and key", { apiToken: undefined, email: " ", apiKey: Redacted.make(" ") }]
    ] as const)("%s is Unauthorized when the provider is built, before any request", ([, overrides]) =>
      Effect.gen(function*() {
        // the service is never handed out: building it fails
        const { result, seen } = yield* withProvider(() => json({}), () => Effect.die(new Error("built")), overrides)
        if (Either.isRight(result)) throw new Error("expected a failure")
        expect(result.left._tag).toBe("Unauthorized")
        expect(result.left).not.toHaveProperty("status")
        expect(result.left.message).toBe(
          "cloudflare: not authorized: no credentials: set CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY"
        )
        expect(ProviderError.exitCode(result.left)).toBe(3)
        expect(seen).toHaveLength(0)
      }))

    it.effect("plain http to a host other than loopback is refused when built, unless allowInsecure", () =>
      Effect.gen(function*() {
        const baseUrl = "http://cf.internal/client/v4"
        const refused = yield* withProvider(() => json({}), () => Effect.die(new Error("built")), { baseUrl })
        if (Either.isRight(refused.result)) throw new Error("expected a failure")
        expect(refused.result.left).toMatchObject({ _tag: "InvalidRequest", field: "base_url" })
        expect(refused.result.left.message).toContain("--allow-insecure")
        expect(ProviderError.exitCode(refused.result.left)).toBe(2)
        expect(refused.seen).toHaveLength(0)
        const allowed = yield* withProvider(() => json(envelope({ status: "complete" })), (p) => lookupOne(p, "wf", "x"), {
          baseUrl,
          allowInsecure: true
        })
        expect(Either.isRight(allowed.result)).toBe(true)
        expect(allowed.seen[0]!.url.href).toBe(`http://cf.internal/client/v4/accounts/${ACCOUNT}/workflows/wf/instances/x?simple=true`)
        const loopback = yield* withProvider(() => json(envelope({ status: "complete" })), (p) => lookupOne(p, "wf", "x"), {
          baseUrl: "http://127.0.0.1:8787/cloudflare/client/v4"
        })
        expect(Either.isRight(loopback.result)).toBe(true)
      }))

    it.effect("a lookup of several ids: one request each, runs in the order asked, each once", () =>
      Effect.gen(function*() {
        const statuses: Record<string, string> = { a: "complete", b: "errored", c: "running" }
        const { result, seen } = yield* withProvider(
          (url) => json(envelope({ status: statuses[url.pathname.split("/").at(-1)!], queued: T0, start: T0, end: null })),
          (p) => p.lookup("wf", ["c", "a", "c", "b", "a"])
        )
        const runs = Either.getOrThrow(result)
        expect(runs.map((r) => [r.id, r.providerStatus, r.status])).toEqual([
          ["c", "running", "running"],
          ["a", "complete", "complete"],
          ["b", "errored", "errored"]
        ])
        expect(seen.map((s) => pathOf(s.url)).sort()).toEqual(["/wf/instances/a", "/wf/instances/b", "/wf/instances/c"])
      }))

    it.effect("email and global key are sent as X-Auth-Email and X-Auth-Key", () =>
      Effect.gen(function*() {
        const { seen } = yield* withProvider(
          () => json(envelope({ status: "complete" })),
          (p) => lookupOne(p, "wf", "x"),
          { apiToken: undefined, email: "me@example.com", apiKey: Redacted.make("k3y") }
        )
        expect(seen[0]!.headers["x-auth-email"]).toBe("me@example.com")
        expect(seen[0]!.headers["x-auth-key"]).toBe("k3y")
        expect(seen[0]!.headers["authorization"]).toBeUndefined()
      }))

    it.effect.each([
      ["an account id that is not 32 hex characters", { accountId: "not-an-account" }, "wf", "x"],
      ["an empty account id", { accountId: "" }, "wf", "x"],
      ["a workflow name of 65 characters", {}, "w".repeat(65), "x"],
      ["an empty workflow name", {}, "", "x"],
      ["an instance id of 101 characters", {}, "wf", "i".repeat(101)],
      ["an instance id with a control character", {}, "wf", "a\nb"],
      ["a workflow name with DEL", {}, "w\u007f", "x"],
      ["an instance id of ..", {}, "wf", ".."],
      ["a base URL that is not http", { baseUrl: "ftp://x" }, "wf", "x"],
      ["a base URL with credentials in it", { baseUrl: "https://user:pw@cf.test/client/v4" }, "wf", "x"]
    ] as const)("refuses %s before any request", ([, overrides, workflow, id]) =>
      Effect.gen(function*() {
        const { result, seen } = yield* withProvider(() => json({}), (p) => lookupOne(p, workflow, id), overrides)
        if (Either.isRight(result)) throw new Error("expected a failure")
        expect(result.left._tag).toBe("InvalidRequest")
        expect(result.left).not.toHaveProperty("status")
        expect(result.left.message).not.toMatch(/[\n\u007f]/)
        expect(seen).toHaveLength(0)
      }))

    it.effect("an id with a slash stays one path segment", () =>
      Effect.gen(function*() {
        const { seen } = yield* withProvider(() => json(envelope({ status: "complete" })), (p) => lookupOne(p, "wf", "a/../b"))
        expect(seen[0]!.url.pathname).toBe(`${PREFIX}/wf/instances/a%2F..%2Fb`)
      }))
  })

  describe("steps", () => {
    it.effect("maps the log in order and fetches /step only for previews", () =>
      Effect.gen(function*() {
        const steps = [
          doStep("small-1", "{\"n\":1}"),
          doStep("big-1", "{\"text\":\"aaaa[truncated output]"),
          doStep("secret-1", "[REDACTED]"),
          doStep("blob-1", "[ReadableStream (binary): 3 bytes]"),
          { type: "sleep", name: "nap-1", start: T0, end: T1, finished: true, error: null },
          {
            type: "waitForEvent",
            name: "approval-1",
            start: T0,
            end: T1,
            finished: true,
            error: null,
            output: "{\"ok\":[truncated output]"
          },
          { type: "termination", trigger: { source: "api" } }
        ]
        const { result, seen } = yield* withProvider(
          (url) => {
            const path = pathOf(url)
            if (path === "/wf/instances/i-1") return json(instance(steps, "terminated"))
            const name = url.searchParams.get("name")
            if (name === "big-1") return json(envelope({ status: "complete", error: null, output: { text: "aaaaaaaa" } }))
            if (name === "blob-1") {
              return new Response(new Uint8Array([1, 2, 255]), { headers: { "content-type": "application/octet-stream" } })
            }
            if (name === "approval-1") return json({ status: "complete", error: null, output: { ok: true } })
            return failure(404, 1, "no such step")
          },
          (p) => p.steps(ref("i-1", "terminated"), { fullOutput: true })
        )
        const records = Either.getOrThrow(result)
        expect(records.every(isRecord)).toBe(true)
        expect(records.map((r) => [r.step_index, r.name, r.kind])).toEqual([
          [0, "small-1", "step"],
          [1, "big-1", "step"],
          [2, "secret-1", "step"],
          [3, "blob-1", "step"],
          [4, "nap-1", "sleep"],
          [5, "approval-1", "wait_for_event"],
          [6, null, "termination"]
        ])
        expect(records[0]).toMatchObject({ output: { n: 1 }, provider_status: null, output_truncated: false })
        expect(records[1]).toMatchObject({ output: { text: "aaaaaaaa" }, provider_status: "complete", output_truncated: false })
        expect(records[2]).toMatchObject({ output: "[REDACTED]", output_redacted: true })
        expect(records[3]).toMatchObject({ output: "AQL/", output_encoding: "base64", output_truncated: false })
        expect(records[5]).toMatchObject({ output: { ok: true }, provider_status: "complete" })
        expect(records[6]).toMatchObject({ status: "cancelled", trigger: "api", run_status: "cancelled" })
        expect(records.every((r) => r.run_status === "cancelled")).toBe(true)

        expect(seen[0]!.url.searchParams.get("order")).toBe("asc")
        const stepCalls = seen.filter((s) => pathOf(s.url) === "/wf/instances/i-1/step")
        expect(stepCalls.map((s) => [s.url.searchParams.get("name"), s.url.searchParams.get("type")]).sort()).toEqual([
          ["approval-1", "waitForEvent"],
          ["big-1", "step"],
          ["blob-1", "step"]
        ])
        expect(seen).toHaveLength(4)
      }))

    it.effect("without fullOutput, previews are kept, marked truncated, and nothing else is fetched", () =>
      Effect.gen(function*() {
        const { result, seen } = yield* withProvider(
          () => json(instance([doStep("big-1", "abc[truncated output]"), doStep("none-1", null)])),
          (p) => p.steps(ref("i-1"))
        )
        const records = Either.getOrThrow(result)
        expect(records[0]).toMatchObject({ output: "abc[truncated output]", output_truncated: true })
        expect(records[1]).toMatchObject({ output: null, output_truncated: false })
        expect(seen).toHaveLength(1)
      }))

    it.effect("decodes the seed's enveloped /step body and an absent output is fetched with fullOutput", () =>
      Effect.gen(function*() {
        const { result } = yield* withProvider(
          (url) =>
            url.pathname.endsWith("/step")
              ? new Response(seed000StepBody, { headers: { "content-type": "application/json" } })
              : json(instance([{ ...doStep("none-1", null), output: undefined }])),
          (p) => p.steps(ref("i-1"), { fullOutput: true })
        )
        const records = Either.getOrThrow(result)
        expect(records[0]).toMatchObject({ output: {}, provider_status: "queued", output_truncated: false })
      }))

    it.effect("a flat /step body is read as flat even when it carries an undeclared `result` key", () =>
      Effect.gen(function*() {
        const { result } = yield* withProvider(
          (url) =>
            url.pathname.endsWith("/step")
              ? json({ status: "complete", output: { full: true }, result: { status: "nonsense" } })
              : json(instance([{ ...doStep("none-1", null), output: undefined }])),
          (p) => p.steps(ref("i-1"), { fullOutput: true })
        )
        expect(Either.getOrThrow(result)[0]).toMatchObject({ output: { full: true }, provider_status: "complete" })
      }))

    it.effect("a logged null output is the step's own result: never fetched", () =>
      Effect.gen(function*() {
        const { result, seen } = yield* withProvider(
          () => json(instance([doStep("none-1", null)])),
          (p) => p.steps(ref("i-1"), { fullOutput: true })
        )
        expect(Either.getOrThrow(result)[0]).toMatchObject({ output: null, output_truncated: false })
        expect(seen.filter((s) => s.url.pathname.endsWith("/step"))).toHaveLength(0)
      }))

    it.effect("a /step body that is neither JSON nor bytes is a DecodeFailure after retries", () =>
      Effect.gen(function*() {
        const fiber = yield* withProvider(
          (url) =>
            url.pathname.endsWith("/step")
              ? new Response("<html>", { headers: { "content-type": "text/html" } })
              : json(instance([doStep("big-1", "x[truncated output]")])),
          (p) => p.steps(ref("i-1"), { fullOutput: true }),
          { retry: { times: 1 } }
        ).pipe(Effect.fork)
        yield* TestClock.adjust("1 minute")
        const { result, seen } = yield* Fiber.join(fiber)
        if (Either.isRight(result)) throw new Error("expected a failure")
        expect(result.left._tag).toBe("DecodeFailure")
        expect(result.left.run).toBe("i-1")
        expect(seen.filter((s) => s.url.pathname.endsWith("/step"))).toHaveLength(2)
      }))

    it.effect("keeps log order while /step answers arrive out of order", () =>
      Effect.gen(function*() {
        const names = Array.from({ length: 12 }, (_, i) => `s-${i + 1}`)
        const { result } = yield* withProvider(
          (url) =>
            url.pathname.endsWith("/step")
              ? json({ status: "complete", error: null, output: url.searchParams.get("name") })
              : json(instance(names.map((n) => doStep(n, "[truncated output]")))),
          (p) => p.steps(ref("i-1"), { fullOutput: true })
        )
        expect(Either.getOrThrow(result).map((r) => r.output)).toEqual(names)
      }))

    it.effect("takes the run status from the instance's own answer", () =>
      Effect.gen(function*() {
        const { result } = yield* withProvider(
          () =>
            json(instance([doStep("a-1", null, { success: null, end: null, attempts: [{ start: T0, success: false, error: { name: "E", message: "m" } }] })], "running")),
          (p) => p.steps(ref("i-1", "queued"))
        )
        expect(Either.getOrThrow(result)[0]).toMatchObject({ status: "retrying", run_status: "running", error: { name: "E", message: "m" } })
      }))
  })

  describe("layerConfig", () => {
    const env = (map: Record<string, string>) => Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(map))))

    it.effect("reads the contract's variables", () =>
      Effect.gen(function*() {
        const resolved = yield* Cloudflare.resolveConfig().pipe(
          Effect.provide(env({
            CLOUDFLARE_API_TOKEN: "t0k",
            CLOUDFLARE_ACCOUNT_ID: ACCOUNT,
            CLOUDFLARE_BASE_URL: "http://sdk.test",
            CLOUDFLARE_EMAIL: "me@example.com"
          }))
        )
        expect(Redacted.value(resolved.apiToken!)).toBe("t0k")
        expect(resolved.accountId).toBe(ACCOUNT)
        expect(resolved.baseUrl).toBe("http://sdk.test")
      }))

    it.effect("prefers CLOUDFLARE_API_BASE_URL; none set falls back to the public API, the setting's default", () =>
      Effect.gen(function*() {
        const both = yield* Cloudflare.resolveConfig().pipe(
          Effect.provide(env({ CLOUDFLARE_API_BASE_URL: "http://wrangler.test", CLOUDFLARE_BASE_URL: "http://sdk.test" }))
        )
        expect(both.baseUrl).toBe("http://wrangler.test")
        const none = yield* Cloudflare.resolveConfig().pipe(Effect.provide(env({ CLOUDFLARE_API_BASE_URL: "" })))
        expect(none.baseUrl).toBe("https://api.cloudflare.com/client/v4")
      }))

    it.effect("explicit overrides win, credentials as a whole", () =>
      Effect.gen(function*() {
        const resolved = yield* Cloudflare.resolveConfig({
          accountId: "f".repeat(32),
          baseUrl: "http://flag.test",
          email: "flag@example.com",
          apiKey: Redacted.make("flagkey")
        }).pipe(Effect.provide(env({ CLOUDFLARE_API_TOKEN: "t0k", CLOUDFLARE_ACCOUNT_ID: ACCOUNT, CLOUDFLARE_BASE_URL: "http://sdk.test" })))
        expect(resolved.accountId).toBe("f".repeat(32))
        expect(resolved.baseUrl).toBe("http://flag.test")
        expect(resolved.apiToken).toBeUndefined()
        expect(resolved.email).toBe("flag@example.com")
      }))

    it.effect("no credentials in the environment is Unauthorized naming the variables", () =>
      Effect.gen(function*() {
        const { layer } = yield* fake(() => json({}))
        const error = yield* Effect.flip(
          Layer.build(Cloudflare.layerConfig()).pipe(
            Effect.scoped,
            Effect.provide(layer),
            Effect.provide(env({ CLOUDFLARE_ACCOUNT_ID: ACCOUNT, CLOUDFLARE_API_TOKEN: "", CLOUDFLARE_EMAIL: "me@example.com" }))
          )
        )
        expect(error._tag).toBe("Unauthorized")
        expect(error.message).toContain("CLOUDFLARE_API_TOKEN")
        expect(error.message).toContain("CLOUDFLARE_API_KEY")
      }))

    it.effect("no account id is InvalidRequest naming the variable", () =>
      Effect.gen(function*() {
        const { layer } = yield* fake(() => json({}))
        const error = yield* Effect.flip(
          Layer.build(Cloudflare.layerConfig()).pipe(
            Effect.scoped,
            Effect.provide(layer),
            Effect.provide(env({ CLOUDFLARE_API_TOKEN: "t" }))
          )
        )
        expect(error._tag).toBe("InvalidRequest")
        expect(error.message).toContain("CLOUDFLARE_ACCOUNT_ID")
      }))

    /** The provider `layerConfig` builds under `vars`, over a fake API answering one instance. */
    const built = (vars: Record<string, string>, overrides: Partial<Cloudflare.Config> = {}) =>
      Effect.gen(function*() {
        const http = yield* fake(() => json(envelope({ status: "complete", queued: T0, start: T0, end: T1 })))
        const layer = Cloudflare.layerConfig(overrides).pipe(
          Layer.provide(http.layer),
          Layer.provide(RateBudget.layer()),
          Layer.provide(env(vars))
        )
        const provider = yield* Effect.map(Layer.build(layer), Context.get(WorkflowProvider.WorkflowProvider))
        return { provider, seen: http.seen }
      })

    it.scoped("builds the provider from the environment through Effect Config", () =>
      Effect.gen(function*() {
        const { provider, seen } = yield* built({
          CLOUDFLARE_API_TOKEN: " t0k ",
          CLOUDFLARE_ACCOUNT_ID: ACCOUNT,
          CLOUDFLARE_API_BASE_URL: "https://env.test/client/v4"
        })
        expect(provider.provider).toBe("cloudflare")
        expect(provider.account).toBe(ACCOUNT)
        yield* lookupOne(provider, "wf", "i-1")
        const [request] = yield* seen
        expect(request!.url.href).toBe(`https://env.test/client/v4/accounts/${ACCOUNT}/workflows/wf/instances/i-1?simple=true`)
        expect(request!.headers["authorization"]).toBe("Bearer t0k")
      }))

    it.scoped("explicit values win over the environment when the layer is built", () =>
      Effect.gen(function*() {
        const other = "f".repeat(32)
        const { provider, seen } = yield* built(
          { CLOUDFLARE_API_TOKEN: "t0k", CLOUDFLARE_ACCOUNT_ID: ACCOUNT },
          { accountId: other, email: "flag@example.com", apiKey: Redacted.make("flagkey") }
        )
        expect(provider.account).toBe(other)
        yield* lookupOne(provider, "wf", "i-1")
        const [request] = yield* seen
        expect(request!.url.origin).toBe("https://api.cloudflare.com")
        expect(request!.url.pathname).toBe(`/client/v4/accounts/${other}/workflows/wf/instances/i-1`)
        expect(request!.headers["authorization"]).toBeUndefined()
        expect(request!.headers["x-auth-email"]).toBe("flag@example.com")
        expect(request!.headers["x-auth-key"]).toBe("flagkey")
      }))

    it.scoped("plain http from the environment is refused unless allowInsecure is passed", () =>
      Effect.gen(function*() {
        const vars = { CLOUDFLARE_API_TOKEN: "t0k", CLOUDFLARE_ACCOUNT_ID: ACCOUNT, CLOUDFLARE_BASE_URL: "http://sdk.test/v4" }
        const error = yield* Effect.flip(built(vars))
        expect(error).toMatchObject({ _tag: "InvalidRequest", field: "base_url" })
        const { provider, seen } = yield* built(vars, { allowInsecure: true })
        yield* lookupOne(provider, "wf", "i-1")
        expect((yield* seen)[0]!.url.origin).toBe("http://sdk.test")
      }))
  })

  describe("describe", () => {
    it("joins every Cloudflare error with its code", () => {
      expect(CloudflareApi.describe({
        status: 403,
        headers: {},
        body: JSON.stringify({ errors: [{ code: 10000, message: "Authentication error" }, { code: 9106, message: "Missing X-Auth-Key" }] })
      })).toEqual({ detail: "Authentication error [10000]; Missing X-Auth-Key [9106]" })
    })

    it("falls back to the status text", () => {
      expect(CloudflareApi.describe({ status: 502, headers: {}, body: "<html>bad gateway</html>" })).toEqual({
        detail: "Bad Gateway"
      })
      expect(CloudflareApi.describe({ status: 503, headers: {}, body: JSON.stringify({ errors: [] }) })).toEqual({
        detail: "Service Unavailable"
      })
      expect(CloudflareApi.describe({ status: 418, headers: {}, body: "" })).toEqual({ detail: "I'm a Teapot" })
      expect(CloudflareApi.describe({ status: 499, headers: {}, body: "{\"errors\":[{\"code\":1}]}" })).toEqual({
        detail: "HTTP 499"
      })
    })
  })
})
