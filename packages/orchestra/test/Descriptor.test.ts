/**
 * The registry descriptor: what it says about the provider, and that its `make` builds the
 * provider from resolved settings, loading the implementation only then.
 */
import { describe, expect, it } from "@effect/vitest"
import { ProviderConfig, RateBudget } from "@steptrail/core"
import * as TestHttpClient from "@steptrail/core/TestHttpClient"
import { ConfigProvider, Effect, Redacted, Stream } from "effect"
import { vi } from "vitest"
import * as Descriptor from "../src/Descriptor.js"

const loads = vi.hoisted(() => ({ count: 0 }))

vi.mock("../src/Orchestra.js", async (original) => {
  loads.count++
  return await original()
})

const build = (values: ProviderConfig.Values, connection = {}) =>
  Effect.gen(function*() {
    const http = yield* TestHttpClient.make(() => TestHttpClient.json(200, []))
    const service = yield* Descriptor.descriptor.make(values, connection).pipe(
      Effect.provide(http.layer),
      Effect.provide(RateBudget.layer())
    )
    return { service, seen: http.seen }
  })

describe("Orchestra descriptor", () => {
  it("describes the provider", () => {
    const d = Descriptor.descriptor
    expect(d.name).toBe("orchestra")
    expect(d.runIds).toEqual({ flag: "run", key: "runs" })
    expect(d.fullOutput).toBe(false)
    expect(d.budget).toBeUndefined()
    expect(d.settings.map((s) => [s.name, s.env, s.secret === true])).toEqual([
      ["baseUrl", ["ORCHESTRA_BASE_URL"], false],
      ["apiKey", ["ORCHESTRA_API_KEY"], true]
    ])
    expect(d.settings.map(ProviderConfig.fileKey)).toEqual(["base_url", undefined])
  })

  it.scoped("make loads the provider only when asked, and builds it from resolved settings", () =>
    Effect.gen(function*() {
      expect(loads.count).toBe(0)
      const values = yield* ProviderConfig.resolve("orchestra", Descriptor.settings).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(
          new Map([["ORCHESTRA_API_KEY", "env-key"], ["ORCHESTRA_BASE_URL", "https://env.test/o"]])
        ))
      )
      const { seen, service } = yield* build(values)
      expect(loads.count).toBe(1)
      expect(service.provider).toBe("orchestra")
      expect(service.account).toBeNull()
      yield* Stream.runDrain(service.runs("wf"))
      const [request] = yield* seen
      expect(request!.url.href).toBe("https://env.test/o/workflows/wf/runs?limit=100&offset=0")
      expect(request!.headers["authorization"]).toBe("Bearer env-key")
    }))

  it.scoped("make refuses missing credentials and plain http, before any request", () =>
    Effect.gen(function*() {
      const missing = yield* Effect.flip(build({ baseUrl: "https://env.test/o" }))
      expect(missing).toMatchObject({ _tag: "Unauthorized", detail: "no credentials: set ORCHESTRA_API_KEY" })
      const insecure = yield* Effect.flip(build({ apiKey: Redacted.make("k"), baseUrl: "http://env.test/o" }))
      expect(insecure).toMatchObject({ _tag: "InvalidRequest", field: "base_url" })
      const allowed = yield* build({ apiKey: Redacted.make("k"), baseUrl: "http://env.test/o" }, { allowInsecure: true })
      yield* Stream.runDrain(allowed.service.runs("wf"))
      expect((yield* allowed.seen)[0]!.url.origin).toBe("http://env.test")
    }))
})
