/**
 * One export as the command line runs it: the output (stdout or an atomic file, gzipped or
 * not), the state file, follow mode, the progress line and the summary, and the locks that
 * keep two exports off the same state file or output. A command-line front end validates its
 * flags and calls `run`.
 *
 * @since 0.2.0
 */
import { FileSystem, type Terminal } from "@effect/platform"
import { type ProviderError as PE, RateBudget } from "@steptrail/core"
import { Duration, Effect, Exit, Fiber, Ref } from "effect"
import * as Export from "./Export.js"
import * as Follow from "./Follow.js"
import * as Incremental from "./Incremental.js"
import * as Lock from "./Lock.js"
import * as Output from "./Output.js"
import * as Progress from "./Progress.js"
import * as State from "./State.js"
import type * as Store from "./Store.js"
import * as Summary from "./Summary.js"
import * as TerminalText from "./TerminalText.js"

/**
 * @since 0.2.0
 * @category models
 */
export interface Options<E = never> extends Pick<Export.Options, "format" | "concurrency" | "fullOutput" | "redact" | "bufferBytes" | "lateness"> {
  readonly sources: ReadonlyArray<Export.Source>
  /** The output file; undefined for stdout. */
  readonly out?: string | undefined
  /** The state file (incremental and resumable; see `Incremental`). */
  readonly state?: string | undefined
  /** Gzip the output (also when `out` ends in `.gz`). */
  readonly gzip?: boolean | undefined
  /** Follow runs that are not terminal (see `Follow`); not with `state`. */
  readonly follow?: {
    readonly poll?: Duration.DurationInput | undefined
    readonly timeout?: Duration.DurationInput | undefined
  } | undefined
  /** No progress line and no summary. */
  readonly quiet?: boolean | undefined
  /** Where progress and the summary are drawn (default: `Progress.stderr()`); their text is escaped (`TerminalText`). */
  readonly terminal?: Terminal.Terminal | undefined
  /** Where records go without `out` (default: `process.stdout`). */
  readonly stdout?: NodeJS.WritableStream | undefined
  /** How often a resumable export records its progress (see `Incremental.Options`). */
  readonly checkpointMillis?: number | undefined
  /**
   * A store to export into instead of `out` (a database, see `Store`): it keeps the state
   * itself, so `state`, `out`, `gzip` and `format` do not apply; `follow` passes again while
   * runs are not terminal (`Store.follow`).
   */
  readonly into?: Into<E> | undefined
}

/**
 * An export into a store, as `ExportJob` runs it: what the summary names, and the export.
 *
 * @since 0.3.0
 * @category models
 */
export interface Into<E> {
  readonly target: string
  readonly run: (options: Store.FollowOptions & { readonly follow: boolean }) => Effect.Effect<Store.Result, E>
}

/**
 * @since 0.2.0
 * @category models
 */
export type Error =
  | PE.ProviderError
  | Output.OutputError
  | State.StateError
  | Export.SourceError
  | Lock.LockedError

const stillOpen = (n: number) => `${Summary.count(n, "run")} still not terminal`

/** How long each credential's budget held the export back, for the summary. */
const waited = Effect.flatMap(RateBudget.Budgets, (budgets) => budgets.entries).pipe(
  Effect.flatMap(Effect.forEach((entry) => entry.budget.status)),
  Effect.map((statuses) => statuses.flatMap((status) => RateBudget.formatWaited(status) ?? []))
)

/** The summary's note of the runs a resumed or incremental export did not fetch. */
const skippedNote = (summary: { readonly resumedRuns: number; readonly unchangedRuns: number }, done: string): ReadonlyArray<string> => {
  const skipped = [
    summary.resumedRuns > 0 ? `${Summary.count(summary.resumedRuns, "run")} already ${done} before an interruption` : "",
    summary.unchangedRuns > 0 ? `${Summary.count(summary.unchangedRuns, "run")} unchanged since the last export` : ""
  ].filter((n) => n !== "")
  return skipped.length > 0 ? [`skipped: ${skipped.join("; ")}`] : []
}

/**
 * Runs the export and prints its summary (unless `quiet`). However a follow ends, what it
 * wrote is committed and the summary printed; the error or interruption is passed on.
 *
 * @since 0.2.0
 * @category running
 */
