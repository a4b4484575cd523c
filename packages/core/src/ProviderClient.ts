/**
 * The configured HTTP client every provider builds once: base URL in front, credentials on
 * every request, JSON accepted, non-2xx answers turned into `ProviderError`s, bodies size-
 * limited and decoded with a Schema, a timeout on each attempt and the shared retry policy
 * around it. A provider call is then one line.
 *
 * @since 0.1.0
 */
import { HttpClient, HttpClientRequest, type HttpClientResponse } from "@effect/platform"
import { Duration, Effect, Metric, Option, ParseResult, Redacted, Schema, Stream } from "effect"
import * as Deadline from "./internal/deadline.js"
import * as SchemaGuard from "./internal/schemaGuard.js"
import * as Metrics from "./Metrics.js"
import * as RateBudget from "./RateBudget.js"
import * as Retry from "./Retry.js"
import {
  DecodeFailure,
  InvalidRequest,
  isRetryable,
  NotFound,
  type ProviderError,
  RateLimited,
  Unauthorized,
  Unavailable,
  UnexpectedResponse,
  withRun
} from "./ProviderError.js"

/**
 * What a provider reads out of one of its error bodies.
 *
 * @since 0.1.0
 * @category models
 */
export interface Described {
  readonly detail: string
  readonly field?: string | undefined
}

/**
 * A non-2xx answer, for the provider to describe.
 *
 * @since 0.1.0
 * @category models
 */
export interface ErrorAnswer {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  /** The body as text, at most 64 KiB of it. */
  readonly body: string
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly provider: string
  readonly baseUrl: string
  /** Sent on every request; secrets stay `Redacted` until the request is built. */
  readonly headers: Readonly<Record<string, string | Redacted.Redacted<string>>>
  /** Turns a provider error body into one line (and the offending field, where named). */
  readonly describe: (answer: ErrorAnswer) => Described
  readonly retry?: Partial<Retry.Options> | undefined
  /** Per attempt: connection, headers and body. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Larger bodies are refused, never buffered whole. */
  readonly maxBodyBytes?: number | undefined
  /** Shared by every request to this provider: the rate budget and the 429 pause. */
  readonly budget?: RateBudget.RateBudget | undefined
}

/**
 * A request: path segments (each percent-encoded, so an id can never change the path), query
 * parameters (undefined ones dropped) and the run it concerns, for error messages.
 *
 * @since 0.1.0
 * @category models
 */
export interface Request {
  readonly path: ReadonlyArray<string>
  readonly query?: Readonly<Record<string, string | number | boolean | undefined>> | undefined
  readonly run?: string | undefined
}

/**
 * A raw body and its media type, for endpoints that may answer with bytes.
 *
 * @since 0.1.0
 * @category models
 */
