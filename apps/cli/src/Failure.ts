/**
 * Every way the CLI can end, as one line on stderr and a contract exit code. Nothing here
 * prints a stack trace or a secret: messages are built from typed errors' own fields.
 */
import { HelpDoc, ValidationError } from "@effect/cli"
import { ProviderError } from "@steptrail/core"
import type { Database } from "@steptrail/database"
import type { Export, Lock, Output, State } from "@steptrail/export"
import { Cause, Effect, Match, Option, Schema } from "effect"
import type { CommandSpec } from "./CommandSpec.js"

export interface Failure {
  readonly code: number
  /** Null when none is due. */
  readonly line: string | null
}

/** Input refused by the CLI itself, before any provider is involved: exit 2. */
export class UsageError extends Schema.TaggedError<UsageError>()("UsageError", {
  message: Schema.String
}) {}

/**
 * A credential the command needs is not set (a variable named on the command line, in the
 * environment or in a `--config` file): exit 3, like every authentication failure.
 */
export class MissingCredentials extends Schema.TaggedError<MissingCredentials>()("MissingCredentials", {
  /** Where it was needed: a provider, or a config file's source. */
  source: Schema.String,
  /** The environment variables that would provide it. */
  variables: Schema.Array(Schema.String)
}) {
  override get message() {
    const names = this.variables.length === 1 ? `variable ${this.variables[0]} is` : `variables ${this.variables.join(", ")} are`
    return `${this.source}: credentials ${names} not set`
  }
}

/** Fails with a `UsageError` saying `message`. */
export const usage = (message: string) => Effect.fail(new UsageError({ message }))

/** The emulator's failure (its module is loaded only by the commands that run it). */
interface EmulatorError {
  readonly _tag: "EmulatorError"
  readonly reason: string
  readonly message: string
}

/** Every error a command may end with, by its tag. */
type Known =
  | UsageError
  | MissingCredentials
  | Output.OutputError
  | State.StateError
  | Lock.LockedError
  | Export.SourceError
  | ProviderError.ProviderError
  | EmulatorError
  | Database.DatabaseError

const knownTags = new Set<string>([
  "UsageError", "MissingCredentials", "OutputError", "StateError", "LockedError", "SourceError", "EmulatorError", "DatabaseError",
  "Unauthorized", "NotFound", "RateLimited", "Unavailable", "InvalidRequest", "DecodeFailure", "UnexpectedResponse"
])

const isKnown = (error: unknown): error is Known =>
  typeof error === "object" && error !== null && knownTags.has((error as { _tag?: unknown })._tag as string)

const line = (error: { readonly message: string }) => oneLine(error.message)

/** The exit code and line of each kind of error (docs/errors.md). */
const known: (error: Known) => Failure = Match.type<Known>().pipe(
  Match.tags({
    UsageError: (e) => ({ code: 2, line: line(e) }),
    MissingCredentials: (e) => ({ code: 3, line: line(e) }),
    // a reader that closed the pipe (`| head`) wanted no more: not a failure
    OutputError: (e) => (e.reason === "closed" ? { code: 0, line: null } : { code: e.reason === "open" ? 2 : 1, line: line(e) }),
    // a --state that cannot be used (created, read, understood) is a usage error; a save that fails, a write error
    StateError: (e) => ({ code: e.reason === "write" ? 1 : 2, line: line(e) }),
    LockedError: (e) => ({ code: 2, line: line(e) }),
    SourceError: (e) => ({ code: e.exitCode, line: line(e) }),
    DatabaseError: (e) => ({ code: e.exitCode, line: line(e) }),
    EmulatorError: (e) => ({ code: e.reason === "InvalidOptions" ? 2 : 1, line: line(e) })
  }),
  Match.orElse((e) => ({ code: ProviderError.exitCode(e), line: line(e) }))
)

/**
 * What a command line @effect/cli refused is called: `Launch` checks every command line
 * against the spec first, so this is for what the spec cannot say. Its words are shown as
 * they are, never read.
 */
export type ParseError = (error: ValidationError.ValidationError) => string

/** @effect/cli's words for a parse error, as plain text on one line. */
const wordsOf = (error: ValidationError.ValidationError) => oneLine(HelpDoc.toAnsiText(error.error).replace(/\x1b\[[0-9;]*m/g, ""))

/** @effect/cli's own words for a parse error it found, for `command`. */
export const parseError = (command: CommandSpec): ParseError => (error) => {
  const text = wordsOf(error)
  return `invalid command line${text === "" ? "" : ` (${text})`}; see ${command.path.join(" ")} --help`
}

const tagged = (error: unknown, parse: ParseError): Failure => {
  if (ValidationError.isValidationError(error)) return { code: 2, line: parse(error) }
  if (isKnown(error)) return known(error)
  return { code: 1, line: `internal error: ${oneLine((error as { message?: string } | null)?.message ?? String(error))}` }
}

export const oneLine = (text: string): string => text.replace(/\s+/g, " ").trim()

const unexplained: ParseError = (error) => `invalid command line (${wordsOf(error)})`

export const fromCause = (cause: Cause.Cause<unknown>, parse: ParseError = unexplained): Failure => {
  if (Cause.isInterruptedOnly(cause)) return { code: 130, line: null }
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) return tagged(failure.value, parse)
  const defect = Cause.dieOption(cause)
  if (Option.isSome(defect)) return tagged(defect.value, parse)
  return { code: 1, line: "internal error" }
}
