/**
 * The Cloudflare Workflows `WorkflowProvider`: instances of a workflow as runs, and each
 * instance's step log as step records, with full outputs fetched on request.
 *
 * @since 0.1.0
 */
import type { HttpClient } from "@effect/platform"
import type { Retry } from "@steptrail/core"
import { Pagination, ProviderClient, ProviderError, RateBudget, WorkflowProvider } from "@steptrail/core"
import type { Duration } from "effect"
import { Config as EffectConfig, Effect, Layer, Option, Redacted, Stream } from "effect"
import * as CloudflareApi from "./CloudflareApi.js"
import * as mapping from "./internal/mapping.js"
import { PROVIDER, quote } from "./internal/validate.js"

/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"

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
export interface Config {
  /** 32 hexadecimal characters. */
  readonly accountId: string
  readonly apiToken?: Redacted.Redacted<string> | undefined
  readonly email?: string | undefined
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** Everything in front of `/accounts/...`; default `https://api.cloudflare.com/client/v4`. */
  readonly baseUrl?: string | undefined
  readonly retry?: Partial<Retry.Options> | undefined
  /** Per attempt. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Default `RateBudget.cloudflare`: 1,200 requests per 5 minutes. */
  readonly budget?: RateBudget.Budget | undefined
  readonly maxBodyBytes?: number | undefined
  /** `/step` requests in flight per run; default 4. */
  readonly outputConcurrency?: number | undefined
}

const missingCredentials = () =>
  new ProviderError.Unauthorized({
    provider: PROVIDER,
    detail: "no credentials: set CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY"
  })

const blank = (value: string | Redacted.Redacted<string> | undefined) =>
  value === undefined || (Redacted.isRedacted(value) ? Redacted.value(value) : value).trim() === ""

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
  if (!blank(config.apiToken)) {
    return Effect.succeed({ authorization: Redacted.make(`Bearer ${Redacted.value(config.apiToken!).trim()}`) })
  }
  if (!blank(config.email) && !blank(config.apiKey)) {
    return Effect.succeed({
      "x-auth-email": config.email!.trim(),
      "x-auth-key": Redacted.make(Redacted.value(config.apiKey!).trim())
    })
  }
  return Effect.fail(missingCredentials())
}

const invalid = (detail: string, field?: string) =>
  new ProviderError.InvalidRequest({ provider: PROVIDER, detail, field })

const checkBaseUrl = (value: string): Effect.Effect<string, ProviderError.InvalidRequest> => {
  try {
    const url = new URL(value)
    if (url.username !== "" || url.password !== "") {
      return Effect.fail(invalid("base URL must not carry credentials; use the environment variables", "base_url"))
    }
    if (url.protocol === "http:" || url.protocol === "https:") return Effect.succeed(value)
  } catch {
    // reported below
  }
  return Effect.fail(invalid(`base URL ${quote(value.slice(0, 200))} is not an http(s) URL`, "base_url"))
}

const isoDate = (date: Date | undefined, field: string): Effect.Effect<string | undefined, ProviderError.InvalidRequest> =>
  date === undefined
    ? Effect.succeed(undefined)
    : Number.isNaN(date.getTime())
    ? Effect.fail(invalid(`${field} is not a valid date`, field))
    : Effect.succeed(date.toISOString())

/**
 * Builds the provider. Credentials, account id and base URL are checked here, before any
 * request: missing credentials are `Unauthorized`, a malformed account id `InvalidRequest`.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (
  config: Config
): Effect.Effect<
  WorkflowProvider.Service,
  ProviderError.Unauthorized | ProviderError.InvalidRequest,
  HttpClient.HttpClient
> =>
  Effect.gen(function*() {
    const headers = yield* authHeaders(config)
    if (config.accountId.trim() === "") {
      return yield* Effect.fail(invalid("no account id: set CLOUDFLARE_ACCOUNT_ID", "account_id"))
    }
    const baseUrl = yield* checkBaseUrl(config.baseUrl ?? DEFAULT_BASE_URL)
    // One budget per provider instance: every request of every run draws from it.
    const budget = yield* RateBudget.make(config.budget ?? RateBudget.cloudflare)
    const client = yield* ProviderClient.make({
      provider: PROVIDER,
      baseUrl,
      headers,
      describe: CloudflareApi.describe,
      retry: config.retry,
      timeout: config.timeout,
      maxBodyBytes: config.maxBodyBytes,
      budget
    })
    const api = yield* CloudflareApi.make({ accountId: config.accountId, client, retry: config.retry })
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
                detail: `cursor ${quote(cursor.slice(0, 80))} came back twice; the listing would never end`
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

    const run = (workflow: string, id: string) =>
      api.getInstanceSummary(workflow, id).pipe(
        Effect.map((instance) => mapping.fromSummary({ account, workflow, id }, instance))
      )

    const collect = (ref: WorkflowProvider.RunRef, options?: WorkflowProvider.StepOptions) =>
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

    const steps = (ref: WorkflowProvider.RunRef, options?: WorkflowProvider.StepOptions) =>
      Stream.fromIterableEffect(collect(ref, options))

    return { provider: "cloudflare", account, runs, count, run, steps, collect } satisfies WorkflowProvider.Service
  })

/**
 * @since 0.1.0
 * @category layers
 */
