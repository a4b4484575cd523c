/**
 * The configured HTTP client every provider builds once, as a pipeline over `@effect/platform`'s
 * `HttpClient`: base URL and headers as request mappers, statuses turned into `ProviderError`s
 * as a response transform, then per request: the credential's rate budget (waited for outside
 * any timeout), the exchange under a timeout (from sending to the last byte of the body), the
 * body size limit, decoding, and one retry policy around it all.
 *
 * @since 0.1.0
 */
import { HttpClient, HttpClientRequest, type HttpClientResponse, UrlParams } from "@effect/platform"
import { Duration, Effect, Exit, FiberRef, LogLevel, Metric, Redacted, type Schema, type Scope } from "effect"
import * as Decode from "./internal/decode.js"
import * as Response from "./internal/response.js"
import * as Metrics from "./Metrics.js"
import * as RateBudget from "./RateBudget.js"
import * as Retry from "./Retry.js"
import { InvalidRequest, isRetryable, type ProviderError, Unauthorized, Unavailable, withContext } from "./ProviderError.js"

/**
 * What a provider reads out of one of its error bodies.
 *
 * @since 0.1.0
 * @category models
 */
export type Described = Response.Described

/**
 * A non-2xx answer, for the provider to describe: the body as text, at most 64 KiB of it.
 *
 * @since 0.1.0
 * @category models
 */
export type ErrorAnswer = Response.ErrorAnswer

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
  /** Per attempt: from sending the request to the last byte of its body. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Larger bodies are refused, never buffered whole. */
  readonly maxBodyBytes?: number | undefined
  /**
   * The credential's budget. One budget per provider, host and credential is shared through
   * `RateBudget.Budgets`, whichever client asks; undefined: unlimited (a 429 still pauses).
   */
  readonly budget?: RateBudget.Budget | undefined
}

/**
 * A request: path segments (each percent-encoded, so an id can never change the path), query
 * parameters (undefined ones dropped), and the workflow and run it concerns, for messages.
 *
 * @since 0.1.0
 * @category models
 */
