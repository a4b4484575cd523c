/**
 * The port every provider package implements: the runs of a workflow (a lazy Stream), runs by
 * id, and the records of a run, as provider-neutral values.
 *
 * @since 0.1.0
 */
import { Chunk, Context, Effect, Stream } from "effect"
import type { ProviderError } from "./ProviderError.js"
import type * as RateBudget from "./RateBudget.js"
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
  /**
   * How many records the run has now, where the provider tells without fetching them
   * (Cloudflare: a looked-up instance's `step_count`). Set it only where a step settling always
   * adds a record or changes the status word: an incremental export then skips a run whose
   * status word and count are the ones it recorded when it last wrote the run, as it skips one
   * whose version is unchanged. A step's retries in progress are not seen until the run
   * changes so.
   */
  readonly steps?: number | undefined
  /**
   * The provider's own address of the run, where its id alone does not find it (Temporal: the
   * workflow id beside the run id). Opaque outside the provider: exports keep it (incremental
   * state, follow mode) and hand it back to `lookup` with the id; `steps` gets it on the run.
   */
  readonly locator?: string | undefined
}

/**
 * What `lookup` may be told beside the ids.
 *
 * @since 0.2.0
 * @category models
 */
export interface LookupOptions {
  /** The locators (`RunRef.locator`) of runs seen before, by id: a provider that needs one finds the run by it. */
  readonly locators?: ReadonlyMap<string, string> | undefined
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
  /** The provider's registered name (`cloudflare`); every record and run carries it. */
  readonly provider: Provider
  /** The account or workspace records are attributed to (null where the provider has none). */
  readonly account: string | null
  /** Every run of the workflow that matches the filter, all pages, lazily. */
  readonly runs: (workflow: string, filter?: RunFilter) => Stream.Stream<RunRef, ProviderError>
  /**
   * Runs by id, in the order of `ids` (each once). `NotFound` for an id the provider does not
   * know, `InvalidRequest` for a malformed one. Export (explicit ids) and follow (the runs it
   * watches) both look runs up this way, all ids of a workflow at once, so a provider that
   * can only find a run in its listing lists once for all of them.
   */
  readonly lookup: (
    workflow: string,
    ids: ReadonlyArray<string>,
    options?: LookupOptions
  ) => Effect.Effect<ReadonlyArray<RunRef>, ProviderError>
  /**
   * How many runs `runs(workflow, filter)` will yield, where the API says so cheaply (one
   * request); undefined where it cannot tell. For progress displays only.
   */
  readonly count?: ((workflow: string, filter?: RunFilter) => Effect.Effect<number | undefined, ProviderError>) | undefined
  /**
   * The run's records, oldest first, `step_index` from 0, whole. A provider whose API gives a
   * run's history over several pages implements `stepStream` and derives this from it
   * (`collect`).
   */
  readonly steps: (run: RunRef, options?: StepOptions) => Effect.Effect<ReadonlyArray<StepRecord>, ProviderError>
  /**
   * The run's records as they come, a page at a time (a chunk per page), oldest first: what an
   * export reads where a provider has it, encoding each page as it arrives rather than holding
   * the whole history's records. Optional: without it, `steps` is the one page.
   */
  readonly stepStream?: ((run: RunRef, options?: StepOptions) => Stream.Stream<StepRecord, ProviderError>) | undefined
  /**
   * The budget the provider's requests wait on (its credential's): for a program that hands
   * a credential from one process to another (`serve` on several machines), which carries
   * the budget's log with it. Optional: a provider without one is not rate limited here.
   */
  readonly budget?: RateBudget.RateBudget | undefined
}

/**
 * A run's records as a stream: the provider's `stepStream` where it has one, else its `steps`
 * as one chunk.
 *
 * @since 0.2.0
 * @category steps
 */
export const stepStream = (
  service: Pick<Service, "steps" | "stepStream">,
  run: RunRef,
  options?: StepOptions
): Stream.Stream<StepRecord, ProviderError> =>
  service.stepStream !== undefined
    ? service.stepStream(run, options)
    : Stream.flattenIterables(Stream.fromEffect(service.steps(run, options)))

/**
 * `steps` from a paged `stepStream`: every page, in order, as one array.
 *
 * @since 0.2.0
 * @category steps
 */
export const collect = <E, R>(records: Stream.Stream<StepRecord, E, R>): Effect.Effect<ReadonlyArray<StepRecord>, E, R> =>
  Effect.map(Stream.runCollect(records), Chunk.toReadonlyArray)

/**
 * `lookup` for a provider that can fetch one run by id: each id once, a few at a time, in
 * the order asked.
 *
 * @since 0.1.0
 * @category lookups
 */
export const lookupEach = <E, R>(
  ids: ReadonlyArray<string>,
  one: (id: string) => Effect.Effect<RunRef, E, R>
): Effect.Effect<ReadonlyArray<RunRef>, E, R> => Effect.forEach(distinctIds(ids), one, { concurrency: 4 })

/**
 * `lookup` for a provider that can only find a run in its listing: the listing is read until
 * every id was seen (one listing for all ids), then the runs are given in the order asked;
 * an id never seen is `notFound`.
 *
 * @since 0.1.0
 * @category lookups
 */
export const lookupInListing = <E, R>(
  ids: ReadonlyArray<string>,
  listing: Stream.Stream<RunRef, E, R>,
  notFound: (id: string) => E
): Effect.Effect<ReadonlyArray<RunRef>, E, R> =>
  Effect.suspend(() => {
    const wanted = distinctIds(ids)
    if (wanted.length === 0) return Effect.succeed([])
    const found = new Map<string, RunRef>()
    const asked = new Set(wanted)
    return listing.pipe(
      Stream.takeUntil((run) => {
        if (asked.has(run.id)) found.set(run.id, run)
        return found.size === asked.size
      }),
      Stream.runDrain,
      Effect.flatMap(() => {
        const missing = wanted.find((id) => !found.has(id))
        return missing === undefined ? Effect.succeed(wanted.map((id) => found.get(id)!)) : Effect.fail(notFound(missing))
      })
    )
  })

/**
 * Each id once, in the order first given.
 *
 * @since 0.1.0
 * @category lookups
 */
export const distinctIds = (ids: ReadonlyArray<string>): ReadonlyArray<string> => [...new Set(ids)]

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

/**
 * `matches` over a listing that comes newest first (by creation): once a run created before
 * `since` passes, every later one is older too, so the listing stops there instead of paging
 * to its end. An incremental or follow-mode export lists only the recent pages this way.
 *
 * @since 0.1.0
 * @category filters
 */
export const filterNewestFirst = (filter: RunFilter | undefined) =>
<E, R>(runs: Stream.Stream<RunRef, E, R>): Stream.Stream<RunRef, E, R> => {
  const since = filter?.since?.getTime()
  const all = since === undefined
    ? runs
    : Stream.takeWhile(runs, (run) => run.createdAt === null || Date.parse(run.createdAt) >= since)
  return Stream.filter(all, (run) => matches(filter, run))
}
