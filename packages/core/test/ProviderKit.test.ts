import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted, Stream } from "effect"
import * as ProviderConfig from "../src/ProviderConfig.js"
import type * as ProviderDescriptor from "../src/ProviderDescriptor.js"
import * as ProviderKit from "../src/ProviderKit.js"
import * as TestHttpClient from "../src/TestHttpClient.js"
import * as WorkflowProvider from "../src/WorkflowProvider.js"

interface Config extends ProviderDescriptor.Connection {
  readonly apiKey?: Redacted.Redacted<string> | undefined
  readonly baseUrl?: string | undefined
}

const settings: ReadonlyArray<ProviderConfig.Setting> = [
  { name: "baseUrl", flag: "base-url", env: ["ACME_BASE_URL"], description: "base URL" },
  { name: "apiKey", env: ["ACME_API_KEY"], secret: true, description: "key" }
]

/** A provider that checks its key like the real ones and remembers the config it was built with. */
const kit = (built: Array<Config>) =>
  ProviderKit.make<Config>({
    name: "acme",
    settings,
    make: (config) =>
      Effect.gen(function*() {
        if (config.apiKey === undefined) return yield* Effect.fail(ProviderConfig.missingCredentials("acme", settings))
        yield* ProviderConfig.checkBaseUrl("acme", config.baseUrl ?? "https://api.acme.test", config.allowInsecure)
        built.push(config)
        return {
          provider: "acme",
          account: null,
          runs: () => Stream.empty,
          lookup: () => Effect.succeed([]),
          steps: () => Effect.succeed([])
        } satisfies WorkflowProvider.Service
      })
  })

const env = (map: Record<string, string>) => Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(map))))

const http = Layer.unwrapEffect(Effect.map(TestHttpClient.make(() => TestHttpClient.json(200, {})), (t) => t.layer))

const build = (layer: Layer.Layer<WorkflowProvider.WorkflowProvider, unknown, never>) =>
  Effect.provide(WorkflowProvider.WorkflowProvider, layer)

describe("ProviderKit", () => {
  it.effect("layer builds the provider from explicit values", () =>
    Effect.gen(function*() {
      const built: Array<Config> = []
      const service = yield* build(kit(built).layer({ apiKey: Redacted.make("k") }).pipe(Layer.provide(http)))
      expect(service.provider).toBe("acme")
      expect(built).toHaveLength(1)
      expect(Redacted.value(built[0]!.apiKey!)).toBe("k")
    }))

  it.effect("layerConfig reads the environment through Effect Config; overrides win", () =>
    Effect.gen(function*() {
      const built: Array<Config> = []
      const { layerConfig } = kit(built)
      const vars = env({ ACME_API_KEY: "env-key", ACME_BASE_URL: "https://env.acme.test" })
      yield* build(layerConfig().pipe(Layer.provide(http), Layer.provide(vars)))
      yield* build(
        layerConfig({ baseUrl: "https://flag.acme.test", retry: { times: 1 }, allowInsecure: true }).pipe(
          Layer.provide(http),
          Layer.provide(vars)
        )
      )
      expect(built.map((c) => [Redacted.value(c.apiKey!), c.baseUrl])).toEqual([
        ["env-key", "https://env.acme.test"],
        ["env-key", "https://flag.acme.test"]
      ])
      // what no setting holds passes through from the overrides
      expect(built[1]).toMatchObject({ retry: { times: 1 }, allowInsecure: true })
    }))

  it.effect("a layer that cannot be built fails with the provider's error", () =>
    Effect.gen(function*() {
      const built: Array<Config> = []
      const error = yield* Effect.flip(build(kit(built).layerConfig().pipe(Layer.provide(http), Layer.provide(env({})))))
      expect(error).toMatchObject({ _tag: "Unauthorized", detail: "no credentials: set ACME_API_KEY" })
      const insecure = yield* Effect.flip(
        build(kit(built).layer({ apiKey: Redacted.make("k"), baseUrl: "http://acme.test" }).pipe(Layer.provide(http)))
      )
      expect(insecure).toMatchObject({ _tag: "InvalidRequest", field: "base_url" })
      expect(built).toHaveLength(0)
    }))

  it.effect("resolve gives the config layerConfig would build from", () =>
    Effect.gen(function*() {
      const config = yield* kit([]).resolveConfig({ apiKey: Redacted.make("flag-key") }).pipe(
        Effect.provide(env({ ACME_API_KEY: "env-key", ACME_BASE_URL: " https://env.acme.test " }))
      )
      expect(Redacted.value(config.apiKey!)).toBe("flag-key")
      expect(config.baseUrl).toBe("https://env.acme.test")
    }))

  it.scoped("fromSettings builds from resolved settings and the connection", () =>
    Effect.gen(function*() {
      const built: Array<Config> = []
      const service = yield* kit(built).fromSettings(
        { apiKey: Redacted.make("k"), baseUrl: "http://acme.test" },
        { allowInsecure: true, timeout: "5 seconds" }
      ).pipe(Effect.provide(http))
      expect(service.provider).toBe("acme")
      expect(built[0]).toMatchObject({ baseUrl: "http://acme.test", allowInsecure: true, timeout: "5 seconds" })
      const error = yield* Effect.flip(kit(built).fromSettings({ apiKey: undefined }, {}).pipe(Effect.provide(http)))
      expect(error._tag).toBe("Unauthorized")
    }))
})
