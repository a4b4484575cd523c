/**
 * The Cloudflare Workflows `WorkflowProvider`: instances of a workflow as runs, and each
 * instance's step log as step records, with full outputs fetched on request.
 *
 * @since 0.1.0
 */
import type { HttpClient } from "@effect/platform"
import { Pagination, ProviderConfig, ProviderError, ProviderKit, RateBudget, WorkflowProvider } from "@steptrail/core"
import { Effect, Option, Redacted, type Scope, Stream } from "effect"
import * as CloudflareApi from "./CloudflareApi.js"
import { DEFAULT_BASE_URL, settings } from "./Settings.js"
import * as mapping from "./internal/mapping.js"
import { PROVIDER, quote } from "./internal/validate.js"

/**
 * The API's largest page.
 *
 * @since 0.1.0
 * @category constants
 */
export const PAGE_SIZE = 100

/**
 * `/step` requests in flight per run: enough to hide latency, few enough to leave the shared
 * rate budget to the other runs of an export.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_OUTPUT_CONCURRENCY = 4

/**
 * Credentials are an API token, or (the older scheme) an account email with a global API key.
 * The token wins when both are given.
 *
 * @since 0.1.0
 * @category models
 */
export interface Config extends ProviderKit.Config {
  /** 32 hexadecimal characters. */
  readonly accountId?: string | undefined
  readonly apiToken?: Redacted.Redacted<string> | undefined
  readonly email?: string | undefined
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** Everything in front of `/accounts/...`; default `https://api.cloudflare.com/client/v4`. */
  readonly baseUrl?: string | undefined
  /** The token's budget; default `RateBudget.cloudflare`: 1,200 requests per 5 minutes. */
  readonly budget?: RateBudget.Budget | undefined
  /** `/step` requests in flight per run; default 4. */
  readonly outputConcurrency?: number | undefined
}

/**
 * The auth headers: `Authorization: Bearer <token>`, else `X-Auth-Email` + `X-Auth-Key`.
 * Secrets stay `Redacted` until the request is built.
 *
 * @since 0.1.0
 * @category auth
 */
export const authHeaders = (
  config: Pick<Config, "apiToken" | "email" | "apiKey">
): Effect.Effect<Record<string, string | Redacted.Redacted<string>>, ProviderError.Unauthorized> => {
  if (!ProviderConfig.isBlank(config.apiToken)) {
    return Effect.succeed({ authorization: ProviderConfig.bearer(config.apiToken!) })
  }
  if (!ProviderConfig.isBlank(config.email) && !ProviderConfig.isBlank(config.apiKey)) {
    return Effect.succeed({
      "x-auth-email": config.email!.trim(),
      "x-auth-key": Redacted.make(Redacted.value(config.apiKey!).trim())
    })
  }
  return Effect.fail(
    ProviderConfig.missingCredentials(PROVIDER, settings, "CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY")
  )
}

const invalid = (detail: string, field?: string) => new ProviderError.InvalidRequest({ provider: PROVIDER, detail, field })

const isoDate = (date: Date | undefined, field: string): Effect.Effect<string | undefined, ProviderError.InvalidRequest> =>
  date === undefined
    ? Effect.succeed(undefined)
    : Number.isNaN(date.getTime())
    ? Effect.fail(invalid(`${field} is not a valid date`, field))
    : Effect.succeed(date.toISOString())

const clientDefinition: ProviderKit.ClientDefinition<Config> = {
  name: PROVIDER,
  defaultBaseUrl: DEFAULT_BASE_URL,
  auth: authHeaders,
  describe: CloudflareApi.describe,
  budget: RateBudget.cloudflare
}

