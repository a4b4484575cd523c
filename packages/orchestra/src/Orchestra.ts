/**
 * Arcee Orchestra as a `WorkflowProvider`: runs from the run listing, one record per executed
 * node from the steps endpoint.
 *
 * @since 0.1.0
 */
import type { HttpClient } from "@effect/platform"
import {
  ErrorBody,
  Pagination,
  ProviderClient,
  ProviderConfig,
  type ProviderDescriptor,
  type ProviderError,
  ProviderKit,
  WorkflowProvider
} from "@steptrail/core"
import { Effect, type Redacted, type Scope, Stream } from "effect"
import { DEFAULT_BASE_URL, settings } from "./Descriptor.js"
import * as mapping from "./internal/mapping.js"
import * as OrchestraApi from "./OrchestraApi.js"

export {
  /**
   * @since 0.1.0
   * @category constants
   */
  DEFAULT_BASE_URL
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Config extends ProviderDescriptor.Connection {
  /** `ORCHESTRA_API_KEY`. */
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** Everything in front of the documented paths; `ORCHESTRA_BASE_URL`. */
  readonly baseUrl?: string | undefined
}

const provider = "orchestra"

/**
 * Builds the provider; a missing key is `Unauthorized` and a bad base URL `InvalidRequest`,
 * here, before any request. Orchestra documents no rate limit: unlimited unless `budget` is
 * given (a 429 still pauses the key).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  config: Config
): Effect.Effect<WorkflowProvider.Service, ProviderError.ProviderError, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    // an empty or blank key is no key: it would only be answered 401
    const apiKey = ProviderConfig.secret({ apiKey: config.apiKey }, "apiKey")
    if (apiKey === undefined) return yield* Effect.fail(ProviderConfig.missingCredentials(provider, settings))
    const baseUrl = yield* ProviderConfig.checkBaseUrl(provider, config.baseUrl ?? DEFAULT_BASE_URL, config.allowInsecure)
    const client = yield* ProviderClient.make({
      ...config,
      provider,
      baseUrl,
      headers: { authorization: ProviderConfig.bearer(apiKey) },
      describe: ErrorBody.describe
    })
    const api = OrchestraApi.make(client)

    // A run started while we page shifts the newest-first listing: the repeat is skipped.
    const runs = (workflow: string, filter?: WorkflowProvider.RunFilter) =>
      Pagination.offset(OrchestraApi.PAGE_SIZE, (offset, limit) =>
        api.listRuns(workflow, { offset, limit }).pipe(Effect.map((items) => ({ items })))).pipe(
          Pagination.distinct((run) => run.id),
          Stream.map((run) => mapping.toRunRef(workflow, run)),
          WorkflowProvider.filterNewestFirst(filter)
        )

    return {
      provider,
      account: null,
      runs,
      lookup: (workflow, ids) =>
        WorkflowProvider.lookupEach(ids, (id) => Effect.map(api.getRun(workflow, id), (run) => mapping.toRunRef(workflow, run))),
      // Outputs are complete in the steps listing, so `fullOutput` changes nothing here.
      steps: (run) => api.listSteps(run.workflow, run.id).pipe(Effect.map((steps) => mapping.toRecords(run, steps)))
    } satisfies WorkflowProvider.Service
  })

const kit = ProviderKit.make<Config>({
  name: provider,
  settings,
  fromValues: (values) => ({ apiKey: ProviderConfig.secret(values, "apiKey"), baseUrl: ProviderConfig.text(values, "baseUrl") }),
  make
})

/**
 * The provider from explicit values.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = kit.layer

/**
 * The provider configured from the environment (`ORCHESTRA_API_KEY`, `ORCHESTRA_BASE_URL`),
 * explicit overrides winning.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = kit.layerConfig

/**
 * The config `layerConfig` would build from.
 *
 * @since 0.1.0
 * @category config
 */
export const resolveConfig = kit.resolve

/**
 * `ProviderDescriptor.Descriptor.make` for this provider.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fromSettings = kit.fromSettings