export const layer = (
  config: Config
): Layer.Layer<WorkflowProvider.WorkflowProvider, ProviderError.Unauthorized | ProviderError.InvalidRequest, HttpClient.HttpClient> =>
  Layer.effect(WorkflowProvider.WorkflowProvider, make(config))

/**
 * Explicit values (a CLI's flags) for `layerConfig`; each one given wins over the environment.
 * Giving any credential replaces the environment's credentials as a whole, so a flag's key is
 * never paired with an environment's email.
 *
 * @since 0.1.0
 * @category models
 */
export interface Overrides extends Partial<Config> {}

const optionalString = (name: string) =>
  EffectConfig.option(EffectConfig.string(name)).pipe(
    EffectConfig.map((o) => Option.filter(o, (s) => s.trim() !== "").pipe(Option.map((s) => s.trim())))
  )

const optionalSecret = (name: string) =>
  EffectConfig.option(EffectConfig.redacted(name)).pipe(
    EffectConfig.map((o) => Option.filter(o, (s) => !blank(s)))
  )

/**
 * The environment the provider reads: `CLOUDFLARE_API_TOKEN`, or `CLOUDFLARE_EMAIL` with
 * `CLOUDFLARE_API_KEY`; `CLOUDFLARE_ACCOUNT_ID`; `CLOUDFLARE_API_BASE_URL` (wrangler's name)
 * or `CLOUDFLARE_BASE_URL` (the SDK's). Empty values count as unset.
 *
 * @since 0.1.0
 * @category config
 */
export const environment = EffectConfig.all({
  apiToken: optionalSecret("CLOUDFLARE_API_TOKEN"),
  email: optionalString("CLOUDFLARE_EMAIL"),
  apiKey: optionalSecret("CLOUDFLARE_API_KEY"),
  accountId: optionalString("CLOUDFLARE_ACCOUNT_ID"),
  baseUrl: optionalString("CLOUDFLARE_API_BASE_URL").pipe(
    EffectConfig.zipWith(optionalString("CLOUDFLARE_BASE_URL"), (a, b) => Option.orElse(a, () => b))
  )
})

/**
 * The configuration from the environment with the overrides applied.
 *
 * @since 0.1.0
 * @category config
 */
export const resolveConfig = (overrides: Overrides = {}): Effect.Effect<Config, ProviderError.InvalidRequest> =>
  Effect.gen(function*() {
    const env = yield* environment.pipe(
      Effect.mapError((e) => invalid(`could not read the environment: ${String(e).replace(/\s+/g, " ")}`))
    )
    const explicitCredentials = !blank(overrides.apiToken) || !blank(overrides.email) || !blank(overrides.apiKey)
    const credentials = explicitCredentials
      ? { apiToken: overrides.apiToken, email: overrides.email, apiKey: overrides.apiKey }
      : {
        apiToken: Option.getOrUndefined(env.apiToken),
        email: Option.getOrUndefined(env.email),
        apiKey: Option.getOrUndefined(env.apiKey)
      }
    // A missing account id is reported by `make`, after missing credentials.
    const accountId = overrides.accountId ?? Option.getOrElse(env.accountId, () => "")
    return {
      ...overrides,
      ...credentials,
      accountId,
      baseUrl: overrides.baseUrl ?? Option.getOrElse(env.baseUrl, () => DEFAULT_BASE_URL)
    }
  })

/**
 * The provider configured from the environment, explicit overrides winning.
 *
 * @since 0.1.0
 * @category layers
 */
export const layerConfig = (
  overrides: Overrides = {}
): Layer.Layer<WorkflowProvider.WorkflowProvider, ProviderError.Unauthorized | ProviderError.InvalidRequest, HttpClient.HttpClient> =>
  Layer.effect(WorkflowProvider.WorkflowProvider, Effect.flatMap(resolveConfig(overrides), make))
