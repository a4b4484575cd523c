/**
 * What a provider package needs to be built the same way as every other: its client (auth,
 * base URL policy, budget, errors) from its config, and from its `make` (typed config →
 * service) and settings, the layers a library user provides (`layer(config)`,
 * `layerConfig(overrides)` reading the environment like the CLI) and the `make` of its
 * registry descriptor.
 *
 * @since 0.1.0
 */
import type { HttpClient } from "@effect/platform"
import { Effect, Layer, Redacted, type Scope } from "effect"
import * as ProviderClient from "./ProviderClient.js"
import * as ProviderConfig from "./ProviderConfig.js"
import type * as ProviderDescriptor from "./ProviderDescriptor.js"
import type { ProviderError, Unauthorized } from "./ProviderError.js"
import type * as RateBudget from "./RateBudget.js"
import { WorkflowProvider } from "./WorkflowProvider.js"
import type * as WorkflowProvider_ from "./WorkflowProvider.js"

/**
 * A provider's config: its connection, its base URL and whatever its settings name.
 *
 * @since 0.1.0
 * @category models
 */
export interface Config extends ProviderDescriptor.Connection {
  readonly baseUrl?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Definition<C extends Config> {
  readonly name: string
  readonly settings: ReadonlyArray<ProviderConfig.Setting>
  /** Checks the config (credentials, ids, base URL) and builds the service, before any request. */
  readonly make: (config: C) => Effect.Effect<WorkflowProvider_.Service, ProviderError, HttpClient.HttpClient | Scope.Scope>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Kit<C extends Config> {
  /** The provider from explicit values. */
  readonly layer: (config: C) => Layer.Layer<WorkflowProvider, ProviderError, HttpClient.HttpClient>
  /**
   * The provider from the environment (Effect `Config`, the same variables as the CLI), the
   * overrides winning.
   */
  readonly layerConfig: (overrides?: Partial<C>) => Layer.Layer<WorkflowProvider, ProviderError, HttpClient.HttpClient>
  /** The config `layerConfig` would build from. */
  readonly resolveConfig: (overrides?: Partial<C>) => Effect.Effect<C, ProviderError>
  /** `Descriptor.make`: resolved settings (flags or a config file over the environment). */
  readonly fromSettings: ProviderDescriptor.Descriptor["make"]
}

/**
 * A typed config's fields from resolved settings: each setting's value under its name,
 * secrets `Redacted`.
 */
const fromValues = (settings: ReadonlyArray<ProviderConfig.Setting>, values: ProviderConfig.Values) =>
  Object.fromEntries(
    settings.map((s) => [s.name, s.secret === true ? ProviderConfig.secret(values, s.name) : ProviderConfig.text(values, s.name)])
  )

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = <C extends Config>(definition: Definition<C>): Kit<C> => {
  const resolveConfig = (overrides: Partial<C> = {}) =>
    ProviderConfig.resolve(definition.name, definition.settings, ProviderConfig.explicit(overrides)).pipe(
      Effect.map((values) => ({ ...overrides, ...fromValues(definition.settings, values) }) as unknown as C)
    )
  return {
    layer: (config) => Layer.scoped(WorkflowProvider, definition.make(config)),
    layerConfig: (overrides) => Layer.scoped(WorkflowProvider, Effect.flatMap(resolveConfig(overrides), definition.make)),
    resolveConfig,
    fromSettings: (values, connection) => definition.make({ ...connection, ...fromValues(definition.settings, values) } as unknown as C)
  }
}

/**
 * How a provider's client is made.
 *
 * @since 0.1.0
 * @category models
 */
export interface ClientDefinition<C extends Config> {
  readonly name: string
  readonly defaultBaseUrl: string
  /** The credential headers (secrets `Redacted`), or `Unauthorized` when they are missing. */
  readonly auth: (config: C) => Effect.Effect<Readonly<Record<string, string | Redacted.Redacted<string>>>, Unauthorized>
  readonly describe: ProviderClient.Options["describe"]
  /** The credential's budget unless the config names one (undefined: unlimited). */
  readonly budget?: RateBudget.Budget | undefined
}

/**
 * The provider's configured client, with the one credential and base URL policy: missing
 * credentials are `Unauthorized` and a refused base URL `InvalidRequest`, here, before any
 * request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const client = <C extends Config>(
  definition: ClientDefinition<C>,
  config: C,
  headers: Readonly<Record<string, string>> = {}
): Effect.Effect<ProviderClient.ProviderClient, ProviderError, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const auth = yield* definition.auth(config)
    const baseUrl = yield* ProviderConfig.checkBaseUrl(definition.name, config.baseUrl ?? definition.defaultBaseUrl, config.allowInsecure)
    return yield* ProviderClient.make({
      provider: definition.name,
      baseUrl,
      headers: { ...auth, ...headers },
      describe: definition.describe,
      retry: config.retry,
      timeout: config.timeout,
      maxBodyBytes: config.maxBodyBytes,
      budget: config.budget ?? definition.budget
    })
  })

/**
 * `auth` for an API that takes `Authorization: Bearer <key>`. A missing key is `Unauthorized`
 * unless `optional` says the server takes none (a dev server on this machine:
 * `optional: (config) => ProviderConfig.isLoopback(config.baseUrl ?? DEFAULT_BASE_URL)`);
 * then no header is sent.
 *
 * @since 0.1.0
 * @category auth
 */
export const bearer = <K extends Config = never>(
  name: string,
  settings: ReadonlyArray<ProviderConfig.Setting>,
  key: (config: K) => Redacted.Redacted<string> | undefined,
  options: { readonly optional?: boolean | ((config: K) => boolean) | undefined } = {}
) =>
<C extends Config>(config: C): Effect.Effect<Readonly<Record<string, Redacted.Redacted<string>>>, Unauthorized> => {
  const value = key(config as unknown as K)
  if (!ProviderConfig.isBlank(value)) return Effect.succeed({ authorization: ProviderConfig.bearer(value!) })
  const optional = typeof options.optional === "function" ? options.optional(config as unknown as K) : options.optional === true
  return optional ? Effect.succeed({}) : Effect.fail(ProviderConfig.missingCredentials(name, settings))
}

/**
 * `Descriptor.make` that loads the provider's module only when an export asks for it, once:
 * sources of one provider built at the same time share the one load.
 *
 * @since 0.1.0
 * @category constructors
 */
export const lazy = (
  load: () => Promise<{ readonly fromSettings: ProviderDescriptor.Descriptor["make"] }>
): ProviderDescriptor.Descriptor["make"] => {
  let loading: ReturnType<typeof load> | undefined
  return (values, connection) =>
    Effect.flatMap(Effect.promise(() => (loading ??= load())), (module) => module.fromSettings(values, connection))
}
