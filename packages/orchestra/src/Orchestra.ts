/**
 * Arcee Orchestra as a `WorkflowProvider`: runs from the run listing, one record per executed
 * node from the steps endpoint.
 *
 * @since 0.1.0
 */
import type { HttpClient } from "@effect/platform"
import { ErrorBody, Pagination, type ProviderError, ProviderKit, WorkflowProvider } from "@steptrail/core"
import { Effect, type Redacted, type Scope, Stream } from "effect"
import { DEFAULT_BASE_URL, settings } from "./Settings.js"
import * as mapping from "./internal/mapping.js"
import * as OrchestraApi from "./OrchestraApi.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Config extends ProviderKit.Config {
  /** `ORCHESTRA_API_KEY`. */
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** Everything in front of the documented paths; `ORCHESTRA_BASE_URL`. */
  readonly baseUrl?: string | undefined
}

const provider = "orchestra"

// `Authorization: Bearer <key>`; no documented budget: unlimited unless the config names one
const client: ProviderKit.ClientDefinition<Config> = {
  name: provider, defaultBaseUrl: DEFAULT_BASE_URL, auth: ProviderKit.bearer(provider, settings, (c: Config) => c.apiKey), describe: ErrorBody.describe
}

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
    const http = yield* ProviderKit.client(client, config)
    const api = OrchestraApi.make(http)

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
      steps: (run) => api.listSteps(run.workflow, run.id).pipe(Effect.map((steps) => mapping.toRecords(run, steps))),
      budget: http.budget
    } satisfies WorkflowProvider.Service
  })

/**
 * The provider's layers (`ProviderKit`): `layer(config)` from explicit values,
 * `layerConfig(overrides?)` from `ORCHESTRA_API_KEY` and `ORCHESTRA_BASE_URL` (overrides
 * winning), `resolveConfig(overrides?)` (the config `layerConfig` builds from) and
 * `fromSettings`, the registry descriptor's `make`.
 *
 * @since 0.1.0
 * @category layers
 */
export const { fromSettings, layer, layerConfig, resolveConfig } = ProviderKit.make<Config>({ name: provider, settings, make })
