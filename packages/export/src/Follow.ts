/**
 * Follow mode: `tail -f` for workflow runs. The first pass writes every settled step; runs
 * that are not terminal are then polled, and each step is written once, when it settles,
 * until every followed run is terminal (or the time limit passes). Each poll also lists the
 * runs created since following began (one listing per source and poll), and follows the new
 * ones the same way.
 *
 * A record key is written at most once: a step that is still running or waiting is held back
 * rather than written and then written again, so a consumer that only appends sees final
 * values. When a run ends, its remaining steps are written whatever their status.
 *
 * However following ends (every run terminal, the time limit, a failed poll, an interruption
 * such as Ctrl-C or SIGTERM), the output is committed with everything written: a file
 * appears, a gzip member is closed. The exit (success, the error, the interruption) says how
 * it ended.
 *
 * @since 0.1.0
 */
import { ProviderError as PE, StepRecord, WorkflowProvider } from "@steptrail/core"
import { Clock, Duration, Effect, Exit, Ref, Schedule, Schema, Stream } from "effect"
import * as Export from "./Export.js"
import * as encoding from "./internal/encode.js"
import * as internal from "./internal/source.js"
import { markOf, Window } from "./internal/window.js"
import type * as Output from "./Output.js"
import * as Summary from "./Summary.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options extends Omit<Export.Options, "summary"> {
  /**
   * Count into this summary as the export goes, following included: a progress display reads
   * its snapshots, and what it holds when following stops (or is stopped) is what was done.
   */
  readonly summary?: Ref.Ref<FollowSummary> | undefined
  /** Time between polls of the followed runs. */
  readonly poll?: Duration.DurationInput | undefined
  /** Stop following after this long; steps that have not settled by then are not written. */
  readonly timeout?: Duration.DurationInput | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface FollowSummary extends Summary.Summary {
  /** Polls made after the first pass. */
  polls: number
  /** Runs still not terminal when following stopped. */
  unfinished: number
  /** Runs that appeared after the first pass and were followed. */
  newRuns: number
}

/**
 * A follow summary with nothing counted yet.
 *
 * @since 0.4.0
 * @category constructors
 */
export const empty = (output: string): FollowSummary => ({ ...Summary.empty(output), polls: 0, unfinished: 0, newRuns: 0 })

/**
 * Statuses that will not change any more (`StepRecord.isSettled`).
 *
 * @since 0.1.0
 * @category predicates
 */
export const isSettled: (status: StepRecord.Status) => boolean = StepRecord.isSettled

interface Followed {
  run: WorkflowProvider.RunRef
  readonly written: Set<number>
  counted: boolean
}

interface Fresh extends encoding.Encoded {
  readonly ended: boolean
  readonly indexes: ReadonlyArray<number>
}

/**
 * Exports the sources, then follows their unfinished runs and the runs created meanwhile.
 * Commits the output however it ends.
 *
 * @since 0.1.0
 * @category running
 */
export const run = (
  sources: ReadonlyArray<Export.Source>,
  output: Output.Output,
  options: Options = {}
): Effect.Effect<FollowSummary, PE.ProviderError | Output.OutputError | Export.SourceError> => {
  let committed = false
  const commit = Effect.suspend(() => {
    if (committed) return Effect.void
    committed = true
    return output.commit
  })
  return follow(sources, output, options, commit).pipe(
    Effect.onExit((exit) =>
      Exit.isSuccess(exit) ? Effect.void : commit.pipe(
        // a reader that stopped reading must not hold up the exit
        Effect.timeout("10 seconds"),
        Effect.catchAll((e) => Effect.logError(`could not commit what was followed: ${e.message}`))
      )
    )
  )
}

