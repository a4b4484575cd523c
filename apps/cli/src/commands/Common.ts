/**
 * Flags shared by every export subcommand, and their validation into library options.
 */
import { Options } from "@effect/cli"
import { RateBudget, type WorkflowProvider } from "@steptrail/core"
import { type Export, ExportJob, Output, Redaction } from "@steptrail/export"
import { Duration, Effect, Either, Option } from "effect"
import { UsageError } from "../Failure.js"

export const out = Options.file("out").pipe(
  Options.withDescription("Write records to FILE (atomically: temp file, fsync, rename) instead of stdout."),
  Options.optional
)
export const concurrency = Options.integer("concurrency").pipe(
  Options.withDescription("Runs fetched at once (1..64); each run's steps stay together and in order."),
  Options.withDefault(4)
)
export const baseUrl = Options.text("base-url").pipe(
  Options.withDescription("API base URL, version prefix included (default: the provider's public API, or its *_BASE_URL variable)."),
  Options.optional
)
export const retries = Options.integer("retries").pipe(
  Options.withDescription("Retries of a transient failure (429, 5xx, network) before giving up (exit 5)."),
  Options.withDefault(6)
)
export const timeout = Options.integer("timeout").pipe(
  Options.withDescription("Seconds one request may take, body included."),
  Options.withDefault(30)
)
export const rateLimit = Options.text("rate-limit").pipe(
  Options.withDescription("Request budget N/DURATION shared by all requests to the provider, e.g. 1200/5m (Cloudflare's default)."),
  Options.optional
)
export const state = Options.file("state").pipe(
  Options.withDescription(
    "State file: resume an interrupted export where it stopped, and make the next export incremental (only new runs and runs not terminal last time)."
  ),
  Options.optional
)
export const allowInsecure = Options.boolean("allow-insecure").pipe(
  Options.withDescription("Allow a plain http:// base URL to a host other than loopback (credentials would cross the network unencrypted).")
)
export const follow = Options.boolean("follow").pipe(
  Options.withDescription(
    "Keep watching runs that are not terminal and write each step once, when it settles, until every followed run is terminal (like tail -f)."
  )
)
export const pollInterval = Options.integer("poll-interval").pipe(
  Options.withDescription("Seconds between polls in --follow mode."),
  Options.withDefault(5)
)
export const followTimeout = Options.integer("follow-timeout").pipe(
  Options.withDescription("Stop following after this many seconds (steps not settled by then are not written)."),
  Options.optional
)
export const gzip = Options.boolean("gzip").pipe(
  Options.withDescription("Compress the output with gzip (implied by an --out ending in .gz); with --state each checkpoint ends a gzip member, so the file stays valid gzip.")
)
export const redact = Options.text("redact").pipe(
  Options.withDescription(
    "Replace the value at a JSON path in input/output with \"[REDACTED]\" before writing (repeatable), e.g. output.customer.email, 'input.messages[*].content', 'output.*.token'."
  ),
  Options.repeated
)
export const format = Options.choice("format", ["ndjson", "singer"]).pipe(
  Options.withDescription("ndjson (default): one record per line; singer: SCHEMA, RECORD and STATE messages (stream steptrail_steps) for any Singer target."),
  Options.withDefault("ndjson" as const)
)
export const quiet = Options.boolean("quiet").pipe(Options.withDescription("Print no summary on stderr."))
export const verbose = Options.boolean("verbose").pipe(Options.withDescription("Log requests and retries on stderr."))

export const common = {
  out,
  state,
  concurrency,
  baseUrl,
  retries,
  timeout,
  rateLimit,
  allowInsecure,
  follow,
  pollInterval,
  followTimeout,
  gzip,
  redact,
  format,
  quiet,
  verbose
}

export interface CommonFlags {
  readonly out: Option.Option<string>
  readonly state: Option.Option<string>
  readonly concurrency: number
  readonly baseUrl: Option.Option<string>
  readonly retries: number
  readonly timeout: number
  readonly rateLimit: Option.Option<string>
  readonly allowInsecure: boolean
  readonly follow: boolean
  readonly pollInterval: number
  readonly followTimeout: Option.Option<number>
  readonly gzip: boolean
  readonly redact: ReadonlyArray<string>
  readonly format: "ndjson" | "singer"
  readonly quiet: boolean
  readonly verbose: boolean
}

export const usage = (message: string) => Effect.fail(new UsageError(message))

