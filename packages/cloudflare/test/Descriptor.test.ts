/**
 * The registry descriptor: what it says about Cloudflare Workflows, and that its `make` builds
 * the provider from resolved settings, loading the implementation only then.
 */
import { describe, expect, it } from "@effect/vitest"
import { ProviderConfig, RateBudget } from "@steptrail/core"
import { ConfigProvider, Duration, Effect, Redacted } from "effect"
import { vi } from "vitest"
import * as Descriptor from "../src/Descriptor.js"
import { ACCOUNT, envelope, fake, json } from "./fixtures/fake.js"

const loads = vi.hoisted(() => ({ count: 0 }))

vi.mock("../src/Cloudflare.js", async (original) => {
  loads.count++
  return await original()
})

const summary = () => json(envelope({ status: "errored", queued: "2024-05-01T10:00:00Z", start: null, end: null }))

describe("Cloudflare descriptor", () => {
  it("describes the provider and its budget", () => {
    const d = Descriptor.descriptor
    expect(d.name).toBe("cloudflare")
    expect(d.runIds).toEqual({ flag: "instance", key: "instances" })
    expect(d.filters.status?.multiple).toBe(false)
    expect(d.fullOutput).toBe(true)
    expect(RateBudget.format(d.budget)).toBe("1200/5m")
    expect(d.settings.map((s) => [s.name, ProviderConfig.fileKey(s), s.env, s.credential, s.group])).toEqual([
      ["accountId", "account_id", ["CLOUDFLARE_ACCOUNT_ID"], undefined, undefined],
      ["baseUrl", "base_url", ["CLOUDFLARE_API_BASE_URL", "CLOUDFLARE_BASE_URL"], undefined, undefined],
      ["apiToken", undefined, ["CLOUDFLARE_API_TOKEN"], "token_env", "credentials"],
      ["email", undefined, ["CLOUDFLARE_EMAIL"], "email_env", "credentials"],
      ["apiKey", undefined, ["CLOUDFLARE_API_KEY"], "key_env", "credentials"]
    ])
  })

  it.scoped("make loads the provider only when asked, and builds it from settings over the environment", () =>
    Effect.gen(function*() {
      expect(loads.count).toBe(0)
      // a config file's email and key replace the environment's token as a whole
      const values = yield* ProviderConfig.resolve("cloudflare", Descriptor.settings, {
        email: "file@example.com",
        apiKey: Redacted.make("file-key")
      }).pipe(
        Effect.withConfigProvider(ConfigProvider.fromMap(
          new Map([
            ["CLOUDFLARE_API_TOKEN", "env-token"],
            ["CLOUDFLARE_ACCOUNT_ID", ACCOUNT],
            ["CLOUDFLARE_API_BASE_URL", "https://env.test/client/v4"]
          ])
        ))
      )
      const http = yield* fake(summary)
      const budget = { limit: 5, window: Duration.seconds(1) }
      const provider = yield* Descriptor.descriptor.make(values, { budget }).pipe(
        Effect.provide(http.layer),
        Effect.provide(RateBudget.layer())
      )
      expect(loads.count).toBe(1)
      expect(provider).toMatchObject({ provider: "cloudflare", account: ACCOUNT })
      const [run] = yield* provider.lookup("wf", ["i-1"])
      expect(run).toMatchObject({ id: "i-1", status: "errored", terminal: true })
      const [request] = yield* http.seen
      expect(request!.url.href).toBe(`https://env.test/client/v4/accounts/${ACCOUNT}/workflows/wf/instances/i-1?simple=true`)
      expect(request!.headers["x-auth-email"]).toBe("file@example.com")
      expect(request!.headers["x-auth-key"]).toBe("file-key")
      expect(request!.headers["authorization"]).toBeUndefined()
    }))

  it.scoped("make refuses missing credentials, a missing account and plain http, before any request", () =>
    Effect.gen(function*() {
      const http = yield* fake(summary)
      const make = (values: ProviderConfig.Values, allowInsecure?: boolean) =>
        Descriptor.descriptor.make(values, { allowInsecure }).pipe(Effect.provide(http.layer), Effect.provide(RateBudget.layer()))
      expect(yield* Effect.flip(make({ accountId: ACCOUNT, email: "me@example.com" }))).toMatchObject({ _tag: "Unauthorized" })
      expect(yield* Effect.flip(make({ apiToken: Redacted.make("t") }))).toMatchObject({
        _tag: "InvalidRequest",
        field: "account_id"
      })
      const plain = { accountId: ACCOUNT, apiToken: Redacted.make("t"), baseUrl: "http://cf.internal/client/v4" }
      expect(yield* Effect.flip(make(plain))).toMatchObject({ _tag: "InvalidRequest", field: "base_url" })
      yield* make(plain, true)
      expect(yield* http.seen).toHaveLength(0)
    }))
})
