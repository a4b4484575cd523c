/**
 * The port every provider package implements: the runs of a workflow, and the steps of a run,
 * as lazy Streams of provider-neutral values.
 *
 * @since 0.1.0
 */
import { Chunk, Context, Effect, Stream } from "effect"
import type { ProviderError } from "./ProviderError.js"
import type { Provider, RunStatus, StepRecord } from "./StepRecord.js"

/**
 * A run as a listing (or a lookup by id) describes it, before its steps are fetched.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunRef {
  readonly provider: Provider
  readonly account: string | null
  readonly workflow: string
  readonly id: string
  readonly status: RunStatus
  /** The provider's own status word, or null where it gave none. */
  readonly providerStatus: string | null
  /** True when the run can no longer change: its steps, once exported, are final. */
  readonly terminal: boolean
  readonly createdAt: string | null
  readonly updatedAt: string | null
  /**
   * A value that changes whenever anything of the run changes, where the listing has one
   * (Cloudflare: status and `modified_on`). An incremental export skips a run whose version
   * is the one it saw last time, terminal or not.
   */
  readonly version?: string | null | undefined
}

/**
 * Which runs of a workflow to export. A provider applies on the server what its API supports
 * and the rest on the client, so every filter means the same on every provider.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunFilter {
  /** Provider status words (not normalized ones): the provider's own vocabulary. */
  readonly status?: ReadonlyArray<string> | undefined
  /** Runs created at or after this instant. */
  readonly since?: Date | undefined
  /** Runs created before this instant. */
  readonly until?: Date | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface StepOptions {
  /** Fetch the full output of every step whose logged output is only a preview. */
  readonly fullOutput?: boolean | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Service {
  readonly provider: Provider
  /** The account or workspace records are attributed to (null where the provider has none). */
  readonly account: string | null
  /** Every run of the workflow that matches the filter, all pages, lazily. */
  readonly runs: (workflow: string, filter?: RunFilter) => Stream.Stream<RunRef, ProviderError>
  /** One run by id; fails with `NotFound` where the provider can tell, `InvalidRequest` for a malformed id. */
  readonly run: (workflow: string, id: string) => Effect.Effect<RunRef, ProviderError>
  /**
   * How many runs `runs(workflow, filter)` will yield, where the API says so cheaply (one
   * request); undefined where it cannot tell. For progress displays only.
   */
  readonly count?: ((workflow: string, filter?: RunFilter) => Effect.Effect<number | undefined, ProviderError>) | undefined
  /** The run's steps, oldest first, `step_index` from 0. */
  readonly steps: (run: RunRef, options?: StepOptions) => Stream.Stream<StepRecord, ProviderError>
  /**
   * The same records as one array, where the provider has them at once (every provider here
   * does: a run's steps come in one answer). An export collects each run whole anyway, and a
   * Stream per run costs more CPU than the mapping itself.
   */
  readonly collect?: ((run: RunRef, options?: StepOptions) => Effect.Effect<ReadonlyArray<StepRecord>, ProviderError>) | undefined
}

/**
 * A run's records as one array: the provider's `collect` where it has one, else its stream.
 *
 * @since 0.1.0
 * @category combinators
 */
export const collectSteps = (
  provider: Service,
  run: RunRef,
  options?: StepOptions
): Effect.Effect<ReadonlyArray<StepRecord>, ProviderError> =>
  provider.collect !== undefined
    ? provider.collect(run, options)
    : Effect.map(Stream.runCollect(provider.steps(run, options)), Chunk.toReadonlyArray)

/**
 * @since 0.1.0
 * @category tags
 */
export class WorkflowProvider extends Context.Tag("@steptrail/core/WorkflowProvider")<
  WorkflowProvider,
  Service
>() {}

/**
 * Client-side form of a filter, for providers (or parts of a filter) the server cannot apply.
 *
 * @since 0.1.0
 * @category filters
 */
export const matches = (filter: RunFilter | undefined, run: RunRef): boolean => {
  if (filter === undefined) return true
  if (filter.status !== undefined && filter.status.length > 0) {
    if (run.providerStatus === null || !filter.status.includes(run.providerStatus)) return false
  }
  if (filter.since !== undefined || filter.until !== undefined) {
    if (run.createdAt === null) return false
    const created = Date.parse(run.createdAt)
    if (filter.since !== undefined && created < filter.since.getTime()) return false
    if (filter.until !== undefined && created >= filter.until.getTime()) return false
  }
  return true
}
