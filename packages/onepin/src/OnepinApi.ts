/**
 * The raw Onepin API: one typed call per documented endpoint, every one through the shared
 * `ProviderClient` (auth, path encoding, size limit, timeout, errors, retry, budget).
 *
 * @since 0.1.0
 */
import type { ProviderClient, ProviderError } from "@steptrail/core"
import type { Effect } from "effect"
import * as OnepinSchema from "./OnepinSchema.js"

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
  /** Newest first by creation (`sort=created_at&order=desc`). */
  readonly listRuns: (workflow: string, page: ListRuns) => Effect.Effect<OnepinSchema.Runs, ProviderError.ProviderError>
  /** Always with `include_result=true`: without it every `result` is null. */
  readonly listSteps: (workflow: string, run: string) => Effect.Effect<OnepinSchema.Steps, ProviderError.ProviderError>
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (client: ProviderClient.ProviderClient): OnepinApi => ({
  listRuns: (workflow, { limit, offset, status }) =>
    client.json(
      {
        path: ["workflows", workflow, "runs"],
        query: {
          offset,
          limit,
          sort: "created_at",
          order: "desc",
          status: status !== undefined && status.length > 0 ? status.join(",") : undefined
        },
        workflow
      },
      OnepinSchema.Runs
    ),
  listSteps: (workflow, run) =>
    client.json(
      { path: ["workflows", workflow, "runs", run, "steps"], query: { include_result: true }, workflow, run },
      OnepinSchema.Steps
    )
})