const follow = (
  sources: ReadonlyArray<Export.Source>,
  output: Output.Output,
  options: Options,
  commit: Effect.Effect<void, Output.OutputError>
) =>
  Effect.gen(function*() {
    const format = options.format ?? "ndjson"
    const poll = Duration.decode(options.poll ?? "5 seconds")
    const summary = yield* internal.summaryRef(options.summary, () => empty(output.target), output.target)
    const note = (f: (s: FollowSummary) => Partial<FollowSummary>) => Ref.update(summary, (s) => ({ ...s, ...f(s) }))
    const margin = internal.latenessMillis(options)
    const started = yield* Clock.currentTimeMillis
    const followed = sources.map(() => new Map<string, Followed>())
    // what listing sources have seen, so a poll's listing tells new runs from known ones
    const windows = sources.map((s) => (internal.isExplicit(s) ? undefined : new Window(margin)))

    // Writes the records of a run not written yet: settled ones, or all once the run ended.
    const work = (source: Export.Source, f: Followed) =>
      // a run's records are looked at whole here: whether the run ended decides which are due
      Effect.zipWith(WorkflowProvider.collect(internal.recordsOf(source, f.run, options)), Clock.currentTimeMillis, (records, now): Fresh => {
        const ended = f.run.terminal || records.some((r) => StepRecord.isTerminal(r.run_status))
        const fresh = records.filter((r) => !f.written.has(r.step_index) && (ended || isSettled(r.status)))
        return { ended, indexes: fresh.map((r) => r.step_index), ...encoding.encode(format, fresh, new Date(now).toISOString()) }
      })
    const handled = (i: number, f: Followed, fresh: Fresh) =>
      Effect.zipRight(internal.countRun(summary, f.run.provider, fresh.counts, !f.counted), Effect.sync(() => {
        for (const index of fresh.indexes) f.written.add(index)
        f.counted = true
        if (fresh.ended) {
          followed[i]!.delete(f.run.id)
          windows[i]?.add({ ...f.run, terminal: true }, markOf(f.run, 0))
        } else {
          followed[i]!.set(f.run.id, f)
          windows[i]?.add(f.run, markOf(f.run, 0))
        }
      }))
    const pass = (source: Export.Source, i: number, runs: Stream.Stream<Followed, PE.ProviderError>) =>
      internal.writeInOrder({
        items: runs,
        fetch: (f) => work(source, f),
        output,
        fetchOptions: options,
        after: (f, fresh) => handled(i, f, fresh!)
      })
    const fresh = (run: WorkflowProvider.RunRef): Followed => ({ run, written: new Set(), counted: false })

    // a gzip member is closed after each pass that wrote records: a reader of the stream as it
    // comes (stdout) can decode everything up to the last poll
    let steps = (yield* Ref.get(summary)).steps
    const settle = Effect.flatMap(Ref.get(summary), (s) => {
      if (s.steps === steps) return Effect.void
      steps = s.steps
      return output.flush
    })
    yield* internal.writeText(output, encoding.header(format))
    const failures = yield* internal.eachSource(sources, (source, i) => pass(source, i, Stream.map(Export.runsOf(source), fresh)))
    yield* settle

    // One poll of a source: its followed runs looked up at once, and one listing for the runs
    // created since following began (and, where a lookup could not tell a run's status, to
    // find it), joined by id.
    const pollSource = (source: Export.Source, i: number) =>
      Effect.gen(function*() {
        const open = [...followed[i]!.values()]
        const refs = open.length === 0 ? [] : yield* source.provider.lookup(source.workflow, open.map((f) => f.run.id), {
          locators: internal.locatorsOf(open.map((f) => f.run))
        })
        const unknown = new Set(refs.filter((r) => r.status === "unknown").map((r) => r.id))
        const window = windows[i]
        const since = window === undefined ? undefined : newest(source.filter?.since, window.since() ?? new Date(started - margin))
        const listed = new Map<string, WorkflowProvider.RunRef>()
        const added: Array<Followed> = []
        if (window !== undefined || unknown.size > 0) {
          const filter = unknown.size > 0 ? source.filter : { ...source.filter, since }
          yield* Stream.runForEach(internal.listing(source, filter), (run) =>
            Effect.sync(() => {
              if (unknown.has(run.id)) listed.set(run.id, run)
              const created = run.createdAt === null ? NaN : Date.parse(run.createdAt)
              if (
                window !== undefined && since !== undefined && !followed[i]!.has(run.id) && !window.isRecent(run.id) &&
                created >= since.getTime()
              ) added.push(fresh(run))
            }))
        }
        open.forEach((f, k) => {
          const ref = refs[k]!
          f.run = ref.status === "unknown" ? (listed.get(ref.id) ?? ref) : ref
        })
        yield* note((s) => ({ newRuns: s.newRuns + added.length }))
        yield* pass(source, i, Stream.fromIterable([...open, ...added]))
      })

    const deadline = options.timeout === undefined ? Infinity : started + Duration.toMillis(Duration.decode(options.timeout))
    const remaining = () => followed.reduce((n, m) => n + m.size, 0)
    const live = sources.map((_, i) => !failures.some((f) => f.index === i))
    // a listing source is watched for new runs until the time limit (or an interruption);
    // explicit runs are followed until they are terminal
    yield* note(() => ({ unfinished: remaining() }))
    const watching = () => windows.some((w, i) => w !== undefined && live[i])
    const pollAll = Effect.gen(function*() {
      yield* note((s) => ({ polls: s.polls + 1 }))
      for (let i = 0; i < sources.length; i++) {
        if (live[i]) yield* named(sources, i, pollSource(sources[i]!, i))
      }
      yield* settle
      yield* note(() => ({ unfinished: remaining() }))
    })
    // a poll every `poll`, the last wait ending at the deadline itself (a last poll writes what
    // settled by then), while runs are followed or a listing watched; the pass above was the first
    const waits = Schedule.spaced(poll).pipe(
      Schedule.modifyDelayEffect((_, delay) =>
        Effect.map(Clock.currentTimeMillis, (now) => Duration.millis(Math.min(Duration.toMillis(delay), deadline - now)))
      )
    )
    let first = true
    yield* Effect.repeat(Effect.suspend(() => (first ? Effect.sync(() => void (first = false)) : pollAll)), {
      schedule: waits,
      while: () => Effect.map(Clock.currentTimeMillis, (now) => (remaining() > 0 || watching()) && now < deadline)
    })
    yield* note(() => ({ unfinished: remaining() }))
    yield* commit
    const final = yield* internal.finalSummary(summary, output.bytes())
    if (failures.length > 0) return yield* Effect.fail(internal.failureOf(sources, failures))
    return final
  })

const newest = (a: Date | undefined, b: Date): Date => (a === undefined || b > a ? b : a)

/** A failed poll ends following; it is named when the source has a name or has company. */
const named = <A, E, R>(sources: ReadonlyArray<Export.Source>, i: number, effect: Effect.Effect<A, PE.ProviderError | E, R>) =>
  sources.length === 1 && sources[0]!.name === undefined
    ? effect
    : Effect.catchIf(effect, Schema.is(PE.ProviderError), (error) => Effect.fail(internal.failureOf(sources, [{ index: i, error }])))
