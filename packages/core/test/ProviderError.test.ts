import { describe, expect, it } from "@effect/vitest"
import { Effect, Either, Schema } from "effect"
import * as ProviderError from "../src/ProviderError.js"

const provider = "cloudflare"

const samples = {
  Unauthorized: new ProviderError.Unauthorized({ provider, status: 403, detail: "token lacks Workflows Read" }),
  NotFound: new ProviderError.NotFound({ provider, status: 404, detail: "instance not found" }),
  RateLimited: new ProviderError.RateLimited({ provider, detail: "too many requests", retryAfterMs: 1500 }),
  Unavailable: new ProviderError.Unavailable({ provider, status: 503, detail: "service unavailable" }),
  InvalidRequest: new ProviderError.InvalidRequest({ provider, status: 422, detail: "bad value", field: "per_page" }),
  DecodeFailure: new ProviderError.DecodeFailure({ provider, path: "$.result[3].id", detail: "Expected string" }),
  UnexpectedResponse: new ProviderError.UnexpectedResponse({ provider, status: 426, detail: "client too old" })
} satisfies { [K in ProviderError.ProviderError["_tag"]]: Extract<ProviderError.ProviderError, { _tag: K }> }

const all: ReadonlyArray<ProviderError.ProviderError> = Object.values(samples)

describe("ProviderError", () => {
  it("messages are one line and name the provider", () => {
    for (const error of all) {
      expect(error.message).not.toMatch(/[\r\n]/)
      expect(error.message.startsWith(`${provider}: `)).toBe(true)
      expect(error.message).toContain(error.detail)
    }
  })

  it("messages stay one line even when a detail spans lines", () => {
    const error = new ProviderError.Unavailable({ provider, detail: "bad gateway\n<html>\r\n  <body>oops</body>" })
    expect(error.message).not.toMatch(/[\r\n]/)
    expect(error.message).toContain("bad gateway")
  })

  it("messages name the status and the field", () => {
    expect(samples.Unauthorized.message).toContain("HTTP 403")
    expect(samples.NotFound.message).toContain("HTTP 404")
    expect(samples.RateLimited.message).toContain("HTTP 429")
    expect(samples.RateLimited.message).toContain("retry after 2s")
    expect(samples.Unavailable.message).toContain("HTTP 503")
    expect(samples.InvalidRequest.message).toContain("HTTP 422")
    expect(samples.InvalidRequest.message).toContain("per_page")
    expect(samples.DecodeFailure.message).toContain("$.result[3].id")
    expect(samples.UnexpectedResponse.message).toContain("HTTP 426")
  })

  it("messages leave out what is absent", () => {
    const refused = new ProviderError.InvalidRequest({ provider, detail: "id is empty" })
    expect(refused.message).toBe("cloudflare: invalid request: id is empty")
    const transport = new ProviderError.Unavailable({ provider, detail: "ECONNREFUSED" })
    expect(transport.message).toBe("cloudflare: unavailable: ECONNREFUSED")
  })

  it("exitCode follows the contract", () => {
    expect(ProviderError.exitCode(samples.InvalidRequest)).toBe(2)
    expect(ProviderError.exitCode(samples.Unauthorized)).toBe(3)
    expect(ProviderError.exitCode(samples.NotFound)).toBe(4)
    expect(ProviderError.exitCode(samples.RateLimited)).toBe(5)
    expect(ProviderError.exitCode(samples.Unavailable)).toBe(5)
    expect(ProviderError.exitCode(samples.DecodeFailure)).toBe(1)
    expect(ProviderError.exitCode(samples.UnexpectedResponse)).toBe(1)
  })

  it("isRetryable holds for transient failures only", () => {
    expect(all.filter(ProviderError.isRetryable).map((e) => e._tag).sort()).toEqual(["RateLimited", "Unavailable"])
  })

  it("a DecodeFailure is retryable only when marked transient (a cut body), and exits 1", () => {
    const shape = new ProviderError.DecodeFailure({ provider, path: "$.id", detail: "Expected string" })
    expect(ProviderError.isRetryable(shape)).toBe(false)
    expect(ProviderError.exitCode(shape)).toBe(1)
    const cut = new ProviderError.DecodeFailure({ provider, path: "$", detail: "not JSON", transient: true })
    expect(ProviderError.isRetryable(cut)).toBe(true)
    expect(ProviderError.exitCode(cut)).toBe(1)
  })

  it("messages name the endpoint, the workflow and the run where known", () => {
    const error = new ProviderError.DecodeFailure({
      provider,
      path: "$.result[0].id",
      detail: "Expected string",
      endpoint: "GET /accounts/a/workflows/w/instances",
      workflow: "w",
      run: "r"
    })
    expect(error.message).toBe(
      "cloudflare: unexpected response from GET /accounts/a/workflows/w/instances at $.result[0].id: Expected string (workflow w, run r)"
    )
    const notFound = ProviderError.withContext(new ProviderError.NotFound({ provider, detail: "no such workflow" }), { workflow: "w" })
    expect(notFound.message).toBe("cloudflare: not found: no such workflow (workflow w)")
    expect(ProviderError.withContext(notFound, { workflow: "other", run: "r" }).message).toBe(
      "cloudflare: not found: no such workflow (workflow w, run r)"
    )
  })

  describe("withRun", () => {
    it("attaches the run and keeps the class, tag and fields", () => {
      for (const error of all) {
        const withRun = ProviderError.withRun(error, "run-42")
        expect(withRun._tag).toBe(error._tag)
        expect(withRun).toBeInstanceOf(error.constructor)
        expect(withRun).toBeInstanceOf(Error)
        expect(withRun.run).toBe("run-42")
        expect(withRun.provider).toBe(error.provider)
        expect(withRun.detail).toBe(error.detail)
        expect(withRun.message).toContain("(run run-42)")
        expect(withRun.message).not.toMatch(/[\r\n]/)
        expect(ProviderError.exitCode(withRun)).toBe(ProviderError.exitCode(error))
        // the original is left alone
        expect(error.run).toBeUndefined()
      }
    })

    it("keeps status-specific fields", () => {
      const e = ProviderError.withRun(samples.RateLimited, "r")
      expect(e.retryAfterMs).toBe(1500)
      const d = ProviderError.withRun(samples.DecodeFailure, "r")
      expect(d.path).toBe("$.result[3].id")
    })

    it("does not replace a run already named", () => {
      const inner = ProviderError.withRun(samples.NotFound, "inner")
      expect(ProviderError.withRun(inner, "outer").run).toBe("inner")
    })

    it.effect("the result is still caught by its tag", () =>
      Effect.gen(function*() {
        const caught = yield* Effect.fail(ProviderError.withRun(samples.NotFound, "run-7")).pipe(
          Effect.catchTag("NotFound", (e) => Effect.succeed(e.run))
        )
        expect(caught).toBe("run-7")
      }))
  })

  it("errors round-trip through the union Schema", () => {
    const encode = Schema.encodeSync(ProviderError.ProviderError)
    const decode = Schema.decodeUnknownEither(ProviderError.ProviderError)
    for (const error of all) {
      const decoded = decode(encode(ProviderError.withRun(error, "r")))
      expect(Either.isRight(decoded)).toBe(true)
      const value = Either.getOrThrow(decoded)
      expect(value._tag).toBe(error._tag)
      expect(value.run).toBe("r")
      expect(value.message).toBe(ProviderError.withRun(error, "r").message)
    }
  })
})
