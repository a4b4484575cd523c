/**
 * Provider-neutral errors. Every provider package turns its HTTP answers into these, so a
 * caller (and the CLI's exit codes) never depend on which platform failed.
 *
 * @since 0.1.0
 */
import { Schema } from "effect"

/** The workflow and run a failure concerns, where known: every message names them. */
const where = (error: { readonly workflow?: string | undefined; readonly run?: string | undefined }) => {
  const parts = [
    error.workflow === undefined ? "" : `workflow ${error.workflow}`,
    error.run === undefined ? "" : `run ${error.run}`
  ].filter((p) => p !== "")
  return parts.length === 0 ? "" : ` (${parts.join(", ")})`
}

/** A message is printed as one line on stderr, whatever a detail or an id holds. */
const line = (text: string) => text.replace(/\s*[\r\n\u2028\u2029]+\s*/g, " ")

const common = {
  provider: Schema.String,
  /** What the provider said, already reduced to one line. */
  detail: Schema.String,
  workflow: Schema.optional(Schema.String),
  run: Schema.optional(Schema.String)
}

/**
 * 401 or 403, or credentials missing.
 *
 * @since 0.1.0
 * @category errors
 */
export class Unauthorized extends Schema.TaggedError<Unauthorized>()("Unauthorized", {
  ...common,
  status: Schema.optional(Schema.Number)
}) {
  override get message() {
    const code = this.status === undefined ? "" : ` (HTTP ${this.status})`
    return line(`${this.provider}: not authorized${code}: ${this.detail}${where(this)}`)
  }
}

/**
 * 404, or an answer without the run asked for: an unknown account, workflow, run or step.
 *
 * @since 0.1.0
 * @category errors
 */
export class NotFound extends Schema.TaggedError<NotFound>()("NotFound", {
  ...common,
  /** 404 when the provider said so; absent when a lookup found no such run in an answer. */
  status: Schema.optional(Schema.Number)
}) {
  override get message() {
    const code = this.status === undefined ? "" : ` (HTTP ${this.status})`
    return line(`${this.provider}: not found${code}: ${this.detail}${where(this)}`)
  }
}

/**
 * 429. `retryAfterMs` is the server's `Retry-After`, when it sent one.
 *
 * @since 0.1.0
 * @category errors
 */
export class RateLimited extends Schema.TaggedError<RateLimited>()("RateLimited", {
  ...common,
  retryAfterMs: Schema.optional(Schema.Number)
}) {
  override get message() {
    const after = this.retryAfterMs === undefined ? "" : `, retry after ${Math.ceil(this.retryAfterMs / 1000)}s`
    return line(`${this.provider}: rate limited (HTTP 429${after}): ${this.detail}${where(this)}`)
  }
}

/**
 * 408, 5xx, a transport failure, a timeout or a cut body: worth retrying.
 *
 * @since 0.1.0
 * @category errors
 */
export class Unavailable extends Schema.TaggedError<Unavailable>()("Unavailable", {
  ...common,
  status: Schema.optional(Schema.Number),
  retryAfterMs: Schema.optional(Schema.Number)
}) {
  override get message() {
    const code = this.status === undefined ? "" : ` (HTTP ${this.status})`
    return line(`${this.provider}: unavailable${code}: ${this.detail}${where(this)}`)
  }
}

/**
 * 400 or 422 from the provider, or input refused before any request (`status` absent).
 *
 * @since 0.1.0
 * @category errors
 */
export class InvalidRequest extends Schema.TaggedError<InvalidRequest>()("InvalidRequest", {
  ...common,
  status: Schema.optional(Schema.Number),
  field: Schema.optional(Schema.String)
}) {
  override get message() {
    const code = this.status === undefined ? "" : ` (HTTP ${this.status})`
    const field = this.field === undefined ? "" : ` [${this.field}]`
    return line(`${this.provider}: invalid request${code}${field}: ${this.detail}${where(this)}`)
  }
}

/**
 * A body that is not what the API documents. `path` names the bad field (`$` for the body
 * itself), `endpoint` the request (`GET /accounts/.../instances`). JSON of another shape is
 * permanent: fetching it again returns the same. `transient` marks a body that a cut
 * connection or a proxy explains (not JSON at all, cut short, an HTML page): it is retried.
 *
 * @since 0.1.0
 * @category errors
 */
export class DecodeFailure extends Schema.TaggedError<DecodeFailure>()("DecodeFailure", {
  ...common,
  path: Schema.String,
  endpoint: Schema.optional(Schema.String),
  transient: Schema.optional(Schema.Boolean)
}) {
  override get message() {
    const from = this.endpoint === undefined ? "" : ` from ${this.endpoint}`
    return line(`${this.provider}: unexpected response${from} at ${this.path}: ${this.detail}${where(this)}`)
  }
}

/**
 * Any other status (for example Onepin's 426 "client too old").
 *
 * @since 0.1.0
 * @category errors
 */
export class UnexpectedResponse extends Schema.TaggedError<UnexpectedResponse>()("UnexpectedResponse", {
  ...common,
  status: Schema.Number
}) {
  override get message() {
    return line(`${this.provider}: unexpected HTTP ${this.status}: ${this.detail}${where(this)}`)
  }
}

/**
 * @since 0.1.0
 * @category models
 */
export type ProviderError =
  | Unauthorized
  | NotFound
  | RateLimited
  | Unavailable
  | InvalidRequest
  | DecodeFailure
  | UnexpectedResponse

/**
 * @since 0.1.0
 * @category schemas
 */
export const ProviderError = Schema.Union(
  Unauthorized,
  NotFound,
  RateLimited,
  Unavailable,
  InvalidRequest,
  DecodeFailure,
  UnexpectedResponse
)

/**
 * Transient failures: 429, 408, 5xx, transport errors, timeouts, and bodies a cut connection
 * explains. JSON of the wrong shape is not: it would come back the same.
 *
 * @since 0.1.0
 * @category predicates
 */
export const isRetryable = (error: ProviderError): boolean =>
  error._tag === "RateLimited" || error._tag === "Unavailable" ||
  (error._tag === "DecodeFailure" && error.transient === true)

/**
 * The contract's exit codes.
 *
 * @since 0.1.0
 * @category exit codes
 */
export const exitCode = (error: ProviderError): 1 | 2 | 3 | 4 | 5 => {
  switch (error._tag) {
    case "InvalidRequest":
      return 2
    case "Unauthorized":
      return 3
    case "NotFound":
      return 4
    case "RateLimited":
    case "Unavailable":
      return 5
    case "DecodeFailure":
    case "UnexpectedResponse":
      return 1
  }
}

/**
 * Where a failure happened, for its message.
 *
 * @since 0.1.0
 * @category models
 */
export interface Context {
  readonly workflow?: string | undefined
  readonly run?: string | undefined
}

/**
 * Attaches the workflow and run to an error raised below the level that knew them; what the
 * error already names is kept.
 *
 * @since 0.1.0
 * @category combinators
 */
export const withContext = <E extends ProviderError>(error: E, context: Context): E => {
  const workflow = error.workflow ?? context.workflow
  const run = error.run ?? context.run
  return workflow === error.workflow && run === error.run
    ? error
    : (Object.assign(Object.create(Object.getPrototypeOf(error)), error, { workflow, run }) as E)
}

/**
 * @since 0.1.0
 * @category combinators
 */
export const withRun = <E extends ProviderError>(error: E, run: string): E => withContext(error, { run })
