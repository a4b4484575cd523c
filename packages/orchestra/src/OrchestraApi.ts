/**
 * The raw Arcee Orchestra API: one typed call per documented endpoint, every one through the
 * shared `ProviderClient` (auth, path encoding, size limit, timeout, errors, retry, budget).
 *
 * @since 0.1.0
 */
import type { HttpClient } from "@effect/platform"
import { ProviderClient, ProviderError, RateBudget, type Retry } from "@steptrail/core"
import { type Duration, Effect, Redacted } from "effect"
import { describe } from "./internal/errors.js"
import * as OrchestraSchema from "./OrchestraSchema.js"

/**
 * The documented base URL; the API's paths are given relative to it.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_BASE_URL = "https://orchestra.arcee.ai/api/v1/workflow"

/**
 * The run listing's documented default (and our page size).
 *
 * @since 0.1.0
 * @category constants
 */
export const PAGE_SIZE = 100

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly apiKey: Redacted.Redacted<string>
  readonly baseUrl?: string | undefined
  readonly retry?: Partial<Retry.Options> | undefined
  readonly timeout?: Duration.DurationInput | undefined
  /** Orchestra documents no rate limit: unlimited by default (a 429 still pauses). */
  readonly budget?: RateBudget.Budget | undefined
  readonly maxBodyBytes?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface OrchestraApi {
  /** One page of the run listing, newest first. */
  readonly listRuns: (
    workflow: string,
    page: { readonly offset: number; readonly limit: number }
  ) => Effect.Effect<ReadonlyArray<OrchestraSchema.Run>, ProviderError.ProviderError>
  /** One run; `NotFound` for a 404 or an empty answer. */
  readonly getRun: (workflow: string, run: string) => Effect.Effect<OrchestraSchema.Run, ProviderError.ProviderError>
  /** Every executed node of a run, in the order the API lists them. */
  readonly listSteps: (
    workflow: string,
    run: string
  ) => Effect.Effect<ReadonlyArray<OrchestraSchema.Step>, ProviderError.ProviderError>
}

/**
 * Builds the client once per provider instance, with its own rate budget.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<OrchestraApi, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const budget = yield* RateBudget.make(options.budget)
    const client = yield* ProviderClient.make({
      provider: "orchestra",
      baseUrl: options.baseUrl ?? DEFAULT_BASE_URL,
      // stays Redacted until ProviderClient builds the request
      headers: { authorization: Redacted.make(`Bearer ${Redacted.value(options.apiKey)}`) },
      describe,
      retry: options.retry,
      timeout: options.timeout,
      maxBodyBytes: options.maxBodyBytes,
      budget
    })
    return {
      listRuns: (workflow, { limit, offset }) =>
        client.json({ path: ["workflows", workflow, "runs"], query: { limit, offset } }, OrchestraSchema.Runs),
      getRun: (workflow, run) =>
        client.json({ path: ["workflows", workflow, "runs", run], run }, OrchestraSchema.RunLookup).pipe(
          Effect.flatMap((body) => {
            if (!Array.isArray(body)) return Effect.succeed(body as OrchestraSchema.Run)
            const found = body.find((r) => r.id === run) ?? body[0]
            return found === undefined
              ? Effect.fail(new ProviderError.NotFound({ provider: "orchestra", detail: "no such run", run }))
              : Effect.succeed(found)
          })
        ),
      listSteps: (workflow, run) =>
        client.json({ path: ["workflows", workflow, "runs", run, "steps"], run }, OrchestraSchema.Steps)
    } satisfies OrchestraApi
  })