/** Options every provider's config takes, from the shared flags. */
export const connection = (flags: CommonFlags) =>
  Effect.gen(function*() {
    if (flags.concurrency < 1 || flags.concurrency > 64) {
      return yield* usage(`--concurrency must be between 1 and 64, got ${flags.concurrency}`)
    }
    if (flags.retries < 0 || flags.retries > 20) return yield* usage(`--retries must be between 0 and 20, got ${flags.retries}`)
    if (flags.timeout < 1 || flags.timeout > 3600) return yield* usage(`--timeout must be between 1 and 3600 seconds, got ${flags.timeout}`)
    let budget: RateBudget.Budget | undefined
    if (Option.isSome(flags.rateLimit)) {
      const parsed = RateBudget.parse(flags.rateLimit.value)
      if (Option.isNone(parsed)) return yield* usage(`--rate-limit must look like 1200/5m or 100/5s, got ${JSON.stringify(flags.rateLimit.value)}`)
      budget = parsed.value
    }
    if (Option.isSome(flags.baseUrl)) yield* checkBaseUrl(flags.baseUrl.value, flags.allowInsecure, "--base-url")
    return {
      baseUrl: Option.getOrUndefined(flags.baseUrl),
      retry: { times: flags.retries },
      timeout: Duration.seconds(flags.timeout),
      budget
    }
  })

const loopback = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i

/**
 * A base URL must be http(s) without embedded credentials; plain http only to loopback
 * unless --allow-insecure, since the credentials travel with every request.
 */
export const checkBaseUrl = (text: string, allowInsecure: boolean, where: string) => {
  let url: URL
  try {
    url = new URL(text)
  } catch {
    // whatever sits where credentials would (`//user:secret@`) is not echoed
    return usage(`${where} is not a URL: ${JSON.stringify(text.slice(0, 200).replace(/\/\/[^/?#]*@/, "//***@"))}`)
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return usage(`${where} must be http(s), got ${url.protocol}`)
  if (url.username !== "" || url.password !== "") return usage(`${where} must not carry credentials; use the environment variables`)
  if (url.protocol === "http:" && !loopback.test(url.hostname) && !allowInsecure) {
    return usage(`${where} uses plain http to ${url.hostname}: credentials would travel unencrypted; use https or pass --allow-insecure`)
  }
  return Effect.succeed(url)
}

/** The base URL the provider will use when no flag is given: its environment variables. */
export const checkEnvBaseUrl = (names: ReadonlyArray<string>, allowInsecure: boolean) =>
  Effect.forEach(names, (name) => {
    const value = process.env[name]
    return value === undefined || value.trim() === "" ? Effect.void : Effect.asVoid(checkBaseUrl(value.trim(), allowInsecure, name))
  }, { discard: true })

/**
 * @effect/cli drops an empty value of a repeated option (`--instance ""` would silently mean
 * "every instance"), so an empty id is looked for in the raw arguments and refused.
 */
export const refuseEmptyIds = (flag: string, argv: ReadonlyArray<string> = process.argv) => {
  const i = argv.findIndex((arg, k) => arg === flag && k + 1 < argv.length && argv[k + 1]!.trim() === "")
  return i === -1 ? Effect.void : usage(`${flag} must not be empty`)
}

export const parseInstant = (flag: string, value: Option.Option<string>) => {
  if (Option.isNone(value)) return Effect.succeed(undefined)
  const text = value.value
  const ms = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) ? Date.parse(text) : NaN
  return Number.isNaN(ms)
    ? usage(`${flag} must be an ISO 8601 date or time, e.g. 2026-01-31 or 2026-01-31T12:00:00Z; got ${JSON.stringify(text)}`)
    : Effect.succeed(new Date(ms))
}

/**
 * Validates the flags that shape the export and runs it (`ExportJob`): output, gzip, state,
 * follow, progress and the summary on stderr.
 */
export const runExport = (
  sources: ReadonlyArray<Export.Source>,
  flags: CommonFlags,
  options: { readonly fullOutput?: boolean }
) =>
  Effect.gen(function*() {
    yield* refuseEmptyIds("--redact")
    const paths = Redaction.parseAll(flags.redact)
    if (Either.isLeft(paths)) return yield* usage(paths.left)
    const gzip = flags.gzip || (Option.isSome(flags.out) && Output.isGzipPath(flags.out.value))
    if (gzip && Option.isNone(flags.out) && process.stdout.isTTY === true) {
      return yield* usage("--gzip would write binary data to a terminal; redirect stdout or use --out FILE")
    }
    if (flags.follow) {
      if (Option.isSome(flags.state)) return yield* usage("--follow cannot be combined with --state: a followed export writes each step once, as it settles")
      if (flags.format !== "ndjson") return yield* usage("--follow writes NDJSON only; drop --format singer")
      if (flags.pollInterval < 1 || flags.pollInterval > 3600) return yield* usage(`--poll-interval must be between 1 and 3600 seconds, got ${flags.pollInterval}`)
    }
    return yield* ExportJob.run({
      sources,
      out: Option.getOrUndefined(flags.out),
      state: Option.getOrUndefined(flags.state),
      gzip,
      format: flags.format,
      concurrency: flags.concurrency,
      fullOutput: options.fullOutput,
      redact: paths.right,
      follow: flags.follow
        ? { poll: Duration.seconds(flags.pollInterval), timeout: Option.getOrUndefined(Option.map(flags.followTimeout, Duration.seconds)) }
        : undefined,
      quiet: flags.quiet
    })
  })

export type { WorkflowProvider }
