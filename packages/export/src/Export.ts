/**
 * The export pipeline: runs of one or more sources, each run's steps fetched (several runs
 * at once), written as NDJSON with every run's records contiguous and in order.
 *
 * Memory is bounded by the runs in flight, not by the size of the export: runs are listed
 * page by page as the writer pulls, and a run's records are released once written.
 *
 * @since 0.1.0
 */
import { ProviderError as PE, type StepRecord, type WorkflowProvider } from "@steptrail/core"
import { Chunk, Effect, Stream } from "effect"
import * as Ndjson from "./Ndjson.js"
import type { Output, OutputError } from "./Output.js"
import * as Summary from "./Summary.js"

/**
 * One workflow of one provider, and which of its runs to export.
 *
 * @since 0.1.0
 * @category models
 */
export interface Source {
  readonly provider: WorkflowProvider.Service
  readonly workflow: string
  /** Explicit run ids; when empty, every run matching `filter`. */
  readonly runIds?: ReadonlyArray<string> | undefined
  readonly filter?: WorkflowProvider.RunFilter | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Runs fetched at once (per source). */
  readonly concurrency?: number | undefined
  readonly fullOutput?: boolean | undefined
}

/**
 * A run and all its records, fetched together so they are written together.
 *
 * @since 0.1.0
 * @category models
 */
export interface RunRecords {
  readonly run: WorkflowProvider.RunRef
  readonly records: ReadonlyArray<StepRecord.StepRecord>
}

/**
 * The runs a source names: its explicit ids (looked up one by one), or its listing. A run
 * listed twice (offset paging while runs are added) is passed on once.
 *
 * @since 0.1.0
 * @category streams
 */
export const runsOf = (source: Source): Stream.Stream<WorkflowProvider.RunRef, PE.ProviderError> => {
  const { provider, workflow } = source
  const runs = source.runIds !== undefined && source.runIds.length > 0
    ? Stream.fromIterable(source.runIds).pipe(Stream.mapEffect((id) => provider.run(workflow, id)))
    : provider.runs(workflow, source.filter)
  return Stream.suspend(() => {
    const seen = new Set<string>()
    return runs.pipe(Stream.filter((run) => !seen.has(run.id) && (seen.add(run.id), true)))
  })
}

/**
 * Every run of the source with its records, in listing order.
 *
 * @since 0.1.0
 * @category streams
 */
export const fetch = (source: Source, options: Options = {}): Stream.Stream<RunRecords, PE.ProviderError> =>
  runsOf(source).pipe(
    Stream.mapEffect(
      (run) =>
        source.provider.steps(run, { fullOutput: options.fullOutput ?? false }).pipe(
          Stream.runCollect,
          Effect.map((records) => ({ run, records: Chunk.toReadonlyArray(records) }))
        ),
      { concurrency: Math.max(1, options.concurrency ?? 4) }
    )
  )

/**
 * Exports every source, one after another, into one output, and commits it. Returns what
 * was written.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (
  sources: ReadonlyArray<Source>,
  output: Output,
  options: Options = {}
): Effect.Effect<Summary.Summary, PE.ProviderError | OutputError> =>
  Effect.gen(function*() {
    const summary = Summary.empty(output.target)
    for (const source of sources) {
      yield* fetch(source, options).pipe(
        Stream.runForEach(({ records, run }) =>
          output.write(Ndjson.encode(records)).pipe(
            Effect.map(() => Summary.addRun(summary, run.provider, records))
          )
        )
      )
    }
    yield* output.commit
    summary.bytes = output.bytes()
    return summary
  })
