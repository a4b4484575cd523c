/**
 * Onepin as a `WorkflowProvider`: runs from the run listing, one record per node execution
 * from the steps endpoint, attributed to the configured workspace.
 *
 * @since 0.1.0
 */
import type { HttpClient } from "@effect/platform"
import { Pagination, ProviderError, type RateBudget, type Retry, WorkflowProvider } from "@steptrail/core"
import { Config as EffectConfig, type Duration, Effect, Layer, Option, Redacted, Stream } from "effect"
import * as mapping from "./internal/mapping.js"
import { uuidOf } from "./internal/validate.js"
import * as OnepinApi from "./OnepinApi.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Config {
  /** `ONEPIN_API_KEY`. Missing or empty: every call fails with `Unauthorized`. */
  readonly apiKey: Redacted.Redacted<string> | undefined
  /**
   * `--workspace` / `ONEPIN_WORKSPACE_ID`: sent as `X-Workspace-Id` and written as each
   * record's `account`. Unset: no header, `account` null.
   */
  readonly workspaceId?: string | undefined
  /** Everything in front of the documented paths; `ONEPIN_BASE_URL`. */
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
  apiKey: "ONEPIN_API_KEY",
  baseUrl: "ONEPIN_BASE_URL",
  workspaceId: "ONEPIN_WORKSPACE_ID"
} as const

const provider = "onepin" as const

/**
 * A service whose every call fails the same way: the configuration cannot work, and saying
 * so on first use keeps `make` infallible.
 */
const refusing = (account: string | null, error: ProviderError.ProviderError): WorkflowProvider.Service => ({
  provider,
  account,
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
    const workspaceId = nonEmpty(config.workspaceId)
    const account = workspaceId ?? null
    const apiKey = config.apiKey
    if (apiKey === undefined || Redacted.value(apiKey).trim() === "") {
      return refusing(account, new ProviderError.Unauthorized({ provider, detail: `no API key: set ${env.apiKey}` }))
    }
    const baseUrl = nonEmpty(config.baseUrl) ?? OnepinApi.DEFAULT_BASE_URL
    if (!isHttpUrl(baseUrl)) {
      return refusing(
        account,
        new ProviderError.InvalidRequest({ provider, detail: `base URL ${JSON.stringify(baseUrl)} is not an http(s) URL` })
      )
    }
    const api = yield* OnepinApi.make({ ...config, apiKey, baseUrl, workspaceId })

    const runs = (workflow: string, filter?: WorkflowProvider.RunFilter) =>
      Stream.unwrap(
        uuidOf("workflow", workflow).pipe(
          Effect.map(() => {
            // A run created while we page shifts the newest-first listing: skip the repeat.
            return Pagination.offset(OnepinApi.PAGE_SIZE, (offset, limit) =>
              api.listRuns(workflow, { offset, limit, status: filter?.status }).pipe(
                Effect.map((page) => ({ items: page.data, total: page.pagination?.total ?? undefined }))
              )).pipe(
                Pagination.distinct((run) => run.id),
                Stream.map((run) => mapping.toRunRef(workflow, account, run)),
                // status is applied by the server too; since/until only here
                Stream.filter((ref) => WorkflowProvider.matches(filter, ref))
              )
          })
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

    const collect = (run: WorkflowProvider.RunRef) =>
      Effect.zipRight(uuidOf("workflow", run.workflow), uuidOf("run", run.id)).pipe(
        Effect.zipRight(api.listSteps(run.workflow, run.id)),
        Effect.map((page) => mapping.toRecords(run, page.data))
      )

    return {
      provider,
      account,
      runs,
      count,
      run: (workflow, id) =>
        Effect.zipRight(uuidOf("workflow", workflow), uuidOf("run", id)).pipe(
          Effect.as(mapping.unknownRun(workflow, account, id))
        ),
      // include_result=true gives the full result, so `fullOutput` changes nothing here.
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
 * Explicit values (a CLI's flags, e.g. `--workspace`) for `layerConfig`; each one given wins
 * over the environment.
 *
 * @since 0.1.0
 * @category models
 */
export interface Overrides extends Partial<Config> {}

/**
 * The environment the provider reads: `ONEPIN_API_KEY` (a secret), `ONEPIN_BASE_URL` and
 * `ONEPIN_WORKSPACE_ID`. Unset and empty variables are both absent.
 *
 * @since 0.1.0
 * @category config
 */
export const environment: EffectConfig.Config<Config> = EffectConfig.all({
  apiKey: EffectConfig.option(EffectConfig.redacted(env.apiKey)),
  baseUrl: EffectConfig.option(EffectConfig.string(env.baseUrl)),
  workspaceId: EffectConfig.option(EffectConfig.string(env.workspaceId))
}).pipe(
  EffectConfig.map(({ apiKey, baseUrl, workspaceId }) => ({
    apiKey: Option.getOrUndefined(apiKey),
    baseUrl: nonEmpty(Option.getOrUndefined(baseUrl)),
    workspaceId: nonEmpty(Option.getOrUndefined(workspaceId))
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
      baseUrl: nonEmpty(overrides.baseUrl) ?? fromEnv.baseUrl,
      workspaceId: nonEmpty(overrides.workspaceId) ?? fromEnv.workspaceId
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
