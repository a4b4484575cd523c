/**
 * Follow mode: `tail -f` for workflow runs. The first pass writes every settled step; runs
 * that are not terminal are then polled, and each step is written once, when it settles,
 * until every followed run is terminal (or the time limit passes).
 *
 * A record key is written at most once: a step that is still running or waiting is held back
 * rather than written and then written again, so a consumer that only appends sees final
 * values. When a run ends, its remaining steps are written whatever their status.
 *
 * @since 0.1.0
 */
import type { ProviderError as PE, StepRecord, WorkflowProvider } from "@steptrail/core"
import { Clock, Duration, Effect, Stream } from "effect"
import * as Export from "./Export.js"
import * as Ndjson from "./Ndjson.js"
import * as Redaction from "./Redaction.js"
import type * as Output from "./Output.js"
import * as Summary from "./Summary.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends Export.Options {
  /** Time between polls of the followed runs. */
  readonly poll?: Duration.DurationInput | undefined
  /** Stop following after this long; steps that have not settled by then are not written. */
  readonly timeout?: Duration.DurationInput | undefined
  /** How a batch of records becomes bytes (default NDJSON). */
  readonly encode?: ((records: ReadonlyArray<StepRecord.StepRecord>) => Uint8Array) | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface FollowSummary extends Summary.Summary {
  /** Polls made after the first pass. */
  polls: number
  /** Runs still not terminal when following stopped (time limit). */
  unfinished: number
}

/**
 * Statuses that will not change any more.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isSettled = (status: StepRecord.Status): boolean =>
  status === "complete" || status === "errored" || status === "cancelled"

const terminalRun = (status: StepRecord.RunStatus) => status === "complete" || status === "errored" || status === "cancelled"

interface Followed {
  readonly source: Export.Source
  run: WorkflowProvider.RunRef
  readonly written: Set<number>
  counted: boolean
}

/** The run as it is now. */
const refresh = (followed: Followed): Effect.Effect<WorkflowProvider.RunRef, PE.ProviderError> =>
  Effect.map(followed.source.provider.lookup(followed.source.workflow, [followed.run.id]), (runs) => runs[0]!)

/**
 * Exports the sources, then follows their unfinished runs. Commits the output at the end.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (
  sources: ReadonlyArray<Export.Source>,
  output: Output.Output,
  options: Options = {}
): Effect.Effect<FollowSummary, PE.ProviderError | Output.OutputError> =>
  Effect.gen(function*() {
    const encode = options.encode ?? Ndjson.encode
    const poll = Duration.decode(options.poll ?? "5 seconds")
    const summary: FollowSummary = Object.assign(options.summary ?? Summary.empty(output.target), { output: output.target, polls: 0, unfinished: 0 })
    const concurrency = Math.max(1, options.concurrency ?? 4)
    // the first pass is redacted by Export.fetch; polls must be too
    const redact = options.redact !== undefined && options.redact.length > 0 ? Redaction.apply(options.redact) : undefined
    const followed: Array<Followed> = []

    // Writes the records of a run not written yet: settled ones, or all once the run ended.
    const emit = (f: Followed, records: ReadonlyArray<StepRecord.StepRecord>) => {
      const ended = f.run.terminal || records.some((r) => terminalRun(r.run_status))
      const fresh = records.filter((r) => !f.written.has(r.step_index) && (ended || isSettled(r.status)))
      for (const r of fresh) f.written.add(r.step_index)
      Summary.addSteps(summary, f.run.provider, fresh, !f.counted)
      f.counted = true
      return Effect.as(fresh.length === 0 ? Effect.void : output.write(encode(fresh)), ended)
    }

    for (const source of sources) {
      yield* Export.fetch(source, options).pipe(
        Stream.runForEach(({ records, run }) => {
          const f: Followed = { source, run, written: new Set(), counted: false }
          return emit(f, records).pipe(Effect.map((ended) => {
            if (!ended) followed.push(f)
          }))
        })
      )
    }

    const started = yield* Clock.currentTimeMillis
    const deadline = options.timeout === undefined ? Infinity : started + Duration.toMillis(Duration.decode(options.timeout))
    let open = followed
    while (open.length > 0) {
      const now = yield* Clock.currentTimeMillis
      if (now + Duration.toMillis(poll) > deadline) break
      yield* Effect.sleep(poll)
      summary.polls++
      const results = yield* Effect.forEach(
        open,
        (f) =>
          refresh(f).pipe(
            Effect.flatMap((ref) => {
              f.run = ref
              return f.source.provider.steps(ref, { fullOutput: f.source.fullOutput ?? options.fullOutput ?? false })
                .pipe(Effect.map((records) => (redact === undefined ? records : records.map(redact))))
            }),
            Effect.map((records) => [f, records] as const)
          ),
        { concurrency }
      )
      const next: Array<Followed> = []
      for (const [f, records] of results) {
        const ended = yield* emit(f, records)
        if (!ended) next.push(f)
      }
      open = next
    }
    summary.unfinished = open.length
    yield* output.commit
    summary.bytes = output.bytes()
    return summary
  })