export interface Request {
  readonly path: ReadonlyArray<string>
  /** Undefined values are left out; an array repeats the parameter (`status=a&status=b`). */
  readonly query?: Readonly<Record<string, string | number | boolean | undefined | ReadonlyArray<string | number | boolean>>> | undefined
  readonly workflow?: string | undefined
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
  /** `GET /path`, for messages about this body. */
  readonly endpoint: string
  readonly status: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface ProviderClient {
  readonly provider: string
  readonly budget: RateBudget.RateBudget
  /** A JSON body decoded with `schema`. */
  readonly json: <A, I>(request: Request, schema: Schema.Schema<A, I, never>) => Effect.Effect<A, ProviderError>
  /**
   * A body read by `parse`, under the same retry policy: a parse failure marked transient is
   * fetched again like a cut connection.
   */
  readonly get: <A>(
    request: Request,
    accept: string,
    parse: (body: Body) => Effect.Effect<A, ProviderError>
  ) => Effect.Effect<A, ProviderError>
}

/**
 * Step results are at most 1 MiB and a run's log holds previews; 64 MiB leaves ample room
 * while a runaway body fails fast instead of filling memory.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_MAX_BODY_BYTES = 64 * 1024 * 1024

/**
 * Without a `Retry-After`, a 429 pauses the credential this long, doubling while 429s follow
 * one another (up to a minute).
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_RATE_LIMIT_PAUSE = Duration.seconds(1)

/**
 * @since 0.1.0
 * @category decoding
 */
export type Decoder<A> = Decode.Decoder<A>

/**
 * Schema decoding into a `DecodeFailure` that names the first bad field (see `internal/decode`).
 *
 * @since 0.1.0
 * @category decoding
 */
export const decode: <A, I>(schema: Schema.Schema<A, I, never>) => Decoder<A> = Decode.decode

/**
 * A JSON body: parsed, then decoded. A body that is not JSON (cut short, an HTML page from a
 * proxy) is transient; JSON of the wrong shape is not.
 *
 * @since 0.1.0
 * @category decoding
 */
export const parseJson: <A, I>(
  provider: string,
  schema: Schema.Schema<A, I, never>,
  context?: { readonly workflow?: string | undefined; readonly run?: string | undefined }
) => (body: Body) => Effect.Effect<A, ProviderError> = Decode.parseJson

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

const unwrap = (value: string | Redacted.Redacted<string>) => (Redacted.isRedacted(value) ? Redacted.value(value) : value)

/**
 * A header value HTTP cannot carry (a control character, a pasted newline, a non-Latin-1
 * character) would fail every attempt as a transport error: it is refused once, up front, as
 * the configuration problem it is, naming the header and never the value.
 */
const refusedHeader = (provider: string, headers: Options["headers"]): ProviderError | undefined => {
  const bad = Object.entries(headers).find(([, value]) => /[\u0000-\u0008\u000a-\u001f\u007f]|[^\u0000-\u00ff]/.test(unwrap(value)))
  if (bad === undefined) return undefined
  return Redacted.isRedacted(bad[1])
    ? new Unauthorized({
      provider,
      detail: `the credential sent as ${bad[0]} contains characters an HTTP header cannot carry (a pasted newline?)`
    })
    : new InvalidRequest({ provider, detail: `the value sent as ${bad[0]} contains characters an HTTP header cannot carry` })
}

/** Secrets never reach an error message, even when a server echoes them back in a body. */
const scrubber = (headers: Options["headers"]) => {
  const secrets = Object.values(headers).flatMap((value) => {
    if (!Redacted.isRedacted(value)) return []
    const text = Redacted.value(value)
    const credential = /^\S+\s+(\S+)$/.exec(text.trim())?.[1] // the token of `Bearer <token>`
    return [text, text.trim(), ...(credential ? [credential] : [])].filter((secret) => secret.length > 0)
  })
  const scrub = (text: string) => secrets.reduce((acc, secret) => acc.split(secret).join("[redacted]"), text)
  return <E extends ProviderError>(error: E): E => {
    if (secrets.length === 0) return error
    const field = (error as { field?: unknown }).field
    const changes = { detail: scrub(error.detail), ...(typeof field === "string" ? { field: scrub(field) } : {}) }
    return Object.assign(Object.create(Object.getPrototypeOf(error)), error, changes) as E
  }
}

/**
 * The budget key of a client: provider, host and a hash of every secret header.
 *
 * @since 0.1.0
 * @category budgets
 */
export const budgetKey = (options: Pick<Options, "provider" | "baseUrl" | "headers">): RateBudget.Key => {
  let host = options.baseUrl
  try {
    host = new URL(options.baseUrl).host
  } catch {
    // an invalid URL fails on first use; it still names a budget of its own
  }
  const secret = Object.entries(options.headers)
    .filter(([, value]) => Redacted.isRedacted(value))
    .map(([name, value]) => `${name.toLowerCase()}=${unwrap(value)}`)
    .sort()
    .join("\n")
  return { provider: options.provider, host, credential: RateBudget.hashCredential(secret) }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<ProviderClient, never, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const provider = options.provider
    const base = options.baseUrl.replace(/\/+$/, "")
    const basePath = new URL(base, "http://x").pathname.replace(/\/+$/, "")
    const maxBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES
    const timeout = Duration.decode(options.timeout ?? "30 seconds")
    const schedule = Retry.schedule(options.retry)
    const rateLimited = Retry.rateLimited(options.retry)
    const budget = yield* RateBudget.get(budgetKey(options), options.budget)
    const headerRefused = refusedHeader(provider, options.headers)
    const scrubbed = scrubber(options.headers)
    const timedOut = () => new Unavailable({ provider, detail: `no complete answer within ${Duration.format(timeout)}` })
    // one line per request where the client is made with debug logs on (`--verbose`): read once,
    // so that an export without it spends nothing per request on logging
    const verbose = LogLevel.lessThanEqual(yield* FiberRef.get(FiberRef.currentMinimumLogLevel), LogLevel.Debug)

    const http = (yield* HttpClient.HttpClient).pipe(
      // no spans or trace headers: per-request tracing is most of the client's cost and nothing reads it
      HttpClient.withTracerDisabledWhen(() => true),
      HttpClient.withTracerPropagation(false),
      HttpClient.mapRequest((request) =>
        HttpClientRequest.prependUrl(request, base).pipe(
          HttpClientRequest.setHeaders(Object.fromEntries(Object.entries(options.headers).map(([k, v]) => [k, unwrap(v)])))
        )
      ),
      HttpClient.transformResponse((response) =>
        response.pipe(
          Effect.mapError((error) => new Unavailable({ provider, detail: Response.transportDetail(error) })),
          Effect.flatMap((r) => ok(r))
        )
      )
    )

    // Statuses other than 2xx become errors, described from the head of their body.
    let consecutive429 = 0
    const ok = (response: HttpClientResponse.HttpClientResponse): Effect.Effect<HttpClientResponse.HttpClientResponse, ProviderError> => {
      if (response.status >= 200 && response.status < 300) {
        consecutive429 = 0
        return Effect.succeed(response)
      }
      return Effect.gen(function*() {
        const answer: ErrorAnswer = { status: response.status, headers: response.headers, body: yield* Response.errorText(response) }
        const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
        const error = Response.errorFor(provider, answer, options.describe(answer), now)
        if (error._tag === "RateLimited") {
          consecutive429++
          yield* Metric.increment(Metrics.rateLimited)
          const fallback = Math.min(60_000, Duration.toMillis(DEFAULT_RATE_LIMIT_PAUSE) * 2 ** Math.min(6, consecutive429 - 1))
          yield* budget.pause(error.retryAfterMs ?? fallback)
        } else {
          consecutive429 = 0
        }
        return yield* Effect.fail(error)
      })
    }

    // One exchange, timed from sending to the last byte; the budget is waited for before it.
    const attempt = (request: Request, accept: string): Effect.Effect<Body, ProviderError> =>
      Effect.gen(function*() {
        if (headerRefused !== undefined) return yield* Effect.fail(headerRefused)
        const segments: Array<string> = []
        for (const segment of request.path) segments.push(yield* encodeSegment(provider, segment))
        const path = `/${segments.join("/")}`
        const urlParams = UrlParams.fromInput(request.query ?? {})
        const endpoint = `GET ${basePath}${path}`
        const settle = yield* budget.take
        yield* Metric.increment(Metrics.requests)
        const exchange = http.get(path, { urlParams, accept }).pipe(
          Effect.flatMap((response) =>
            Effect.map(Response.readBody(response, maxBytes, provider, endpoint), (bytes): Body => ({
              contentType: response.headers["content-type"] ?? "",
              bytes,
              endpoint,
              status: response.status
            }))
          ),
          Effect.timeoutFail({ duration: timeout, onTimeout: timedOut }),
          // the server counted the request somewhere between sending and answering: the
          // budget counts it from the answer, so a late request never lands in a window early
          // (one abandoned in flight, from a while after the abort: the server may count it yet)
          Effect.onExit((exit) => settle(Exit.isInterrupted(exit)))
        )
        if (!verbose) return yield* exchange
        const start = yield* Effect.clockWith((c) => c.currentTimeMillis)
        return yield* exchange.pipe(
          Effect.tapBoth({
            onSuccess: (body) => logRequest(endpoint, urlParams, String(body.status), start),
            onFailure: (e) => logRequest(endpoint, urlParams, "status" in e && e.status ? String(e.status) : e._tag, start)
          })
        )
      })

    const logRequest = (endpoint: string, query: UrlParams.UrlParams, status: string, start: number) =>
      Effect.flatMap(Effect.clockWith((c) => c.currentTimeMillis), (now) => {
        const q = UrlParams.toString(query)
        return Effect.logDebug(`${endpoint}${q === "" ? "" : `?${q}`} ${status} ${now - start}ms`)
      })

    const countRetry = (request: Request) => (e: ProviderError) =>
      isRetryable(e) && e._tag !== "RateLimited"
        ? Effect.zipRight(
          Metric.increment(Metrics.retries),
          Effect.logDebug(`retrying: ${scrubbed(withContext(e, request)).message}`)
        )
        : Effect.void

    const get = <A>(request: Request, accept: string, parse: (body: Body) => Effect.Effect<A, ProviderError>) =>
      attempt(request, accept).pipe(
        Effect.flatMap(parse),
        // a 429 is re-sent once the credential's pause is over, without counting a retry
        Retry.retryOnFailure(rateLimited, (e) => e._tag === "RateLimited"),
        Effect.tapError(countRetry(request)),
        Retry.retryOnFailure(schedule, (e) => e._tag !== "RateLimited" && isRetryable(e)),
        Effect.mapError((e) => scrubbed(withContext(e, request)))
      )

    return {
      provider,
      budget,
      get,
      json: (request, schema) => get(request, "application/json", Decode.parseJson(provider, schema, request))
    } satisfies ProviderClient
  })
