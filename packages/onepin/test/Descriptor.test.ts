/**
 * The registry descriptor: what it says about Onepin, and that its `make` builds the provider
 * from resolved settings (a config file's or flags' values over the environment), loading the
 * implementation only then.
 */
import { describe, expect, it } from "@effect/vitest"
import { ProviderConfig, RateBudget } from "@steptrail/core"
import * as TestHttpClient from "@steptrail/core/TestHttpClient"
import { ConfigProvider, Effect, Redacted, Stream } from "effect"
import { vi } from "vitest"
import * as Descriptor from "../src/Descriptor.js"

const loads = vi.hoisted(() => ({ count: 0 }))

vi.mock("../src/Onepin.js", async (original) => {
  loads.count++
  return await original()
})

const workflow = "5a4f0c1e-2b3d-4e5f-8a9b-0c1d2e3f4a5b"
const page = { data: [], meta: { request_id: "r", timestamp: "2024-01-15T09:40:00Z" }, pagination: { limit: 100, total: 0 } }

describe("Onepin descriptor", () => {
  it("describes the provider", () => {
    const d = Descriptor.descriptor
    expect(d.name).toBe("onepin")
    expect(d.runIds).toEqual({ flag: "run", key: "runs" })
    expect(d.filters.status).toEqual({ values: Descriptor.STATUSES, multiple: true })
    expect(d.fullOutput).toBe(false)
    expect(d.budget).toBeUndefined()
    expect(d.settings.map((s) => [s.name, ProviderConfig.fileKey(s), s.env, s.secret === true])).toEqual([
      ["workspaceId", "workspace", ["ONEPIN_WORKSPACE_ID"], false],
      ["baseUrl", "base_url", ["ONEPIN_BASE_URL"], false],
      ["apiKey", undefined, ["ONEPIN_API_KEY"], true]
    ])
  })

  it.scoped("make loads the provider only when asked, and builds it from settings over the environment", () =>
    Effect.gen(function*() {
      expect(loads.count).toBe(0)
      // as the CLI does: a flag's workspace over the environment's key and base URL
      const values = yield* ProviderConfig.resolve("onepin", Descriptor.settings, { workspaceId: "flag-ws" }).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(
          new Map([["ONEPIN_API_KEY", "op_live_env"], ["ONEPIN_BASE_URL", "https://env.test/api/v1"], ["ONEPIN_WORKSPACE_ID", "env-ws"]])
        ))
      )
      const http = yield* TestHttpClient.make(() => TestHttpClient.json(200, page))
      const service = yield* Descriptor.descriptor.make(values, { retry: { times: 0 } }).pipe(
        Effect.provide(http.layer),
        Effect.provide(RateBudget.layer())
      )
      expect(loads.count).toBe(1)
      expect(service.provider).toBe("onepin")
      expect(service.account).toBe("flag-ws")
      yield* Stream.runDrain(service.runs(workflow))
      const [request] = yield* http.seen
      expect(request!.url.origin + request!.url.pathname).toBe(`https://env.test/api/v1/workflows/${workflow}/runs`)
      expect(request!.headers["authorization"]).toBe("Bearer op_live_env")
      expect(request!.headers["x-workspace-id"]).toBe("flag-ws")
    }))

  it.scoped("make refuses missing credentials and plain http, before any request", () =>
    Effect.gen(function*() {
      const http = yield* TestHttpClient.make(() => TestHttpClient.json(200, page))
      const make = (values: ProviderConfig.Values, allowInsecure?: boolean) =>
        Descriptor.descriptor.make(values, { allowInsecure }).pipe(Effect.provide(http.layer), Effect.provide(RateBudget.layer()))
      const missing = yield* Effect.flip(make({ workspaceId: "ws" }))
      expect(missing).toMatchObject({ _tag: "Unauthorized", detail: "no credentials: set ONEPIN_API_KEY" })
      const plain = { apiKey: Redacted.make("k"), baseUrl: "http://onepin.internal/api/v1" }
      expect(yield* Effect.flip(make(plain))).toMatchObject({ _tag: "InvalidRequest", field: "base_url" })
      yield* make(plain, true)
      expect(yield* http.seen).toHaveLength(0)
    }))
})
