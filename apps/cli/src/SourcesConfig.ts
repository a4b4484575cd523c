/**
 * `steptrail export --config FILE`: any number of sources, each with its own provider,
 * account or workspace, workflow, filters, credentials (from environment variables it names)
 * and rate budget, exported into one output.
 */
import type { HttpClient } from "@effect/platform"
import { Cloudflare } from "@steptrail/cloudflare"
import { type ProviderError, RateBudget, type WorkflowProvider } from "@steptrail/core"
import type { Export } from "@steptrail/export"
import { Onepin } from "@steptrail/onepin"
import { Orchestra } from "@steptrail/orchestra"
import { Duration, Effect, Either, Option, ParseResult, Redacted, Schema } from "effect"
import * as fs from "node:fs"
import { MissingCredentials, UsageError } from "./Failure.js"
import { checkBaseUrl } from "./commands/Common.js"

const EnvName = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: () => "must be an environment variable name" })
)
const NonEmpty = Schema.String.pipe(Schema.minLength(1, { message: () => "must not be empty" }))
const Ids = Schema.Array(NonEmpty)

const common = {
  /** A label for messages and the summary. */
  name: Schema.optional(Schema.String),
  workflow: NonEmpty,
  base_url: Schema.optional(Schema.String),
  rate_limit: Schema.optional(Schema.String)
}

const CloudflareSource = Schema.Struct({
  provider: Schema.Literal("cloudflare"),
  ...common,
  account_id: Schema.optional(Schema.String),
  instances: Schema.optional(Ids),
  status: Schema.optional(Schema.String),
  since: Schema.optional(Schema.String),
  until: Schema.optional(Schema.String),
  full_output: Schema.optional(Schema.Boolean),
  credentials: Schema.optional(Schema.Struct({
    token_env: Schema.optional(EnvName),
    email_env: Schema.optional(EnvName),
    key_env: Schema.optional(EnvName)
  }))
})

const OrchestraSource = Schema.Struct({
  provider: Schema.Literal("orchestra"),
  ...common,
  runs: Schema.optional(Ids),
  credentials: Schema.optional(Schema.Struct({ key_env: EnvName }))
})

const OnepinSource = Schema.Struct({
  provider: Schema.Literal("onepin"),
  ...common,
  runs: Schema.optional(Ids),
  workspace: Schema.optional(Schema.String),
  status: Schema.optional(Schema.String),
  credentials: Schema.optional(Schema.Struct({ key_env: EnvName }))
})

const providers = { cloudflare: CloudflareSource, orchestra: OrchestraSource, onepin: OnepinSource } as const

/** The config file. Unknown keys are refused: a typo must not silently drop a filter. */
export const ConfigFile = Schema.Struct({
  sources: Schema.NonEmptyArray(Schema.Union(CloudflareSource, OrchestraSource, OnepinSource)),
  out: Schema.optional(Schema.String),
  concurrency: Schema.optional(Schema.Int.pipe(Schema.between(1, 64)))
})
export type ConfigFile = typeof ConfigFile.Type
export type SourceConfig = ConfigFile["sources"][number]

const invalid = (file: string, detail: string) => new UsageError({ message: `config ${file}: ${detail}` })

const formatPath = (path: ReadonlyArray<PropertyKey>) =>
  path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("")

const decodeWith = <A, I>(schema: Schema.Schema<A, I>, file: string, value: unknown, prefix: string) => {
  const result = Schema.decodeUnknownEither(schema, { onExcessProperty: "error", errors: "first" })(value)
  if (Either.isRight(result)) return Either.right(result.right)
  const issue = ParseResult.ArrayFormatter.formatErrorSync(result.left)[0]!
  const where = `${prefix}${issue.path.length > 0 && prefix !== "" ? "." : ""}${formatPath(issue.path)}`
  const message = issue._tag === "Unexpected" ? "is not a known key" : issue.message.replace(/\s+/g, " ")
  return Either.left(invalid(file, `${where || "(top level)"}: ${message}`))
}

