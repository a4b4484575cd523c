import type { ProviderClient } from "@steptrail/core"
import { Either, Schema } from "effect"
import { STATUS_CODES } from "node:http"
import { ErrorBody, ValidationBody } from "../OnepinSchema.js"

const decodeBody = Schema.decodeUnknownEither(Schema.parseJson(Schema.Union(ValidationBody, ErrorBody)))

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

const more = (count: number) => (count > 1 ? ` (and ${count - 1} more)` : "")

const named = (field: string | undefined, message: string) => (field === undefined ? message : `${field}: ${message}`)

/** @internal */
export const REQUIRED_VERSION_HEADER = "x-onepin-required-version"

/**
 * Onepin answers in two shapes (its own `{error: {...}}` and FastAPI's `{detail}` for
 * validation); both are read and the offending field named. A 426 says this client is too
 * old: the version it needs is in a header, not the body.
 *
 * @internal
 */
export const describe = (answer: ProviderClient.ErrorAnswer): ProviderClient.Described => {
  if (answer.status === 426) {
    const version = answer.headers[REQUIRED_VERSION_HEADER]?.trim()
    return {
      detail: version
        ? `this client is too old for the Onepin API (it requires version ${version})`
        : "this client is too old for the Onepin API"
    }
  }
  const parsed = decodeBody(answer.body)
  if (Either.isLeft(parsed)) return { detail: statusText(answer.status) }
  const body = parsed.right
  if ("detail" in body) {
    const detail = body.detail
    if (typeof detail === "string") return { detail: detail.trim() === "" ? statusText(answer.status) : detail }
    const first = detail[0]
    if (first === undefined) return { detail: statusText(answer.status) }
    const field = fieldOf(first.loc)
    return { detail: named(field, first.msg ?? first.type ?? "invalid value") + more(detail.length), field }
  }
  const { code, details, message } = body.error
  const first = details?.[0]
  if (first !== undefined && (first.field != null || first.message != null)) {
    const field = first.field ?? undefined
    return { detail: named(field, first.message ?? message ?? "invalid value") + more(details!.length), field }
  }
  const text = message ?? code ?? statusText(answer.status)
  return { detail: code != null && message != null ? `${text} (${code})` : text }
}