/**
 * Builds the provider. Credentials, account id and base URL are checked here, before any
 * request: missing credentials are `Unauthorized`, a malformed account id or base URL
 * `InvalidRequest`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  config: Config
): Effect.Effect<WorkflowProvider.Service, ProviderError.ProviderError, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const client = yield* ProviderKit.client(clientDefinition, config)
    const accountId = config.accountId?.trim() ?? ""
    if (accountId === "") return yield* Effect.fail(invalid("no account id: set CLOUDFLARE_ACCOUNT_ID or pass --account-id", "account_id"))
    const api = yield* CloudflareApi.make({ accountId, client })
    const account = api.accountId
    const concurrency = Math.max(1, config.outputConcurrency ?? DEFAULT_OUTPUT_CONCURRENCY)

    const runs = (workflow: string, filter?: WorkflowProvider.RunFilter) =>
      Stream.unwrap(
        Effect.gen(function*() {
          const dateStart = yield* isoDate(filter?.since, "since")
          const dateEnd = yield* isoDate(filter?.until, "until")
          // The server takes one status; several are filtered here only.
          const status = filter?.status?.length === 1 ? filter.status[0] : undefined
          return Pagination.cursor(
            (cursor) =>
              api.listInstances(workflow, {
                cursor: Option.getOrUndefined(cursor),
                perPage: PAGE_SIZE,
                status,
                dateStart,
                dateEnd
              }).pipe(Effect.map((page) => ({ items: page.items, next: page.cursor }))),
            (cursor): ProviderError.ProviderError =>
              new ProviderError.DecodeFailure({
                provider: PROVIDER,
                path: "$.result_info.cursor",
                detail: `cursor ${quote(cursor.slice(0, 80))} came back twice; the listing would never end`,
                workflow
              })
          )
        })
      ).pipe(
        Stream.map((item) => mapping.fromListItem(account, workflow, item)),
        Stream.filter((ref) => WorkflowProvider.matches(filter, ref))
      )

    // One page of one instance: `result_info.total_count` counts every match.
    const count = (workflow: string, filter?: WorkflowProvider.RunFilter) =>
      (filter?.status?.length ?? 0) > 1
        ? Effect.succeed(undefined)
        : Effect.gen(function*() {
          const page = yield* api.listInstances(workflow, {
            perPage: 1,
            status: filter?.status?.[0],
            dateStart: yield* isoDate(filter?.since, "since"),
            dateEnd: yield* isoDate(filter?.until, "until")
          })
          return page.total
        })

    const lookup = (workflow: string, ids: ReadonlyArray<string>) =>
      WorkflowProvider.lookupEach(ids, (id) =>
        api.getInstanceSummary(workflow, id).pipe(
          Effect.map((instance) => mapping.fromSummary({ account, workflow, id }, instance))
        ))

    const steps = (ref: WorkflowProvider.RunRef, options?: WorkflowProvider.StepOptions) =>
      api.getInstance(ref.workflow, ref.id, { order: "asc" }).pipe(
        Effect.flatMap((instance) => {
          const ctx: mapping.PlanContext = {
            account,
            workflow: ref.workflow,
            id: ref.id,
            instanceStatus: instance.status,
            fullOutput: options?.fullOutput === true
          }
          const plans = mapping.planAll(ctx, instance.steps)
          // Most runs need no `/step` at all: their records leave without a fiber each.
          if (plans.every((planned) => planned.fetch === null)) {
            return Effect.succeed(plans.map((planned) => planned.record))
          }
          // In log order whatever order the fetches end in.
          return Effect.forEach(plans, (planned) =>
            planned.fetch === null
              ? Effect.succeed(planned.record)
              : api.getStepOutput(ref.workflow, ref.id, planned.fetch).pipe(
                Effect.map((fetched) => mapping.finish(planned.record, fetched))
              ), { concurrency })
        })
      )

    return { provider: PROVIDER, account, runs, count, lookup, steps, budget: client.budget } satisfies WorkflowProvider.Service
  })

/**
 * The provider's layers (`ProviderKit`): `layer(config)` from explicit values,
 * `layerConfig(overrides?)` from the CLI's variables (`CLOUDFLARE_API_TOKEN`, or
 * `CLOUDFLARE_EMAIL` with `CLOUDFLARE_API_KEY`, any explicit credential replacing the
 * environment's as a whole; `CLOUDFLARE_ACCOUNT_ID`; `CLOUDFLARE_API_BASE_URL` or
 * `CLOUDFLARE_BASE_URL`), `resolveConfig(overrides?)` (the config `layerConfig` builds from)
 * and `fromSettings`, the registry descriptor's `make`.
 *
 * @since 0.1.0
 * @category layers
 */
export const { fromSettings, layer, layerConfig, resolveConfig } = ProviderKit.make<Config>({ name: PROVIDER, settings, make })
