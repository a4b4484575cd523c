import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Layer, Redacted, Schema, Stream } from "effect"
import * as ErrorBody from "../src/ErrorBody.js"
import * as ProviderConfig from "../src/ProviderConfig.js"
import type * as ProviderDescriptor from "../src/ProviderDescriptor.js"
import * as ProviderKit from "../src/ProviderKit.js"
import * as RateBudget from "../src/RateBudget.js"
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

const DEFAULT_BASE_URL = "https://api.acme.test/v1"

/**
 * A provider made the way the real ones are: its client from `ProviderKit.client` with
 * `ProviderKit.bearer` (the key optional on a server on this machine), one request per listing.
 * It remembers the config it was built with.
 */
const kit = (built: Array<Config>) =>
  ProviderKit.make<Config>({
    name: "acme",
    settings,
    make: (config) =>
      Effect.gen(function*() {
        const client = yield* ProviderKit.client({
          name: "acme",
          defaultBaseUrl: DEFAULT_BASE_URL,
          auth: ProviderKit.bearer("acme", settings, (c: Config) => c.apiKey, {
            optional: (c) => ProviderConfig.isLoopback(c.baseUrl ?? DEFAULT_BASE_URL)
          }),
          describe: ErrorBody.describe
        }, config)
        built.push(config)
        return {
          provider: "acme",
          account: null,
          runs: (workflow) =>
            Stream.fromIterableEffect(client.json({ path: ["workflows", workflow, "runs"], query: { page: 1 }, workflow }, Schema.Array(Schema.Unknown))).pipe(
              Stream.drain
            ),
          lookup: () => Effect.succeed([]),
          steps: () => Effect.succeed([])
        } satisfies WorkflowProvider.Service
      })
  })

const env = (map: Record<string, string>) => Layer.setConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(map))))

const http = Layer.unwrapEffect(Effect.map(TestHttpClient.make(() => TestHttpClient.json(200, [])), (t) => t.layer)).pipe(
  Layer.merge(RateBudget.layer())
)

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

  it.scoped("client sends the key as a Bearer header to the base URL, and refuses a missing key or plain http before any request", () =>
    Effect.gen(function*() {
      const built: Array<Config> = []
      const test = yield* TestHttpClient.make(() => TestHttpClient.json(200, []))
      const layers = Layer.merge(test.layer, RateBudget.layer())
      const service = yield* build(kit(built).layer({ apiKey: Redacted.make(" k ") }).pipe(Layer.provide(layers)))
      yield* Stream.runDrain(service.runs("wf"))
      const [request] = yield* test.seen
      expect(request!.url.href).toBe("https://api.acme.test/v1/workflows/wf/runs?page=1")
      expect(request!.headers["authorization"]).toBe("Bearer k")

      const missing = yield* Effect.flip(build(kit(built).layerConfig().pipe(Layer.provide(layers), Layer.provide(env({})))))
      expect(missing).toMatchObject({ _tag: "Unauthorized", detail: "no credentials: set ACME_API_KEY" })
      const insecure = yield* Effect.flip(
        build(kit(built).layer({ apiKey: Redacted.make("k"), baseUrl: "http://acme.test" }).pipe(Layer.provide(layers)))
      )
      expect(insecure).toMatchObject({ _tag: "InvalidRequest", field: "base_url" })
      expect(built).toHaveLength(1)
      expect(yield* test.seen).toHaveLength(1)
    }))

  it.scoped("bearer takes no key where the provider says the server needs none, and sends no header then", () =>
    Effect.gen(function*() {
      const test = yield* TestHttpClient.make(() => TestHttpClient.json(200, []))
      const layers = Layer.merge(test.layer, RateBudget.layer())
      const local = yield* build(kit([]).layer({ baseUrl: "http://127.0.0.1:7233/api" }).pipe(Layer.provide(layers)))
      yield* Stream.runDrain(local.runs("wf"))
      const [request] = yield* test.seen
      expect(request!.url.href).toBe("http://127.0.0.1:7233/api/workflows/wf/runs?page=1")
      expect(request!.headers["authorization"]).toBeUndefined()
      // a key given to the same server is still sent
      const keyed = yield* build(kit([]).layer({ apiKey: Redacted.make("k"), baseUrl: "http://localhost:7233/api" }).pipe(Layer.provide(layers)))
      yield* Stream.runDrain(keyed.runs("wf"))
      expect((yield* test.seen)[1]!.headers["authorization"]).toBe("Bearer k")
      // the same settings against a remote server still need the key
      const remote = yield* Effect.flip(build(kit([]).layer({ baseUrl: "https://acme.example" }).pipe(Layer.provide(layers))))
      expect(remote).toMatchObject({ _tag: "Unauthorized" })
      const always = ProviderKit.bearer("acme", settings, (c: Config) => c.apiKey, { optional: true })
      expect(yield* always({ baseUrl: "https://acme.example" })).toEqual({})
    }))

  it.scoped("lazy loads the provider module on the first make, not before", () =>
    Effect.gen(function*() {
      let loads = 0
      const make = ProviderKit.lazy(() => {
        loads++
        return Promise.resolve({ fromSettings: kit([]).fromSettings })
      })
      expect(loads).toBe(0)
      const service = yield* make({ apiKey: Redacted.make("k") }, {}).pipe(Effect.provide(http))
      expect(loads).toBe(1)
      expect(service.provider).toBe("acme")
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
