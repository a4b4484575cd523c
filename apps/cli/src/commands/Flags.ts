/**
 * The export flags: those every export takes, and those a provider's descriptor asks for,
 * with their validation into library options.
 */
import { Options } from "@effect/cli"
import { type ProviderConfig, type ProviderDescriptor, RateBudget, Timestamp, type WorkflowProvider } from "@steptrail/core"
import { Duration, Effect, Logger, LogLevel, Option } from "effect"
import { withCompletionValues } from "../CommandTree.js"
import type { UsageError } from "../Failure.js"
import { usage } from "./Common.js"

export const DEFAULTS = { concurrency: 4, retries: 6, timeout: 30, pollInterval: 5, rateLimitPatience: 900 } as const

export const common = {
  out: Options.file("out").pipe(
    Options.withDescription(
      "Write records to FILE (atomically: temp file, fsync, rename) instead of stdout, or upsert them into a database, sqlite:PATH or postgres://USER@HOST[:PORT]/DB, which keeps the state itself (docs/database.md)."
    ),
    Options.optional
  ),
  state: Options.file("state").pipe(
    Options.withDescription(
      "State file: resume an interrupted export where it stopped, and make the next export incremental (only new runs and runs not terminal last time)."
    ),
    Options.optional
  ),
  concurrency: Options.integer("concurrency").pipe(
    Options.withDescription(`Runs fetched at once (1..64, default ${DEFAULTS.concurrency}); each run's steps stay together and in order.`),
    Options.withPseudoName("N"),
    Options.optional
  ),
  retries: Options.integer("retries").pipe(
    Options.withDescription("Retries of a transient failure (5xx, network, timeout) before giving up (exit 5). A 429 is not a failure: it waits."),
    Options.withPseudoName("N"),
    Options.withDefault(DEFAULTS.retries)
  ),
  timeout: Options.integer("timeout").pipe(
    Options.withDescription("Seconds one request may take, from sending it to the last byte of its answer (waiting for the rate budget is not counted)."),
    Options.withPseudoName("SECONDS"),
    Options.withDefault(DEFAULTS.timeout)
  ),
  rateLimit: Options.text("rate-limit").pipe(
    Options.withDescription(
      "Request budget N/DURATION of each credential, shared by every request that uses it, e.g. 1200/5m (Cloudflare's default; the others have none)."
    ),
    Options.withPseudoName("N/DURATION"),
    Options.optional
  ),
  rateLimitPatience: Options.integer("rate-limit-patience").pipe(
    Options.withDescription(
      "Seconds one request may keep being answered 429 (each time after the pause the provider asks for) before the export gives up (exit 5)."
    ),
    Options.withPseudoName("SECONDS"),
    Options.withDefault(DEFAULTS.rateLimitPatience)
  ),
  allowInsecure: Options.boolean("allow-insecure").pipe(
    Options.withDescription("Allow a plain http:// base URL to a host other than loopback (credentials would cross the network unencrypted).")
  ),
  follow: Options.boolean("follow").pipe(
    Options.withDescription(
      "Keep watching runs that are not terminal, and new runs, and write each step once, when it settles (like tail -f): a whole workflow until --follow-timeout or a signal (Ctrl-C, SIGTERM), named runs until they are all terminal."
    )
  ),
  pollInterval: Options.integer("poll-interval").pipe(
    Options.withDescription("Seconds between polls in --follow mode."),
    Options.withPseudoName("SECONDS"),
    Options.withDefault(DEFAULTS.pollInterval)
  ),
  followTimeout: Options.integer("follow-timeout").pipe(
    Options.withDescription("Stop following this many seconds after the export began, with a last poll then (steps not settled by then are not written)."),
    Options.withPseudoName("SECONDS"),
    Options.optional
  ),
  gzip: Options.boolean("gzip").pipe(
    Options.withDescription(
      "Compress the output with gzip (implied by an --out ending in .gz, and refused with an --out that does not end in .gz); with --state each checkpoint ends a gzip member, so the file stays valid gzip."
    )
  ),
  redact: Options.text("redact").pipe(
    Options.withDescription(
      "Replace the value at a JSON path in input/output with \"[REDACTED]\" before writing (repeatable), e.g. output.customer.email, 'input.messages[*].content', 'output.*.token'."
    ),
    Options.withPseudoName("PATH"),
    Options.repeated
  ),
  format: Options.choice("format", ["ndjson", "singer"]).pipe(
    Options.withDescription("ndjson (default): one record per line; singer: SCHEMA, RECORD and STATE messages (stream steptrail_steps) for any Singer target."),
    Options.withDefault("ndjson" as const)
  ),
  quiet: Options.boolean("quiet").pipe(Options.withDescription("Print no progress and no summary on stderr.")),
  verbose: Options.boolean("verbose").pipe(
    Options.withDescription("Log every request (method, path, status, milliseconds) and every retry on stderr.")
  )
}

