/**
 * Every use of the provider port's run lookup and step fetch, in one place: the port is
 * changing (`lookup(workflow, ids)` replaces `run(workflow, id)`, and `steps` becomes one
 * Effect of a run's records), and this is where export meets it.
 */
import { type ProviderError, type StepRecord, WorkflowProvider } from "@steptrail/core"
import { Effect } from "effect"

interface SourceLike {
  readonly provider: WorkflowProvider.Service
  readonly workflow: string
}

/** Runs by id, in the order of `ids`; fails (NotFound) for an id the provider cannot find. */
export const lookupRuns = (
  source: SourceLike,
  ids: ReadonlyArray<string>,
  concurrency = 1
): Effect.Effect<ReadonlyArray<WorkflowProvider.RunRef>, ProviderError.ProviderError> =>
  Effect.forEach(ids, (id) => source.provider.run(source.workflow, id), { concurrency })

/** A run's records, whole, oldest first. */
export const stepsOf = (
  source: SourceLike,
  run: WorkflowProvider.RunRef,
  options: WorkflowProvider.StepOptions
): Effect.Effect<ReadonlyArray<StepRecord.StepRecord>, ProviderError.ProviderError> =>
  WorkflowProvider.collectSteps(source.provider, run, options)