export interface Body {
  readonly contentType: string
  readonly bytes: Uint8Array
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ProviderClient {
  readonly provider: string
  readonly json: <A, I>(request: Request, schema: Schema.Schema<A, I, never>) => Effect.Effect<A, ProviderError>
  readonly body: (request: Request) => Effect.Effect<Body, ProviderError>
}

/**
 * Step results are at most 1 MiB and a run's log holds previews; 64 MiB leaves ample room
 * while a runaway body fails fast instead of filling memory.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024

const decoder = new TextDecoder("utf-8", { fatal: false })

/** Of an error body, only this much is read: enough to describe it, never a runaway. */
const ERROR_BODY_BYTES = 64 * 1024

/**
 * Percent-encodes one path segment. `.` and `..` are refused: URL parsers resolve them (even
 * encoded), which would let an id climb the path.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encodeSegment = (provider: string, segment: string): Effect.Effect<string, InvalidRequest> =>
  segment === "" || segment === "." || segment === ".."
    ? Effect.fail(
      new InvalidRequest({ provider, detail: `path segment ${JSON.stringify(segment)} is not a valid id` })
    )
    : Effect.succeed(encodeURIComponent(segment))

const oneLine = (text: string, max = 300) => {
  const line = text.replace(/\s+/g, " ").trim()
  return line.length > max ? `${line.slice(0, max)}...` : line
}

const formatPath = (path: ReadonlyArray<PropertyKey>) =>
  "$" + path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")

/**
 * A decoder of one schema: the value, or a `DecodeFailure` naming the first bad field.
 *
 * @since 0.1.0
 * @category decoding
 */
export type Decoder<A> = (provider: string, input: unknown, runId?: string) => Effect.Effect<A, DecodeFailure>

/** Compiled once per schema: clients ask for a decoder on every request. */
const decoders = new WeakMap<Schema.Schema.AnyNoContext, Decoder<unknown>>()

/**
 * Schema decoding into a `DecodeFailure` that names the first bad field.
 *
 * A schema without transformations decodes an accepted value to itself, so a predicate
 * compiled from its AST answers the common case several times faster than the decoder; the
 * decoder still runs on whatever the predicate does not accept, and reports it. Undeclared
 * keys then stay on the value (the decoder would drop them): mappings read declared fields
 * only.
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode = <A, I>(schema: Schema.Schema<A, I, never>): Decoder<A> => {
  const known = decoders.get(schema)
  if (known !== undefined) return known as Decoder<A>
  const decoder = makeDecoder(schema)
  decoders.set(schema, decoder)
  return decoder
}

const makeDecoder = <A, I>(schema: Schema.Schema<A, I, never>): Decoder<A> => {
  const run = Schema.decodeUnknownEither(schema, { errors: "first", onExcessProperty: "ignore" })
  const accepts = SchemaGuard.compile(schema.ast)
  return (provider: string, input: unknown, runId?: string): Effect.Effect<A, DecodeFailure> => {
    if (accepts !== undefined && accepts(input)) return Effect.succeed(input as A)
    const result = run(input)
    if (result._tag === "Right") return Effect.succeed(result.right)
    const issue = ParseResult.ArrayFormatter.formatErrorSync(result.left)[0]
    return Effect.fail(
      new DecodeFailure({
        provider,
        path: issue ? formatPath(issue.path) : "$",
        detail: issue ? oneLine(issue.message) : "does not match the documented shape",
        run: runId
      })
    )
  }
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

const transportDetail = (error: unknown): string => {
  const cause = (error as { cause?: unknown }).cause
  const inner = (cause as { cause?: { code?: string; message?: string } } | undefined)?.cause
  const code = inner?.code ?? (cause as { code?: string } | undefined)?.code
  const message = inner?.message ?? (cause as { message?: string } | undefined)?.message
  if (code !== undefined && transportWords[code] !== undefined) return `${transportWords[code]} (${code})`
  return oneLine(code ?? message ?? "connection failed")
}

const errorFor = (provider: string, answer: ErrorAnswer, described: Described, now: number): ProviderError => {
  const { status } = answer
  const detail = oneLine(described.detail)
  const retryAfterMs = Option.getOrUndefined(Retry.parseRetryAfter(answer.headers["retry-after"], now))
  if (status === 401 || status === 403) return new Unauthorized({ provider, status, detail })
  if (status === 404) return new NotFound({ provider, detail })
  if (status === 429) return new RateLimited({ provider, detail, retryAfterMs })
  if (status === 408 || status >= 500) return new Unavailable({ provider, status, detail, retryAfterMs })
  if (status === 400 || status === 422) return new InvalidRequest({ provider, status, detail, field: described.field })
  return new UnexpectedResponse({ provider, status, detail })
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<ProviderClient, never, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const provider = options.provider
    const base = options.baseUrl.replace(/\/+$/, "")
    const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
    const timeout = Duration.decode(options.timeout ?? "30 seconds")
    const schedule = Retry.schedule(options.retry)
    const budget = options.budget
    // no spans or trace headers: per-request tracing is most of the client's cost and nothing reads it
    const client = (yield* HttpClient.HttpClient).pipe(
      HttpClient.withTracerDisabledWhen(() => true),
      HttpClient.withTracerPropagation(false)
    )

    const unavailable = (detail: string, status?: number) => new Unavailable({ provider, detail, status })

    // A header value HTTP cannot carry (a control character, a pasted newline, a non-Latin-1
    // character) would fail every attempt as a transport error: refuse it once, up front, as
    // the configuration problem it is, naming the header and never the value.
    const badHeader = Object.entries(options.headers).find(([, value]) =>
      /[\u0000-\u0008\u000a-\u001f\u007f]|[^\u0000-\u00ff]/.test(Redacted.isRedacted(value) ? Redacted.value(value) : value)
    )
    const headerRefused: ProviderError | undefined = badHeader === undefined
      ? undefined
      : Redacted.isRedacted(badHeader[1])
      ? new Unauthorized({
        provider,
        detail: `the credential sent as ${badHeader[0]} contains characters an HTTP header cannot carry (a pasted newline?)`
      })
      : new InvalidRequest({
        provider,
        detail: `the value sent as ${badHeader[0]} contains characters an HTTP header cannot carry`
      })

    // Secrets never reach an error message, even when a server echoes them back in a body.
    const secrets = Object.values(options.headers).flatMap((value) => {
      if (!Redacted.isRedacted(value)) return []
      const text = Redacted.value(value)
      const credential = /^\S+\s+(\S+)$/.exec(text.trim())?.[1] // the token of `Bearer <token>`
      return [text, text.trim(), ...(credential ? [credential] : [])].filter((secret) => secret.length > 0)
    })
    const scrub = (text: string) => secrets.reduce((acc, secret) => acc.split(secret).join("[redacted]"), text)
    const scrubbed = <E extends ProviderError>(error: E): E => {
      if (secrets.length === 0) return error
      const field = (error as { field?: unknown }).field
      const changes = {
        detail: scrub(error.detail),
        ...(typeof field === "string" ? { field: scrub(field) } : {})
      }
      return Object.assign(Object.create(Object.getPrototypeOf(error)), error, changes) as E
    }

    const errorText = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<string> =>
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
        Effect.map(({ parts, size }) => decoder.decode(Buffer.concat(parts, size)).slice(0, ERROR_BODY_BYTES)),
        Effect.orElseSucceed(() => "")
      )

    const readBody = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<Uint8Array, ProviderError> => {
      const declared = Number(response.headers["content-length"])
      if (Number.isFinite(declared) && declared > maxBytes) {
        return Effect.fail(
          new DecodeFailure({
            provider,
            path: "$",
            detail: `body of ${declared} bytes exceeds the ${maxBytes}-byte limit`,
            permanent: true
          })
        )
      }
      const cut = () => unavailable("the connection closed before the body was complete")
      // A declared length within the limit is read in one go (framing stops a longer body);
      // without one, the body is counted as it streams in.
      if (Number.isFinite(declared)) {
        return Effect.mapBoth(response.arrayBuffer, { onFailure: cut, onSuccess: (buffer) => new Uint8Array(buffer) })
      }
      return response.stream.pipe(
        Stream.mapError(cut),
        Stream.runFoldEffect({ size: 0, parts: [] as Array<Uint8Array> }, (acc, chunk) => {
          acc.size += chunk.length
          if (acc.size > maxBytes) {
            return Effect.fail<ProviderError>(
              new DecodeFailure({ provider, path: "$", detail: `body exceeds the ${maxBytes}-byte limit`, permanent: true })
            )
          }
          acc.parts.push(chunk)
          return Effect.succeed(acc)
        }),
        Effect.map(({ parts, size }) => (parts.length === 1 ? parts[0]! : Buffer.concat(parts, size)))
      )
    }

    const attempt = (request: Request, accept: string): Effect.Effect<Body, ProviderError> =>
      Effect.gen(function*() {
        if (headerRefused !== undefined) return yield* Effect.fail(headerRefused)
        const segments: Array<string> = []
        for (const segment of request.path) segments.push(yield* encodeSegment(provider, segment))
        const urlParams: Record<string, string> = {}
        for (const [k, v] of Object.entries(request.query ?? {})) if (v !== undefined) urlParams[k] = String(v)
        let req = HttpClientRequest.get(`${base}/${segments.join("/")}`, { urlParams, accept })
        for (const [name, value] of Object.entries(options.headers)) {
          req = HttpClientRequest.setHeader(req, name, Redacted.isRedacted(value) ? Redacted.value(value) : value)
        }
        const settle = budget ? yield* budget.take : undefined
        yield* Metric.increment(Metrics.requests)
        const response = yield* client.execute(req).pipe(
          Effect.mapError((e) => unavailable(transportDetail(e))),
          // the server counted the request somewhere between sending and answering: the
          // budget counts it from the answer, so a late request never lands in a window early
          Effect.ensuring(settle ?? Effect.void)
        )
        if (response.status < 200 || response.status >= 300) {
          const text = yield* errorText(response)
          const answer: ErrorAnswer = { status: response.status, headers: response.headers, body: text }
          const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
          const error = errorFor(provider, answer, options.describe(answer), now)
          if (budget && error._tag === "RateLimited") yield* budget.pause(error.retryAfterMs ?? 1000)
          return yield* Effect.fail(error)
        }
        const bytes = yield* readBody(response)
        return { contentType: response.headers["content-type"] ?? "", bytes }
      }).pipe((effect) =>
        Deadline.timeoutFail(effect, timeout, () => unavailable(`no complete answer within ${Duration.format(timeout)}`))
      )

    const countRetry = (e: ProviderError) =>
      isRetryable(e)
        ? Effect.zipRight(Metric.increment(Metrics.retries), Effect.logDebug(`${scrubbed(e).message}; retrying`))
        : Effect.void

    const fetch = (request: Request, accept: string) =>
      attempt(request, accept).pipe(
        Effect.tapError(countRetry),
        Effect.retry(schedule),
        Effect.mapError((e) => scrubbed(request.run === undefined ? e : withRun(e, request.run)))
      )

    const json = <A, I>(request: Request, schema: Schema.Schema<A, I, never>) => {
      const decodeWith = decode(schema)
      const parseAndDecode = (body: Body) => {
        if (!/json/i.test(body.contentType) && body.contentType !== "") {
          return Effect.fail(
            new DecodeFailure({ provider, path: "$", detail: `expected JSON, got ${oneLine(body.contentType, 60)}`, run: request.run })
          )
        }
        let value: unknown
        try {
          value = JSON.parse(decoder.decode(body.bytes))
        } catch (e) {
          return Effect.fail(
            new DecodeFailure({ provider, path: "$", detail: `body is not valid JSON (${oneLine(String((e as Error).message), 80)})`, run: request.run })
          )
        }
        return decodeWith(provider, value, request.run)
      }
      // A bad body is retried like a cut connection: both are usually transient.
      return attempt(request, "application/json").pipe(
        Effect.flatMap(parseAndDecode),
        Effect.tapError(countRetry),
        Effect.retry(schedule),
        Effect.mapError((e) => scrubbed(request.run === undefined ? e : withRun(e, request.run)))
      )
    }

    return {
      provider,
      json,
      body: (request) => fetch(request, "application/json, application/octet-stream")
    } satisfies ProviderClient
  })