export interface CommonFlags {
  readonly out: Option.Option<string>
  readonly state: Option.Option<string>
  readonly concurrency: Option.Option<number>
  readonly retries: number
  readonly timeout: number
  readonly rateLimit: Option.Option<string>
  readonly rateLimitPatience: number
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

/** A `--rate-limit` or `rate_limit` value. */
export const parseBudget = (where: string, text: string) => {
  const parsed = RateBudget.parse(text)
  return Option.isNone(parsed)
    ? usage(`${where} must look like 1200/5m or 100/5s, got ${JSON.stringify(text)}`)
    : Effect.succeed(parsed.value)
}

/** The connection options every provider takes, from the shared flags. */
export const connection = (
  flags: Pick<CommonFlags, "concurrency" | "retries" | "timeout" | "rateLimit" | "rateLimitPatience" | "allowInsecure">
) =>
  Effect.gen(function*() {
    const concurrency = Option.getOrUndefined(flags.concurrency)
    if (concurrency !== undefined && (concurrency < 1 || concurrency > 64)) {
      return yield* usage(`--concurrency must be between 1 and 64, got ${concurrency}`)
    }
    if (flags.retries < 0 || flags.retries > 20) return yield* usage(`--retries must be between 0 and 20, got ${flags.retries}`)
    if (flags.timeout < 1 || flags.timeout > 3600) return yield* usage(`--timeout must be between 1 and 3600 seconds, got ${flags.timeout}`)
    if (flags.rateLimitPatience < 1 || flags.rateLimitPatience > 86_400) {
      return yield* usage(`--rate-limit-patience must be between 1 and 86400 seconds, got ${flags.rateLimitPatience}`)
    }
    const budget = Option.isSome(flags.rateLimit) ? yield* parseBudget("--rate-limit", flags.rateLimit.value) : undefined
    return {
      retry: { times: flags.retries, rateLimitPatience: Duration.seconds(flags.rateLimitPatience) },
      timeout: Duration.seconds(flags.timeout),
      budget,
      allowInsecure: flags.allowInsecure
    } satisfies ProviderDescriptor.Connection
  })

/** A time a user typed, strictly ISO 8601 (flags and config files alike). */
export const instant = (where: string, text: string | undefined) => {
  if (text === undefined) return Effect.succeed(undefined)
  const date = Timestamp.parseInstant(text)
  return date === undefined
    ? usage(`${where} must be an ISO 8601 date or time, e.g. 2026-01-31 or 2026-01-31T12:00:00Z; got ${JSON.stringify(text)}`)
    : Effect.succeed(date)
}

/** `--verbose` turns on the request and retry lines (debug level) for what it wraps. */
export const withVerbose = (verbose: boolean) => <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  verbose ? Logger.withMinimumLogLevel(effect, LogLevel.Debug) : effect

/**
 * `--since` and `--until`: a provider's flags, and `export --config`'s (`note` says how they
 * meet the file's values).
 */
export const window = (note = "") => ({
  since: Options.text("since").pipe(
    Options.withDescription(`Only runs created at or after this ISO 8601 time${note}.`),
    Options.withPseudoName("TIME"),
    Options.optional
  ),
  until: Options.text("until").pipe(
    Options.withDescription(`Only runs created before this ISO 8601 time${note}.`),
    Options.withPseudoName("TIME"),
    Options.optional
  )
})

/** The flags a provider's descriptor asks for, by the settings' names. */
export const providerOptions = (descriptor: ProviderDescriptor.Descriptor) => {
  const options: Record<string, Options.Options<unknown>> = {
    workflow: Options.text("workflow").pipe(Options.withDescription(descriptor.workflow), Options.withPseudoName(descriptor.workflowPlaceholder ?? "ID"))
  }
  for (const setting of descriptor.settings) {
    if (setting.flag === undefined) continue
    options[`setting:${setting.name}`] = Options.text(setting.flag).pipe(
      Options.withDescription(setting.description),
      Options.withPseudoName(setting.placeholder ?? "VALUE"),
      Options.optional
    )
  }
  options.runIds = Options.text(descriptor.runIds.flag).pipe(
    Options.withDescription(`Export only this ${descriptor.runIds.flag} (repeatable); without it, every run of the workflow.`),
    Options.withPseudoName("ID"),
    Options.repeated
  )
  const status = descriptor.filters.status
  if (status !== undefined) {
    const words = status.values.join(", ")
    options.status = Options.text("status").pipe(
      Options.withDescription(status.multiple ? `Only runs in these statuses, comma-separated (${words}).` : `Only runs in this status (${words}).`),
      Options.withPseudoName(status.multiple ? "STATUS[,STATUS...]" : "STATUS"),
      Options.optional,
      withCompletionValues(status.values)
    )
  }
  Object.assign(options, window())
  if (descriptor.fullOutput) {
    options.fullOutput = Options.boolean("full-output").pipe(
      Options.withDescription("Fetch the full, untruncated output of every step whose logged output is only a preview.")
    )
  }
  return options
}

/** The explicit settings among parsed provider flags. */
export const settingsOf = (
  descriptor: ProviderDescriptor.Descriptor,
  flags: Readonly<Record<string, unknown>>
): ProviderConfig.Values =>
  Object.fromEntries(
    descriptor.settings.flatMap((s) => {
      const value = flags[`setting:${s.name}`] as Option.Option<string> | undefined
      return value !== undefined && Option.isSome(value) ? [[s.name, value.value]] : []
    })
  )

/** Status words as a filter: one word, or a comma-separated list where the provider takes several. */
export const statusFilter = (descriptor: ProviderDescriptor.Descriptor, text: string | undefined) => {
  if (text === undefined) return Effect.succeed(undefined)
  const words = text.split(",").map((w) => w.trim()).filter((w) => w !== "")
  if (words.length > 1 && descriptor.filters.status?.multiple !== true) {
    return usage(`${descriptor.name} takes one status at a time, got ${JSON.stringify(text)}`)
  }
  return Effect.succeed(words)
}

/**
 * A source's run filter from its text values (`status`, `since`, `until`), strictly checked;
 * `at` names where a value came from in messages (`--since`, `sources[0].since`). A window
 * that no run can fall in (`since` not before `until`) is refused rather than exported empty.
 */
export const runFilter = (
  descriptor: ProviderDescriptor.Descriptor,
  text: (key: "status" | "since" | "until") => string | undefined,
  at: (key: "since" | "until") => string
): Effect.Effect<WorkflowProvider.RunFilter, UsageError> =>
  Effect.gen(function*() {
    const status = yield* statusFilter(descriptor, text("status"))
    const since = yield* instant(at("since"), text("since"))
    const until = yield* instant(at("until"), text("until"))
    if (since !== undefined && until !== undefined && since.getTime() >= until.getTime()) {
      return yield* usage(
        `${at("since")} ${since.toISOString()} must be before ${at("until")} ${until.toISOString()}: no run was created in between`
      )
    }
    return { status, since, until }
  })
