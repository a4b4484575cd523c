/**
 * Arcee Orchestra as a `WorkflowProvider`: runs from the run listing, one record per executed
 * node from the steps endpoint.
 *
 * @since 0.1.0
 */
import type { HttpClient } from "@effect/platform"
import {
  Pagination,
  ProviderError,
  type RateBudget,
  type Retry,
  WorkflowProvider
} from "@steptrail/core"
import { Config as EffectConfig, type Duration, Effect, Layer, Option, Redacted, Stream } from "effect"
import * as mapping from "./internal/mapping.js"
import * as OrchestraApi from "./OrchestraApi.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Config {
  /** `ORCHESTRA_API_KEY`. Missing or empty: every call fails with `Unauthorized`. */
  readonly apiKey: Redacted.Redacted<string> | undefined
  /** Everything in front of the documented paths; `ORCHESTRA_BASE_URL`. */
  readonly baseUrl?: string | undefined
  readonly retry?: Partial<Retry.Options> | undefined
  /** Per attempt (default 30 seconds). */
  readonly timeout?: Duration.DurationInput | undefined
  /** No documented budget: unlimited unless given. */
  readonly budget?: RateBudget.Budget | undefined
  readonly maxBodyBytes?: number | undefined
}

/**
 * The environment variables this provider reads.
 *
 * @since 0.1.0
 * @category constants
 */
export const env = {
  apiKey: "ORCHESTRA_API_KEY",
  baseUrl: "ORCHESTRA_BASE_URL"
} as const

const provider = "orchestra" as const

/**
 * A service whose every call fails the same way: the configuration cannot work, and saying
 * so on first use keeps `make` infallible.
 */
const refusing = (error: ProviderError.ProviderError): WorkflowProvider.Service => ({
  provider,
  account: null,
  runs: () => Stream.fail(error),
  run: () => Effect.fail(error),
  steps: () => Stream.fail(error)
})

const isHttpUrl = (text: string): boolean => {
  try {
    const url = new URL(text)
    return url.protocol === "http:" || url.protocol === "https:"
  } catch {
    return false
  }
}

const nonEmpty = (text: string | undefined): string | undefined =>
  text === undefined || text.trim() === "" ? undefined : text.trim()

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (config: Config): Effect.Effect<WorkflowProvider.Service, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const apiKey = config.apiKey
    if (apiKey === undefined || Redacted.value(apiKey).trim() === "") {
      return refusing(new ProviderError.Unauthorized({ provider, detail: `no API key: set ${env.apiKey}` }))
    }
    const baseUrl = nonEmpty(config.baseUrl) ?? OrchestraApi.DEFAULT_BASE_URL
    if (!isHttpUrl(baseUrl)) {
      return refusing(
        new ProviderError.InvalidRequest({ provider, detail: `base URL ${JSON.stringify(baseUrl)} is not an http(s) URL` })
      )
    }
    const api = yield* OrchestraApi.make({ ...config, apiKey, baseUrl })

    const runs = (workflow: string, filter?: WorkflowProvider.RunFilter) =>
      Stream.suspend(() => {
        // A run started while we page shifts the newest-first listing: skip the repeat.
        return Pagination.offset(OrchestraApi.PAGE_SIZE, (offset, limit) =>
          api.listRuns(workflow, { offset, limit }).pipe(Effect.map((items) => ({ items })))).pipe(
            Pagination.distinct((run) => run.id),
            Stream.map((run) => mapping.toRunRef(workflow, run)),
            Stream.filter((ref) => WorkflowProvider.matches(filter, ref))
          )
      })

    const collect = (run: WorkflowProvider.RunRef) =>
      api.listSteps(run.workflow, run.id).pipe(Effect.map((steps) => mapping.toRecords(run, steps)))

    return {
      provider,
      account: null,
      runs,
      run: (workflow, id) => api.getRun(workflow, id).pipe(Effect.map((run) => mapping.toRunRef(workflow, run))),
      // Outputs are complete in the steps listing, so `fullOutput` changes nothing here.
      steps: (run) => Stream.fromIterableEffect(collect(run)),
      collect
    } satisfies WorkflowProvider.Service
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (config: Config): Layer.Layer<WorkflowProvider.WorkflowProvider, never, HttpClient.HttpClient> =>
  Layer.effect(WorkflowProvider.WorkflowProvider, make(config))

/**
 * Explicit values (a CLI's flags) for `layerConfig`; each one given wins over the environment.
 *
 * @since 0.1.0
 * @category models
 */
export interface Overrides extends Partial<Config> {}

/**
 * The environment the provider reads: `ORCHESTRA_API_KEY` (a secret) and
 * `ORCHESTRA_BASE_URL`. Unset and empty variables are both absent.
 *
 * @since 0.1.0
 * @category config
 */
export const environment: EffectConfig.Config<Config> = EffectConfig.all({
  apiKey: EffectConfig.option(EffectConfig.redacted(env.apiKey)),
  baseUrl: EffectConfig.option(EffectConfig.string(env.baseUrl))
}).pipe(
  EffectConfig.map(({ apiKey, baseUrl }) => ({
    apiKey: Option.getOrUndefined(apiKey),
    baseUrl: nonEmpty(Option.getOrUndefined(baseUrl))
  }))
)

const definedOnly = <A extends object>(a: A): Partial<A> =>
  Object.fromEntries(Object.entries(a).filter(([, v]) => v !== undefined)) as Partial<A>

/**
 * The configuration from the environment with the overrides applied. A missing key is not
 * an error here: `make` reports it (as `Unauthorized`) on first use.
 *
 * @since 0.1.0
 * @category config
 */
export const resolveConfig = (overrides: Overrides = {}): Effect.Effect<Config, ProviderError.InvalidRequest> =>
  environment.pipe(
    Effect.mapError((e) =>
      new ProviderError.InvalidRequest({
        provider,
        detail: `could not read the environment: ${String(e).replace(/\s+/g, " ")}`
      })
    ),
    Effect.map((fromEnv) => ({
      ...fromEnv,
      ...definedOnly(overrides),
      apiKey: overrides.apiKey ?? fromEnv.apiKey,
      baseUrl: nonEmpty(overrides.baseUrl) ?? fromEnv.baseUrl
    }))
  )

/**
 * The provider configured from the environment, explicit overrides winning.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  overrides: Overrides = {}
): Layer.Layer<WorkflowProvider.WorkflowProvider, ProviderError.InvalidRequest, HttpClient.HttpClient> =>
  Layer.effect(WorkflowProvider.WorkflowProvider, Effect.flatMap(resolveConfig(overrides), make))
