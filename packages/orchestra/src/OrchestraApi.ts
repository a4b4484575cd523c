/**
 * The raw Arcee Orchestra API: one typed call per documented endpoint, every one through the
 * shared `ProviderClient` (auth, path encoding, size limit, timeout, errors, retry, budget).
 *
 * @since 0.1.0
 */
import { type ProviderClient, ProviderError } from "@steptrail/core"
import { Effect } from "effect"
import * as OrchestraSchema from "./OrchestraSchema.js"

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
export interface OrchestraApi {
  /** One page of the run listing, newest first. */
  readonly listRuns: (
    workflow: string,
    page: { readonly offset: number; readonly limit: number }
  ) => Effect.Effect<ReadonlyArray<OrchestraSchema.Run>, ProviderError.ProviderError>
  /** One run: `NotFound` for a 404, or an answer that does not hold the run asked for. */
  readonly getRun: (workflow: string, run: string) => Effect.Effect<OrchestraSchema.Run, ProviderError.ProviderError>
  /** Every executed node of a run, in the order the API lists them. */
  readonly listSteps: (
    workflow: string,
    run: string
  ) => Effect.Effect<ReadonlyArray<OrchestraSchema.Step>, ProviderError.ProviderError>
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (client: ProviderClient.ProviderClient): OrchestraApi => ({
  listRuns: (workflow, { limit, offset }) =>
    client.json({ path: ["workflows", workflow, "runs"], query: { limit, offset }, workflow }, OrchestraSchema.Runs),
  getRun: (workflow, run) =>
    client.json({ path: ["workflows", workflow, "runs", run], workflow, run }, OrchestraSchema.RunLookup).pipe(
      Effect.flatMap((body) => {
        // The documented answer is an array of one; only the run asked for is that run.
        const found = Array.isArray(body) ? body.find((r) => r.id === run) : body
        if (found !== undefined && found.id === run) return Effect.succeed(found as OrchestraSchema.Run)
        const detail = found === undefined
          ? "no such run"
          : `the answer describes run ${JSON.stringify(found.id)}, not the run asked for`
        return Effect.fail(new ProviderError.NotFound({ provider: client.provider, detail, workflow, run }))
      })
    ),
  listSteps: (workflow, run) =>
    client.json({ path: ["workflows", workflow, "runs", run, "steps"], workflow, run }, OrchestraSchema.Steps)
})
