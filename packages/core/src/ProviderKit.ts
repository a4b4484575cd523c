/**
 * What a provider package needs to be built the same way as every other: from its `make`
 * (typed config → service) and its settings, the layers a library user provides
 * (`layer(config)`, `layerConfig(overrides)` reading the environment like the CLI) and the
 * `make` of its registry descriptor.
 *
 * @since 0.1.0
 */
import type { HttpClient } from "@effect/platform"
import { Effect, Layer, type Scope } from "effect"
import * as ProviderConfig from "./ProviderConfig.js"
import type * as ProviderDescriptor from "./ProviderDescriptor.js"
import type { ProviderError } from "./ProviderError.js"
import { WorkflowProvider } from "./WorkflowProvider.js"
import type * as WorkflowProvider_ from "./WorkflowProvider.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Definition<C extends ProviderDescriptor.Connection> {
  readonly name: string
  readonly settings: ReadonlyArray<ProviderConfig.Setting>
  /** The typed config's fields that settings hold, from resolved settings. */
  readonly fromValues: (values: ProviderConfig.Values) => Partial<C>
  /** Checks the config (credentials, ids, base URL) and builds the service, before any request. */
  readonly make: (config: C) => Effect.Effect<WorkflowProvider_.Service, ProviderError, HttpClient.HttpClient | Scope.Scope>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Kit<C extends ProviderDescriptor.Connection> {
  /** The provider from explicit values. */
  readonly layer: (config: C) => Layer.Layer<WorkflowProvider, ProviderError, HttpClient.HttpClient>
  /**
   * The provider from the environment (Effect `Config`, the same variables as the CLI), the
   * overrides winning.
   */
  readonly layerConfig: (overrides?: Partial<C>) => Layer.Layer<WorkflowProvider, ProviderError, HttpClient.HttpClient>
  /** The config `layerConfig` would build from. */
  readonly resolve: (overrides?: Partial<C>) => Effect.Effect<C, ProviderError>
  /** `Descriptor.make`: resolved settings (flags or a config file over the environment). */
  readonly fromSettings: ProviderDescriptor.Descriptor["make"]
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = <C extends ProviderDescriptor.Connection>(definition: Definition<C>): Kit<C> => {
  const resolve = (overrides: Partial<C> = {}) =>
    ProviderConfig.resolve(definition.name, definition.settings, ProviderConfig.explicit(overrides)).pipe(
      Effect.map((values) => ({ ...overrides, ...definition.fromValues(values) }) as C)
    )
  return {
    layer: (config) => Layer.scoped(WorkflowProvider, definition.make(config)),
    layerConfig: (overrides) => Layer.scoped(WorkflowProvider, Effect.flatMap(resolve(overrides), definition.make)),
    resolve,
    fromSettings: (values, connection) => definition.make({ ...connection, ...definition.fromValues(values) } as C)
  }
}
