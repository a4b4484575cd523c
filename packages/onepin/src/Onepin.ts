/**
 * Onepin as a `WorkflowProvider`: runs from the run listing, one record per node execution
 * from the steps endpoint, attributed to the configured workspace.
 *
 * @since 0.1.0
 */
import type { HttpClient } from "@effect/platform"
import { Pagination, ProviderError, ProviderKit, WorkflowProvider } from "@steptrail/core"
import { Effect, type Redacted, type Scope, Stream } from "effect"
import { DEFAULT_BASE_URL, settings } from "./Settings.js"
import { describe } from "./internal/errors.js"
import * as mapping from "./internal/mapping.js"
import { uuidOf } from "./internal/validate.js"
import * as OnepinApi from "./OnepinApi.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Config extends ProviderKit.Config {
  /** `ONEPIN_API_KEY`. */
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /**
   * `--workspace` / `ONEPIN_WORKSPACE_ID`: sent as `X-Workspace-Id` and written as each
   * record's `account`. Unset: no header, `account` null.
   */
  readonly workspaceId?: string | undefined
  /** Everything in front of the documented paths; `ONEPIN_BASE_URL`. */
  readonly baseUrl?: string | undefined
}

const provider = "onepin"

// `Authorization: Bearer <key>`; no documented budget: unlimited unless the config names one
const client: ProviderKit.ClientDefinition<Config> = {
  name: provider, defaultBaseUrl: DEFAULT_BASE_URL, auth: ProviderKit.bearer(provider, settings, (c: Config) => c.apiKey), describe
}

/**
 * Builds the provider; a missing key is `Unauthorized` and a bad base URL `InvalidRequest`,
 * here, before any request. Onepin documents no numeric budget: unlimited unless `budget` is
 * given (a 429 still pauses the key).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  config: Config
): Effect.Effect<WorkflowProvider.Service, ProviderError.ProviderError, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const workspaceId = config.workspaceId?.trim() || undefined
    const account = workspaceId ?? null
    const http = yield* ProviderKit.client(client, config, workspaceId === undefined ? {} : { "x-workspace-id": workspaceId })
    const api = OnepinApi.make(http)

    // Newest first: a run created while we page shifts the listing, and the repeat is skipped.
    const listing = (workflow: string, filter?: WorkflowProvider.RunFilter) =>
      Stream.unwrap(
        Effect.as(
          uuidOf("workflow", workflow),
          Pagination.offset(OnepinApi.PAGE_SIZE, (offset, limit) =>
            api.listRuns(workflow, { offset, limit, status: filter?.status }).pipe(
              Effect.map((page) => ({ items: page.data, total: page.pagination?.total ?? undefined }))
            )).pipe(
              Pagination.distinct((run) => run.id),
              Stream.map((run) => mapping.toRunRef(workflow, account, run))
            )
        )
      )

    // `pagination.total` of a one-run page; since/until are applied here only, so not countable.
    const count = (workflow: string, filter?: WorkflowProvider.RunFilter) =>
      filter?.since !== undefined || filter?.until !== undefined
        ? Effect.succeed(undefined)
        : uuidOf("workflow", workflow).pipe(
          Effect.zipRight(api.listRuns(workflow, { offset: 0, limit: 1, status: filter?.status })),
          Effect.map((page) => page.pagination?.total ?? undefined)
        )

    // Onepin documents no run lookup: runs are found in the listing, one pass for all ids
    // (a request per 100 runs down to the oldest one asked for).
    const lookup = (workflow: string, ids: ReadonlyArray<string>) =>
      Effect.forEach(ids, (id) => uuidOf("run", id)).pipe(
        Effect.zipRight(
          WorkflowProvider.lookupInListing(ids, listing(workflow), (id): ProviderError.ProviderError =>
            new ProviderError.NotFound({ provider, detail: "no such run in the workflow's run listing", workflow, run: id }))
        )
      )

    return {
      provider,
      account,
      runs: (workflow, filter) => listing(workflow, filter).pipe(WorkflowProvider.filterNewestFirst(filter)),
      count,
      lookup,
      // include_result=true gives the full result, so `fullOutput` changes nothing here.
      steps: (run) =>
        Effect.zipRight(uuidOf("workflow", run.workflow), uuidOf("run", run.id)).pipe(
          Effect.zipRight(api.listSteps(run.workflow, run.id)),
          Effect.map((page) => mapping.toRecords(run, page.data))
        ),
      budget: http.budget
    } satisfies WorkflowProvider.Service
  })

/**
 * The provider's layers (`ProviderKit`): `layer(config)` from explicit values,
 * `layerConfig(overrides?)` from `ONEPIN_API_KEY`, `ONEPIN_BASE_URL` and `ONEPIN_WORKSPACE_ID`
 * (overrides winning), `resolveConfig(overrides?)` (the config `layerConfig` builds from) and
 * `fromSettings`, the registry descriptor's `make`.
 *
 * @since 0.1.0
 * @category layers
 */
export const { fromSettings, layer, layerConfig, resolveConfig } = ProviderKit.make<Config>({ name: provider, settings, make })
