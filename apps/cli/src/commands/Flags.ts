/**
 * The export flags: those every export takes, and those a provider's descriptor asks for,
 * with their validation into library options.
 */
import { type ProviderConfig, type ProviderDescriptor, RateBudget, Timestamp, type WorkflowProvider } from "@steptrail/core"
import { Duration, Effect, Logger, LogLevel, Option } from "effect"
import type { OptionSpec } from "../CommandSpec.js"
import { choice, flag, option } from "../Declared.js"
import { usage, type UsageError } from "../Failure.js"

export const DEFAULTS = { concurrency: 4, retries: 6, timeout: 30, pollInterval: 5, rateLimitPatience: 900 } as const

/** The options every export takes, declared once (`Declared`). */
export const common: ReadonlyArray<OptionSpec> = [
  option("out", "file", {
    description:
      "Write records to FILE (atomically: temp file, fsync, rename) instead of stdout, or upsert them into a database, sqlite:PATH or postgres://USER@HOST[:PORT]/DB, which keeps the state itself (docs/database.md)."
  }),
  option("state", "file", {
    description:
      "State file: resume an interrupted export where it stopped, and make the next export incremental (only new runs and runs not terminal last time)."
  }),
  option("concurrency", "integer", {
    description: `Runs fetched at once (1..64, default ${DEFAULTS.concurrency}); each run's steps stay together and in order.`
  }),
  option("retries", "integer", {
    description: "Retries of a transient failure (5xx, network, timeout) before giving up (exit 5). A 429 is not a failure: it waits.",
    default: DEFAULTS.retries
  }),
  option("timeout", "integer", {
    description: "Seconds one request may take, from sending it to the last byte of its answer (waiting for the rate budget is not counted).",
    placeholder: "SECONDS",
    default: DEFAULTS.timeout
  }),
  option("rate-limit", "text", {
    description:
      "Request budget N/DURATION of each credential, shared by every request that uses it, e.g. 1200/5m (Cloudflare's default; the others have none).",
    placeholder: "N/DURATION"
  }),
  option("rate-limit-patience", "integer", {
    description:
      "Seconds one request may keep being answered 429 (each time after the pause the provider asks for) before the export gives up (exit 5).",
    placeholder: "SECONDS",
    default: DEFAULTS.rateLimitPatience
  }),
  flag("allow-insecure", "Allow a plain http:// base URL to a host other than loopback (credentials would cross the network unencrypted)."),
  flag(
    "follow",
    "Keep watching runs that are not terminal, and new runs, and write each step once, when it settles (like tail -f): a whole workflow until --follow-timeout or a signal (Ctrl-C, SIGTERM), named runs until they are all terminal."
  ),
  option("poll-interval", "integer", {
    description: "Seconds between polls in --follow mode.",
    placeholder: "SECONDS",
    default: DEFAULTS.pollInterval
  }),
  option("follow-timeout", "integer", {
    description: "Stop following this many seconds after the export began, with a last poll then (steps not settled by then are not written).",
    placeholder: "SECONDS"
  }),
  flag(
    "gzip",
    "Compress the output with gzip (implied by an --out ending in .gz, and refused with an --out that does not end in .gz); with --state each checkpoint ends a gzip member, so the file stays valid gzip."
  ),
  option("redact", "text", {
    description:
      "Replace the value at a JSON path in input/output with \"[REDACTED]\" before writing (repeatable), e.g. output.customer.email, 'input.messages[*].content', 'output.*.token'.",
    placeholder: "PATH",
    repeated: true
  }),
  choice("format", ["ndjson", "singer"], {
    description: "ndjson (default): one record per line; singer: SCHEMA, RECORD and STATE messages (stream steptrail_steps) for any Singer target.",
    default: "ndjson"
  }),
  flag("quiet", "Print no progress and no summary on stderr."),
  flag("verbose", "Log every request (method, path, status, milliseconds) and every retry on stderr.")
]

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
export const window = (note = ""): ReadonlyArray<OptionSpec> => [
  option("since", "text", { description: `Only runs created at or after this ISO 8601 time${note}.`, placeholder: "TIME" }),
  option("until", "text", { description: `Only runs created before this ISO 8601 time${note}.`, placeholder: "TIME" })
]

/** The flag of a setting, keyed by the setting's name among the parsed flags. */
const settingKey = (setting: ProviderConfig.Setting) => `setting:${setting.name}`

/** The flags a provider's descriptor asks for, by the settings' names. */
export const providerOptions = (descriptor: ProviderDescriptor.Descriptor): ReadonlyArray<OptionSpec> => {
  const status = descriptor.filters.status
  const words = status?.values.join(", ")
  return [
    option("workflow", "text", { description: descriptor.workflow, placeholder: descriptor.workflowPlaceholder ?? "ID", required: true }),
    ...descriptor.settings.flatMap((setting) =>
      setting.flag === undefined ? [] : [
        // the setting's default is shown, not applied: a flag default would win over the
        // config file and the environment (`ProviderConfig.resolve` applies it after them)
        option(setting.flag, "text", {
          description: setting.description,
          placeholder: setting.placeholder ?? "VALUE",
          key: settingKey(setting),
          shownDefault: setting.default
        })
      ]
    ),
    option(descriptor.runIds.flag, "text", {
      description: `Export only this ${descriptor.runIds.flag} (repeatable); without it, every run of the workflow.`,
      placeholder: "ID",
      repeated: true,
      key: "runIds"
    }),
    ...(status === undefined ? [] : [
      option("status", "text", {
        description: status.multiple ? `Only runs in these statuses, comma-separated (${words}).` : `Only runs in this status (${words}).`,
        placeholder: status.multiple ? "STATUS[,STATUS...]" : "STATUS",
        values: status.values
      })
    ]),
    ...window(),
    ...(descriptor.fullOutput
      ? [flag("full-output", "Fetch the full, untruncated output of every step whose logged output is only a preview.")]
      : [])
  ]
}

/** The explicit settings among parsed provider flags. */
export const settingsOf = (
  descriptor: ProviderDescriptor.Descriptor,
  flags: Readonly<Record<string, unknown>>
): ProviderConfig.Values =>
  Object.fromEntries(
    descriptor.settings.flatMap((s) => {
      const value = flags[settingKey(s)] as Option.Option<string> | undefined
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
