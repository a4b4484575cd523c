/**
 * Every way the CLI can end, as one line on stderr and a contract exit code. Nothing here
 * prints a stack trace or a secret: messages are built from typed errors' own fields.
 */
import { ValidationError } from "@effect/cli"
import { ProviderError } from "@steptrail/core"
import { Cause, Option, Schema } from "effect"
import { plainText } from "./CommandTree.js"

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

/** Turns @effect/cli's complaint about the command line into steptrail's one sentence. */
export type Explain = (cliMessage: string) => string

const tagged = (error: unknown, explain: Explain): Failure => {
  if (ValidationError.isValidationError(error)) {
    return { code: 2, line: explain(plainText((error as { readonly error?: Parameters<typeof plainText>[0] }).error)) }
  }
  const tag = (error as { _tag?: string } | null)?._tag
  const message = oneLine((error as { message?: string } | null)?.message ?? String(error))
  switch (tag) {
    case "UsageError":
      return { code: 2, line: message }
    case "MissingCredentials":
      return { code: 3, line: message }
    case "OutputError": {
      const reason = (error as { reason: string }).reason
      // a reader that closed the pipe (`| head`) wanted no more: not a failure
      if (reason === "closed") return { code: 0, line: null }
      return { code: reason === "open" ? 2 : 1, line: message }
    }
    case "StateError":
      // a --state that cannot be used (created, read, understood) is a usage error; a save that fails, a write error
      return { code: (error as { reason: string }).reason === "write" ? 1 : 2, line: message }
    case "EmulatorError":
      return { code: (error as { reason: string }).reason === "InvalidOptions" ? 2 : 1, line: message }
    case "LockedError":
      return { code: 2, line: message }
    case "SourceError":
    case "DatabaseError":
      return { code: (error as { exitCode: number }).exitCode, line: message }
    case "Unauthorized":
    case "NotFound":
    case "RateLimited":
    case "Unavailable":
    case "InvalidRequest":
    case "DecodeFailure":
    case "UnexpectedResponse":
      return { code: ProviderError.exitCode(error as ProviderError.ProviderError), line: message }
    default:
      return { code: 1, line: `internal error: ${message}` }
  }
}

export const oneLine = (text: string): string => text.replace(/\s+/g, " ").trim()

export const fromCause = (cause: Cause.Cause<unknown>, explain: Explain = oneLine): Failure => {
  if (Cause.isInterruptedOnly(cause)) return { code: 130, line: null }
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) return tagged(failure.value, explain)
  const defect = Cause.dieOption(cause)
  if (Option.isSome(defect)) return tagged(defect.value, explain)
  return { code: 1, line: "internal error" }
}
