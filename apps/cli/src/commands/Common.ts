/**
 * What every export subcommand shares once its flags are parsed: the usage errors, and the
 * validation of the export flags into an `ExportJob`.
 */
import { type Export, ExportJob, Output, Progress, Redaction } from "@steptrail/export"
import { Duration, Effect, Either, Option } from "effect"
import * as path from "node:path"
import { UsageError } from "../Failure.js"
import { Stdio } from "../Stdio.js"
import type { CommonFlags } from "./Flags.js"

/** The export flags once a config file's values and the defaults are applied. */
export interface ExportFlags extends Omit<CommonFlags, "concurrency"> {
  readonly concurrency: number
}

export const usage = (message: string) => Effect.fail(new UsageError({ message }))

/** Validates the export flags and runs the export into stdout or --out; the summary goes to stderr. */
export const runExport = (
  sources: ReadonlyArray<Export.Source>,
  flags: ExportFlags,
  options: { readonly fullOutput?: boolean }
) =>
  Effect.gen(function*() {
    const stdio = yield* Stdio
    const paths = Redaction.parseAll(flags.redact)
    if (Either.isLeft(paths)) return yield* usage(paths.left)
    // gzip under a name that does not say so would mislead whoever opens the file next
    if (flags.gzip && Option.isSome(flags.out) && !Output.isGzipPath(flags.out.value)) {
      return yield* usage(`--gzip writes gzip: name the output FILE.gz, not ${JSON.stringify(flags.out.value)} (or drop --gzip)`)
    }
    // before any lock: the second lock would be refused naming this very process
    if (Option.isSome(flags.out) && Option.isSome(flags.state) && path.resolve(flags.out.value) === path.resolve(flags.state.value)) {
      return yield* usage(
        `--out and --state name the same file (${flags.out.value}): the records would overwrite the state; give each its own file`
      )
    }
    const gzip = flags.gzip || (Option.isSome(flags.out) && Output.isGzipPath(flags.out.value))
    if (gzip && Option.isNone(flags.out) && stdio.stdout.isTTY === true) {
      return yield* usage("--gzip would write binary data to a terminal; redirect stdout or use --out FILE")
    }
    if (flags.follow) {
      if (Option.isSome(flags.state)) return yield* usage("--follow cannot be combined with --state: a followed export writes each step once, as it settles")
      if (flags.format !== "ndjson") return yield* usage("--follow writes NDJSON only; drop --format singer")
      if (flags.pollInterval < 1 || flags.pollInterval > 3600) return yield* usage(`--poll-interval must be between 1 and 3600 seconds, got ${flags.pollInterval}`)
    }
    return yield* ExportJob.run({
      sources,
      out: Option.getOrUndefined(flags.out),
      state: Option.getOrUndefined(flags.state),
      gzip,
      format: flags.format,
      concurrency: flags.concurrency,
      fullOutput: options.fullOutput,
      redact: paths.right,
      follow: flags.follow
        ? { poll: Duration.seconds(flags.pollInterval), timeout: Option.getOrUndefined(Option.map(flags.followTimeout, Duration.seconds)) }
        : undefined,
      quiet: flags.quiet,
      stdout: stdio.stdout,
      // the progress line and the summary escape their text themselves (TerminalText)
      terminal: Progress.stderr(stdio.stderr)
    })
  })
