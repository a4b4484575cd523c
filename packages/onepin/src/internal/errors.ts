import { ErrorBody as FastApi, type ProviderClient } from "@steptrail/core"
import { Either, Schema } from "effect"
import { ErrorBody } from "../OnepinSchema.js"

const decodeBody = Schema.decodeUnknownEither(Schema.parseJson(ErrorBody))

/** @internal */
export const REQUIRED_VERSION_HEADER = "x-onepin-required-version"

/**
 * Onepin answers in two shapes (FastAPI's `{detail}` for validation, its own `{error: {...}}`);
 * both are read and the offending field named. A 426 says this client is too old: the
 * version it needs is in a header, not the body.
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
  const fastApi = FastApi.fastApi(answer)
  if (fastApi !== undefined) return fastApi
  const parsed = decodeBody(answer.body)
  if (Either.isLeft(parsed)) return { detail: FastApi.statusText(answer.status) }
  const { code, details, message } = parsed.right.error
  const first = details?.[0]
  if (first !== undefined && (first.field != null || first.message != null)) {
    return FastApi.first(first.field ?? undefined, first.message ?? message ?? "invalid value", details!.length)
  }
  const text = message ?? code ?? FastApi.statusText(answer.status)
  return { detail: code != null && message != null ? `${text} (${code})` : text }
}