/** Reads and validates the file, naming the first bad field in one line. */
export const load = (file: string): Effect.Effect<ConfigFile, UsageError> =>
  Effect.gen(function*() {
    const text = yield* Effect.try({
      try: () => fs.readFileSync(file, "utf8"),
      catch: (e) => invalid(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`)
    })
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch (e) {
      return yield* Effect.fail(invalid(file, `not valid JSON (${String((e as Error).message).replace(/\s+/g, " ")})`))
    }
    // Check each source against its own provider's shape, for a message about that provider.
    const sources = (json as { sources?: unknown })?.sources
    if (Array.isArray(sources)) {
      for (const [i, source] of sources.entries()) {
        const provider = (source as { provider?: unknown })?.provider
        if (typeof provider !== "string" || !(provider in providers)) {
          return yield* Effect.fail(
            invalid(file, `sources[${i}].provider must be one of cloudflare, orchestra, onepin; got ${JSON.stringify(provider ?? null)}`)
          )
        }
        const checked = decodeWith(providers[provider as keyof typeof providers] as Schema.Schema<unknown, unknown>, file, source, `sources[${i}]`)
        if (Either.isLeft(checked)) return yield* Effect.fail(checked.left)
      }
    }
    return yield* decodeWith(ConfigFile, file, json, "")
  })

/** Options every source shares from the command line. */
export interface Shared {
  readonly retry: { readonly times: number }
  readonly timeout: Duration.Duration
  readonly allowInsecure: boolean
}

const secretFrom = (label: string, name: string | undefined) => {
  if (name === undefined) return Effect.succeed(undefined)
  const value = process.env[name]
  return value === undefined || value.trim() === ""
    ? Effect.fail(new MissingCredentials({ source: label, variables: [name] }))
    : Effect.succeed(Redacted.make(value.trim()))
}

const budgetOf = (label: string, text: string | undefined) => {
  if (text === undefined) return Effect.succeed(undefined)
  const parsed = RateBudget.parse(text)
  return Option.isNone(parsed)
    ? Effect.fail(new UsageError({ message: `${label}: rate_limit must look like 1200/5m, got ${JSON.stringify(text)}` }))
    : Effect.succeed(parsed.value)
}

const instant = (label: string, field: string, text: string | undefined) => {
  if (text === undefined) return Effect.succeed(undefined)
  const ms = Date.parse(text)
  return Number.isNaN(ms)
    ? Effect.fail(new UsageError({ message: `${label}: ${field} is not an ISO 8601 time: ${JSON.stringify(text)}` }))
    : Effect.succeed(new Date(ms))
}

/** Builds one provider (its own credentials and budget) and the export source for it. */
export const toSource = (
  source: SourceConfig,
  index: number,
  shared: Shared
): Effect.Effect<Export.Source & { readonly fullOutput: boolean }, UsageError | MissingCredentials | ProviderError.ProviderError, HttpClient.HttpClient> =>
  Effect.gen(function*() {
    const label = `sources[${index}]${source.name ? ` (${source.name})` : ""}`
    const budget = yield* budgetOf(label, source.rate_limit)
    if (source.base_url !== undefined) yield* checkBaseUrl(source.base_url, shared.allowInsecure, `${label}.base_url`)
    const connection = { baseUrl: source.base_url, retry: shared.retry, timeout: shared.timeout, budget }
    let provider: WorkflowProvider.Service
    switch (source.provider) {
      case "cloudflare": {
        const c = source.credentials
        const overrides = {
          ...connection,
          accountId: source.account_id,
          apiToken: yield* secretFrom(label, c?.token_env),
          email: c?.email_env === undefined ? undefined : process.env[c.email_env]?.trim() || undefined,
          apiKey: yield* secretFrom(label, c?.key_env)
        }
        if (c?.email_env !== undefined && overrides.email === undefined) {
          return yield* Effect.fail(new MissingCredentials({ source: label, variables: [c.email_env] }))
        }
        provider = yield* Effect.flatMap(Cloudflare.resolveConfig(overrides), Cloudflare.make)
        const filter = {
          status: source.status === undefined ? undefined : [source.status],
          since: yield* instant(label, "since", source.since),
          until: yield* instant(label, "until", source.until)
        }
        return { provider, workflow: source.workflow, runIds: source.instances, filter, fullOutput: source.full_output ?? false }
      }
      case "orchestra": {
        const apiKey = yield* secretFrom(label, source.credentials?.key_env)
        provider = yield* Effect.flatMap(Orchestra.resolveConfig({ ...connection, apiKey }), Orchestra.make)
        return { provider, workflow: source.workflow, runIds: source.runs, fullOutput: false }
      }
      case "onepin": {
        const apiKey = yield* secretFrom(label, source.credentials?.key_env)
        provider = yield* Effect.flatMap(
          Onepin.resolveConfig({ ...connection, apiKey, workspaceId: source.workspace }),
          Onepin.make
        )
        const filter = { status: source.status === undefined ? undefined : source.status.split(",").map((s) => s.trim()) }
        return { provider, workflow: source.workflow, runIds: source.runs, filter, fullOutput: false }
      }
    }
  })
