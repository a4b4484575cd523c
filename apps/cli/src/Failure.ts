/**
 * Every way the CLI can end, as one line on stderr and a contract exit code. Nothing here
 * prints a stack trace or a secret: messages are built from typed errors' own fields.
 */
import { ValidationError } from "@effect/cli"
import { ProviderError } from "@steptrail/core"
import { Cause, Option } from "effect"

export interface Failure {
  readonly code: number
  /** Null when the message was already printed (by @effect/cli) or none is due. */
  readonly line: string | null
}

/** Input refused by the CLI itself, before any provider is involved. */
export class UsageError extends Error {
  readonly _tag = "UsageError"
}

const tagged = (error: unknown): Failure => {
  if (ValidationError.isValidationError(error)) return { code: 2, line: null }
  const tag = (error as { _tag?: string } | null)?._tag
  const message = oneLine((error as { message?: string } | null)?.message ?? String(error))
  switch (tag) {
    case "UsageError":
      return { code: 2, line: message }
    case "OutputError": {
      const reason = (error as { reason: string }).reason
      // a reader that closed the pipe (`| head`) wanted no more: not a failure
      if (reason === "closed") return { code: 0, line: null }
      return { code: reason === "open" ? 2 : 1, line: message }
    }
    case "StateError":
      return { code: (error as { reason: string }).reason === "invalid" ? 2 : 1, line: message }
    case "EmulatorError":
      return { code: 1, line: message }
    case "LockedError":
      return { code: 2, line: message }
    case "SourceError":
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

export const fromCause = (cause: Cause.Cause<unknown>): Failure => {
  if (Cause.isInterruptedOnly(cause)) return { code: 130, line: null }
  const failure = Cause.failureOption(cause)
  if (Option.isSome(failure)) return tagged(failure.value)
  const defect = Cause.dieOption(cause)
  if (Option.isSome(defect)) return tagged(defect.value)
  return { code: 1, line: "internal error" }
}
