/**
 * Error bodies of FastAPI-style APIs (Orchestra, Onepin): `{"detail": "..."}` or
 * `{"detail": [{loc, msg, type}]}`, read into one line and the field they name.
 *
 * @since 0.1.0
 */
import { Either, Schema } from "effect"
import { STATUS_CODES } from "node:http"
import type { Described, ErrorAnswer } from "./ProviderClient.js"

/**
 * One FastAPI validation issue.
 *
 * @since 0.1.0
 * @category schemas
 */
export const ValidationIssue = Schema.Struct({
  loc: Schema.optional(Schema.Array(Schema.Union(Schema.String, Schema.Number))),
  msg: Schema.optional(Schema.String),
  type: Schema.optional(Schema.String)
})

/**
 * `{"detail": "..."}` or `{"detail": [issues]}`.
 *
 * @since 0.1.0
 * @category schemas
 */
export const FastApi = Schema.Struct({
  detail: Schema.Union(Schema.String, Schema.Array(ValidationIssue))
})

/** Where FastAPI says the value came from; the rest of `loc` is the field. */
const sources = new Set(["path", "query", "body", "header", "cookie"])

/**
 * The field a `loc` names: `["query", "limit"]` is `limit`.
 *
 * @since 0.1.0
 * @category parsing
 */
export const fieldOf = (loc: ReadonlyArray<string | number> | undefined): string | undefined => {
  if (loc === undefined) return undefined
  const parts = loc.length > 0 && sources.has(String(loc[0])) ? loc.slice(1) : loc
  return parts.length > 0 ? parts.map(String).join(".") : undefined
}

/**
 * The reason phrase of a status, for bodies that say nothing usable.
 *
 * @since 0.1.0
 * @category formatting
 */
export const statusText = (status: number): string => STATUS_CODES[status] ?? `HTTP ${status}`

/**
 * The first of several issues, and how many more there are.
 *
 * @since 0.1.0
 * @category formatting
 */
export const first = (field: string | undefined, message: string, count: number): Described => ({
  detail: `${field === undefined ? "" : `${field}: `}${message}${count > 1 ? ` (and ${count - 1} more)` : ""}`,
  field
})

const decodeFastApi = Schema.decodeUnknownEither(Schema.parseJson(FastApi))

/**
 * Reads a FastAPI body; undefined when the body is not one.
 *
 * @since 0.1.0
 * @category parsing
 */
export const fastApi = (answer: ErrorAnswer): Described | undefined => {
  const parsed = decodeFastApi(answer.body)
  if (Either.isLeft(parsed)) return undefined
  const detail = parsed.right.detail
  if (typeof detail === "string") return { detail: detail.trim() === "" ? statusText(answer.status) : detail }
  const issue = detail[0]
  if (issue === undefined) return { detail: statusText(answer.status) }
  return first(fieldOf(issue.loc), issue.msg ?? issue.type ?? "invalid value", detail.length)
}

/**
 * A FastAPI body, or the status text.
 *
 * @since 0.1.0
 * @category parsing
 */
export const describe = (answer: ErrorAnswer): Described => fastApi(answer) ?? { detail: statusText(answer.status) }
