import type { ProviderClient } from "@steptrail/core"
import { Either, Schema } from "effect"
import { STATUS_CODES } from "node:http"
import { ErrorBody } from "../OrchestraSchema.js"

const decodeErrorBody = Schema.decodeUnknownEither(Schema.parseJson(ErrorBody))

/** Where FastAPI says the value came from; the rest of `loc` is the field. */
const sources = new Set(["path", "query", "body", "header", "cookie"])

/** @internal */
export const fieldOf = (loc: ReadonlyArray<string | number> | undefined): string | undefined => {
  if (loc === undefined) return undefined
  const parts = loc.length > 0 && sources.has(String(loc[0])) ? loc.slice(1) : loc
  return parts.length > 0 ? parts.map(String).join(".") : undefined
}

/** @internal */
export const statusText = (status: number): string => STATUS_CODES[status] ?? `HTTP ${status}`

/**
 * Orchestra documents no error body; it is a FastAPI service, so `{"detail": "..."}` and
 * `{"detail": [{loc, msg, type}]}` are read, and anything else falls back to the status text.
 *
 * @internal
 */
export const describe = (answer: ProviderClient.ErrorAnswer): ProviderClient.Described => {
  const parsed = decodeErrorBody(answer.body)
  if (Either.isLeft(parsed)) return { detail: statusText(answer.status) }
  const detail = parsed.right.detail
  if (typeof detail === "string") return { detail: detail.trim() === "" ? statusText(answer.status) : detail }
  const first = detail[0]
  if (first === undefined) return { detail: statusText(answer.status) }
  const field = fieldOf(first.loc)
  const message = first.msg ?? first.type ?? "invalid value"
  const more = detail.length > 1 ? ` (and ${detail.length - 1} more)` : ""
  return { detail: `${field === undefined ? "" : `${field}: `}${message}${more}`, field }
}
