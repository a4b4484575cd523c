/**
 * The raw Onepin API: one typed call per documented endpoint, every one through the shared
 * `ProviderClient` (auth, path encoding, size limit, timeout, errors, retry, budget).
 *
 * @since 0.1.0
 */
import type { HttpClient } from "@effect/platform"
import { ProviderClient, type ProviderError, RateBudget, type Retry } from "@steptrail/core"
import { type Duration, Effect, Redacted } from "effect"
import { describe } from "./internal/errors.js"
import * as OnepinSchema from "./OnepinSchema.js"

/**
 * Everything in front of the documented paths, version prefix included.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_BASE_URL = "https://api.onepin.ai/api/v1"

/**
 * The largest `limit` the run listing accepts (1..100).
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
  /** Sent as `X-Workspace-Id`; it must match the key's workspace, or every call is a 403. */
  readonly workspaceId?: string | undefined
  readonly baseUrl?: string | undefined
  readonly retry?: Partial<Retry.Options> | undefined
  readonly timeout?: Duration.DurationInput | undefined
  /** Onepin documents no numeric budget: unlimited by default (a 429 still pauses). */
  readonly budget?: RateBudget.Budget | undefined
  readonly maxBodyBytes?: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ListRuns {
  readonly offset: number
  readonly limit: number
  /** Provider status words, sent comma-separated. */
  readonly status?: ReadonlyArray<string> | undefined
}

/**
 * Ids are passed as given: validating them is the caller's business (see `Onepin`).
 *
 * @since 0.1.0
 * @category models
 */
export interface OnepinApi {
  readonly listRuns: (
    workflow: string,
    page: ListRuns
  ) => Effect.Effect<OnepinSchema.Runs, ProviderError.ProviderError>
  /** Always with `include_result=true`: without it every `result` is null. */
  readonly listSteps: (workflow: string, run: string) => Effect.Effect<OnepinSchema.Steps, ProviderError.ProviderError>
}

/**
 * Builds the client once per provider instance, with its own rate budget.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<OnepinApi, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const budget = yield* RateBudget.make(options.budget)
    const headers: Record<string, string | Redacted.Redacted<string>> = {
      // stays Redacted until ProviderClient builds the request
      authorization: Redacted.make(`Bearer ${Redacted.value(options.apiKey)}`)
    }
    if (options.workspaceId !== undefined) headers["x-workspace-id"] = options.workspaceId
    const client = yield* ProviderClient.make({
      provider: "onepin",
      baseUrl: options.baseUrl ?? DEFAULT_BASE_URL,
      headers,
      describe,
      retry: options.retry,
      timeout: options.timeout,
      maxBodyBytes: options.maxBodyBytes,
      budget
    })
    return {
      listRuns: (workflow, { limit, offset, status }) =>
        client.json(
          {
            path: ["workflows", workflow, "runs"],
            query: { offset, limit, status: status !== undefined && status.length > 0 ? status.join(",") : undefined }
          },
          OnepinSchema.Runs
        ),
      listSteps: (workflow, run) =>
        client.json(
          { path: ["workflows", workflow, "runs", run, "steps"], query: { include_result: true }, run },
          OnepinSchema.Steps
        )
    } satisfies OnepinApi
  })
