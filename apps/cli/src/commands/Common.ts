/**
 * What every export subcommand shares once its flags are parsed: the usage errors, and the
 * validation of the export flags into an `ExportJob`.
 */
import { type Export, ExportJob, Output, Progress, Redaction } from "@steptrail/export"
import { Duration, Effect, Either, Option } from "effect"
import * as path from "node:path"
import { usage } from "../Failure.js"
import { Stdio } from "../Stdio.js"
import type { CommonFlags } from "./Flags.js"

/** Whether an `--out` names a database (docs/database.md) rather than a file. */
export const isDatabaseOut = (out: string): boolean => /^(sqlite:|postgres(ql)?:\/\/)/i.test(out)

/**
 * A config file's `out`, relative to the file's directory: a file path or a `sqlite:` path
 * (a PostgreSQL URL names no path).
 */
export const outRelativeTo = (dir: string, out: string): string => {
  const sqlite = /^sqlite:(?!\/\/)/i.exec(out)
  if (sqlite !== null) {
    const file = out.slice(sqlite[0].length)
    return file === "" || path.isAbsolute(file) ? out : `${sqlite[0]}${path.join(dir, file)}`
  }
  return isDatabaseOut(out) || path.isAbsolute(out) ? out : path.join(dir, out)
}

/** The export flags once a config file's values and the defaults are applied. */
export interface ExportFlags extends Omit<CommonFlags, "concurrency"> {
  readonly concurrency: number
}

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
    const out = Option.getOrUndefined(flags.out)
    // a database keeps the state itself; its module and drivers are loaded only when asked for
    const database = out !== undefined && isDatabaseOut(out)
    if (database) {
      if (gzip) return yield* usage("--gzip compresses files; a database --out takes rows: drop --gzip")
      if (Option.isSome(flags.state)) return yield* usage("a database --out keeps its state in the database itself: drop --state")
      if (flags.format !== "ndjson") return yield* usage("--format singer writes files; a database --out takes rows: drop --format")
    }
    const into = database ? yield* Effect.flatMap(Effect.promise(() => import("./Database.js")), (m) => m.into(out!, sources)) : undefined
    if (flags.follow && !database) {
      if (Option.isSome(flags.state)) return yield* usage("--follow cannot be combined with --state: a followed export writes each step once, as it settles")
      if (flags.format !== "ndjson") return yield* usage("--follow writes NDJSON only; drop --format singer")
    }
    if (flags.follow && (flags.pollInterval < 1 || flags.pollInterval > 3600)) {
      return yield* usage(`--poll-interval must be between 1 and 3600 seconds, got ${flags.pollInterval}`)
    }
    return yield* ExportJob.run({
      sources,
      into,
      out: into === undefined ? out : undefined,
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