export const run = <E = never>(options: Options<E>): Effect.Effect<Summary.Summary, Error | E, FileSystem.FileSystem> =>
  Effect.scoped(Effect.gen(function*() {
    const terminal = options.terminal ?? Progress.stderr()
    const gzip = options.gzip === true || (options.out !== undefined && Output.isGzipPath(options.out))
    if (options.state !== undefined) {
      yield* Lock.acquire(options.state).pipe(
        Effect.catchTag("LockError", (e) => Effect.fail(new State.StateError({ path: options.state!, reason: "open", detail: Output.describe({ code: e.detail }) })))
      )
    }
    if (options.out !== undefined) {
      yield* Lock.acquire(options.out).pipe(
        Effect.catchTag("LockError", (e) => Effect.fail(new Output.OutputError({ target: options.out!, reason: "open", detail: Output.describe({ code: e.detail }) })))
      )
    }
    // what the export counts into and the progress display reads (a follow counts its polls too)
    const target = options.into?.target ?? options.out ?? "stdout"
    const live = yield* Ref.make(Summary.empty(target))
    const followed = yield* Ref.make(Follow.empty(target))
    // set by the fiber that counts, read by the progress display
    const total = yield* Ref.make<number | undefined>(undefined)
    const progress = options.quiet === true ? undefined : yield* Effect.forkScoped(
      Progress.report(options.follow === undefined || options.into !== undefined ? live : followed, { terminal, totalRuns: Ref.get(total) })
    )
    if (progress !== undefined && options.follow === undefined && options.state === undefined) {
      // runs to come, where every source can tell (explicit ids, or one cheap count request);
      // in the background, and a failure only leaves the total unknown
      yield* Effect.forkScoped(
        Effect.forEach(options.sources, (s) =>
          (s.runIds?.length ?? 0) > 0
            ? Effect.succeed(new Set(s.runIds).size)
            : s.provider.count === undefined
            ? Effect.succeed(undefined)
            : s.provider.count(s.workflow, s.filter)).pipe(
            Effect.map((counts) => (counts.every((c) => c !== undefined) ? counts.reduce((a, b) => a! + b!, 0) : undefined)),
            Effect.flatMap((n) => Ref.set(total, n)),
            Effect.ignore
          )
      )
    }
    // the progress line is cleared before the summary is printed
    const stopProgress = progress === undefined ? Effect.void : Fiber.interrupt(progress)
    const print = (summary: Summary.Summary, notes: ReadonlyArray<string>) =>
      options.quiet === true ? Effect.void : stopProgress.pipe(
        Effect.zipRight(waited),
        Effect.flatMap((waits) =>
          Effect.ignore(terminal.display(TerminalText.escape(Summary.format(summary) + [...notes, ...waits].map((n) => `\n  ${n}`).join("")) + "\n"))
        )
      )
    const exportOptions: Export.Options = {
      concurrency: options.concurrency,
      fullOutput: options.fullOutput,
      summary: live,
      redact: options.redact,
      format: options.format,
      lateness: options.lateness
    }
    if (options.into !== undefined) {
      const summary = yield* options.into.run({
        ...exportOptions,
        follow: options.follow !== undefined,
        poll: options.follow?.poll,
        timeout: options.follow?.timeout
      })
      yield* print(summary, skippedNote(summary, "committed"))
      return summary
    }
    const stdout = options.stdout ?? process.stdout
    const open = options.out !== undefined
      ? Output.file(options.out, { gzip })
      : Effect.succeed(Output.stdout(stdout, 0, { gzip })).pipe(
        // whatever ends the export, a gzip stream on stdout ends with a closed member
        Effect.tap((output) =>
          Effect.addFinalizer((exit) => (Exit.isSuccess(exit) ? Effect.void : Effect.ignore(Effect.timeout(output.flush, "10 seconds"))))
        )
      )

    if (options.follow !== undefined) {
      const follow = options.follow
      const output = yield* open
      const notes = (s: Follow.FollowSummary, stopped: string | undefined) => [
        ...(s.newRuns > 0 ? [`${Summary.count(s.newRuns, "run")} appeared while following`] : []),
        ...(stopped !== undefined ? [`${stopped}: ${stillOpen(s.unfinished)}; what was written is kept`] : []),
        ...(stopped === undefined && s.unfinished > 0 ? [`follow time limit reached: ${stillOpen(s.unfinished)}`] : [])
      ]
      const summary = yield* Follow.run(options.sources, output, {
        ...exportOptions,
        summary: followed,
        poll: follow.poll,
        timeout: follow.timeout
      }).pipe(
        Effect.onExit((exit) => {
          if (Exit.isSuccess(exit)) return Effect.void
          return Effect.flatMap(Ref.get(followed), (counted) => {
            const done = { ...counted, bytes: output.bytes() }
            return print(done, notes(done, Exit.isInterrupted(exit) ? "following stopped" : "following failed"))
          })
        })
      )
      yield* print(summary, notes(summary, undefined))
      return summary
    }
    if (options.state !== undefined) {
      const summary = yield* Incremental.run(options.sources, {
        ...exportOptions,
        state: options.state,
        out: options.out,
        gzip,
        stdout,
        checkpointMillis: options.checkpointMillis
      })
      yield* print(summary, skippedNote(summary, "written"))
      return summary
    }
    const summary = yield* Effect.scoped(Effect.flatMap(open, (output) => Export.run(options.sources, output, exportOptions)))
    yield* print(summary, [])
    return summary
  }))

