/**
 * Flags shared by every export subcommand, and their validation into library options.
 */
import { RateBudget, type WorkflowProvider } from "@steptrail/core"
import { Export, Follow, Output, Progress, Redaction, Summary } from "@steptrail/export"
import { Duration, Effect, Either, Fiber, Option } from "effect"
import { UsageError } from "../Failure.js"
import * as TerminalText from "../TerminalText.js"
import type { CommonFlags } from "./Flags.js"

/** The export flags once a config file's values and the defaults are applied. */
export interface ExportFlags extends Omit<CommonFlags, "concurrency"> {
  readonly concurrency: number
}

export const usage = (message: string) => Effect.fail(new UsageError({ message }))

/**
 * @effect/cli drops an empty value of a repeated option (`--instance ""` would silently mean
 * "every instance"), so an empty id is looked for in the raw arguments and refused.
 */
export const refuseEmptyIds = (flag: string, argv: ReadonlyArray<string> = process.argv) => {
  const i = argv.findIndex((arg, k) => arg === flag && k + 1 < argv.length && argv[k + 1]!.trim() === "")
  return i === -1 ? Effect.void : usage(`${flag} must not be empty`)
}

/** What the credentials' budgets held the export back, one line each, for the summary. */
const waited = Effect.flatMap(RateBudget.Budgets, (budgets) => budgets.entries).pipe(
  Effect.flatMap(Effect.forEach((entry) => entry.budget.status)),
  Effect.map((statuses) => statuses.flatMap((status) => RateBudget.formatWaited(status) ?? []).map((line) => `\n  ${line}`).join(""))
)

/** Runs an export of the sources into stdout or --out and prints the summary on stderr. */
export const runExport = (
  sources: ReadonlyArray<Export.Source>,
  flags: ExportFlags,
  options: { readonly fullOutput?: boolean }
) =>
  Effect.scoped(Effect.gen(function*() {
    // gzip under a name that does not say so would mislead whoever opens the file next
    if (flags.gzip && Option.isSome(flags.out) && !Output.isGzipPath(flags.out.value)) {
      return yield* usage(`--gzip writes gzip: name the output FILE.gz, not ${JSON.stringify(flags.out.value)} (or drop --gzip)`)
    }
    const live = Summary.empty("stdout")
    let total: number | undefined
    const progress = flags.quiet ? undefined : yield* Effect.forkScoped(Progress.report(live, {
      tty: process.stderr.isTTY === true,
      stream: TerminalText.stream(process.stderr),
      totalRuns: () => total
    }))
    if (progress !== undefined && !flags.follow && Option.isNone(flags.state)) {
      // runs to come, where every source can tell (explicit ids, or one cheap count request);
      // in the background, and a failure only leaves the total unknown
      yield* Effect.forkScoped(
        Effect.forEach(sources, (s) =>
          (s.runIds?.length ?? 0) > 0
            ? Effect.succeed(s.runIds!.length)
            : s.provider.count === undefined
            ? Effect.succeed(undefined)
            : s.provider.count(s.workflow, s.filter)).pipe(
            Effect.map((counts) => counts.every((c) => c !== undefined) ? counts.reduce((a, b) => a! + b!, 0) : undefined),
            Effect.map((n) => {
              total = n
            }),
            Effect.ignore
          )
      )
    }
    // the progress line goes before the summary is printed
    const stopProgress = progress === undefined ? Effect.void : Fiber.interrupt(progress)
    yield* refuseEmptyIds("--redact")
    const paths = Redaction.parseAll(flags.redact)
    if (Either.isLeft(paths)) return yield* usage(paths.left)
    const gz = flags.gzip || (Option.isSome(flags.out) && Output.isGzipPath(flags.out.value))
    if (gz && Option.isNone(flags.out) && process.stdout.isTTY === true) {
      return yield* usage("--gzip would write binary data to a terminal; redirect stdout or use --out FILE")
    }
    const exportOptions = {
      concurrency: flags.concurrency,
      fullOutput: options.fullOutput,
      summary: live,
      redact: paths.right,
      format: flags.format
    }
    const open = Option.isSome(flags.out)
      ? Output.file(flags.out.value, { gzip: gz })
      : Effect.succeed(Output.stdout(process.stdout, 0, { gzip: gz }))
    if (flags.follow) {
      if (Option.isSome(flags.state)) return yield* usage("--follow cannot be combined with --state: a followed export writes each step once, as it settles")
      if (flags.format !== "ndjson") return yield* usage("--follow writes NDJSON only; drop --format singer")
      if (flags.pollInterval < 1 || flags.pollInterval > 3600) return yield* usage(`--poll-interval must be between 1 and 3600 seconds, got ${flags.pollInterval}`)
      const summary = yield* Effect.scoped(
        Effect.gen(function*() {
          const output = yield* open
          return yield* Follow.run(sources, output, {
            ...exportOptions,
            poll: Duration.seconds(flags.pollInterval),
            timeout: Option.getOrUndefined(Option.map(flags.followTimeout, Duration.seconds))
          })
        })
      )
      if (!flags.quiet) {
        yield* stopProgress
        const note = summary.unfinished > 0 ? `\n  follow time limit reached: ${summary.unfinished} runs still not terminal` : ""
        process.stderr.write(TerminalText.escape(Summary.format(summary) + note + (yield* waited)) + "\n")
      }
      return summary
    }
    if (Option.isSome(flags.state)) {
      const summary = yield* Export.runWithState(sources, {
        ...exportOptions,
        state: flags.state.value,
        out: Option.getOrUndefined(flags.out),
        gzip: gz
      })
      if (!flags.quiet) {
        yield* stopProgress
        const notes = [
          summary.resumedRuns > 0 ? `${summary.resumedRuns} runs already written before an interruption` : "",
          summary.unchangedRuns > 0 ? `${summary.unchangedRuns} runs unchanged since the last export` : ""
        ].filter((n) => n !== "")
        process.stderr.write(
          TerminalText.escape(Summary.format(summary) + (notes.length > 0 ? `\n  skipped: ${notes.join("; ")}` : "") + (yield* waited)) + "\n"
        )
      }
      return summary
    }
    const summary = yield* Effect.scoped(
      Effect.gen(function*() {
        const output = yield* open
        return yield* Export.run(sources, output, exportOptions)
      })
    )
    yield* stopProgress
    if (!flags.quiet) process.stderr.write(TerminalText.escape(Summary.format(summary) + (yield* waited)) + "\n")
    return summary
  }))

export type { WorkflowProvider }
