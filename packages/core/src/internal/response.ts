/**
 * Reading answers: bodies within a size limit, error bodies in part, statuses and transport
 * failures as `ProviderError`s.
 *
 * @internal
 */
import type { HttpClientResponse } from "@effect/platform"
import { Effect, Option, Stream } from "effect"
import {
  DecodeFailure,
  InvalidRequest,
  NotFound,
  type ProviderError,
  RateLimited,
  Unauthorized,
  Unavailable,
  UnexpectedResponse
} from "../ProviderError.js"
import * as Retry from "../Retry.js"

/** @internal */
export const utf8: { readonly decode: (bytes: Uint8Array) => string } = new TextDecoder("utf-8", { fatal: false })

/** Of an error body, only this much is read: enough to describe it, never a runaway. */
const ERROR_BODY_BYTES = 64 * 1024

/** @internal */
export const oneLine = (text: string, max = 300): string => {
  const line = text.replace(/\s+/g, " ").trim()
  return line.length > max ? `${line.slice(0, max)}...` : line
}

/** @internal */
export interface ErrorAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string
}

/** @internal */
export interface Described {
  readonly detail: string
  readonly field?: string | undefined
}

/** @internal */
export const errorText = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<string> =>
  response.stream.pipe(
    Stream.runFoldWhile(
      { size: 0, parts: [] as Array<Uint8Array> },
      (acc) => acc.size < ERROR_BODY_BYTES,
      (acc, chunk) => {
        acc.parts.push(chunk)
        acc.size += chunk.length
        return acc
      }
    ),
    Effect.map(({ parts, size }) => utf8.decode(Buffer.concat(parts, size)).slice(0, ERROR_BODY_BYTES)),
    Effect.orElseSucceed(() => "")
  )

/** @internal */
export const errorFor = (provider: string, answer: ErrorAnswer, described: Described, now: number): ProviderError => {
  const { status } = answer
  const detail = oneLine(described.detail)
  const retryAfterMs = Option.getOrUndefined(Retry.parseRetryAfter(answer.headers["retry-after"], now))
  if (status === 401 || status === 403) return new Unauthorized({ provider, status, detail })
  if (status === 404) return new NotFound({ provider, status, detail })
  if (status === 429) return new RateLimited({ provider, detail, retryAfterMs })
  if (status === 408 || status >= 500) return new Unavailable({ provider, status, detail, retryAfterMs })
  if (status === 400 || status === 422) return new InvalidRequest({ provider, status, detail, field: described.field })
  return new UnexpectedResponse({ provider, status, detail })
}

/** Transport error codes, in words (the code stays in brackets for searching). */
const transportWords: Readonly<Record<string, string>> = {
  UND_ERR_SOCKET: "the connection was closed by the server",
  ECONNRESET: "the connection was reset",
  ECONNREFUSED: "connection refused",
  ENOTFOUND: "host not found",
  EAI_AGAIN: "host name lookup failed",
  ETIMEDOUT: "the connection timed out",
  UND_ERR_CONNECT_TIMEOUT: "the connection timed out",
  EHOSTUNREACH: "host unreachable",
  ENETUNREACH: "network unreachable",
  UND_ERR_HEADERS_OVERFLOW: "the response headers are too large"
}

/** @internal */
export const transportDetail = (error: unknown): string => {
  const cause = (error as { cause?: unknown }).cause
  const inner = (cause as { cause?: { code?: string; message?: string } } | undefined)?.cause
  const code = inner?.code ?? (cause as { code?: string } | undefined)?.code
  const message = inner?.message ?? (cause as { message?: string } | undefined)?.message
  if (code !== undefined && transportWords[code] !== undefined) return `${transportWords[code]} (${code})`
  return oneLine(code ?? message ?? "connection failed")
}

/**
 * The whole body, refused once it passes `maxBytes`. A declared length within the limit is
 * read in one go (framing stops a longer body); without one, it is counted as it streams in.
 *
 * @internal
 */
export const readBody = (
  response: HttpClientResponse.HttpClientResponse,
  maxBytes: number,
  provider: string,
  endpoint: string
): Effect.Effect<Uint8Array, ProviderError> => {
  const declared = Number(response.headers["content-length"])
  const tooBig = (detail: string) => new DecodeFailure({ provider, endpoint, path: "$", detail })
  if (Number.isFinite(declared) && declared > maxBytes) {
    return Effect.fail(tooBig(`body of ${declared} bytes exceeds the ${maxBytes}-byte limit`))
  }
  const cut = () => new Unavailable({ provider, detail: "the connection closed before the body was complete" })
  if (Number.isFinite(declared)) {
    return Effect.mapBoth(response.arrayBuffer, { onFailure: cut, onSuccess: (buffer) => new Uint8Array(buffer) })
  }
  return response.stream.pipe(
    Stream.mapError(cut),
    Stream.runFoldEffect({ size: 0, parts: [] as Array<Uint8Array> }, (acc, chunk) => {
      acc.size += chunk.length
      if (acc.size > maxBytes) return Effect.fail<ProviderError>(tooBig(`body exceeds the ${maxBytes}-byte limit`))
      acc.parts.push(chunk)
      return Effect.succeed(acc)
    }),
    Effect.map(({ parts, size }) => (parts.length === 1 ? parts[0]! : Buffer.concat(parts, size)))
  )
}
