/**
 * `steptrail export --config FILE`: any number of sources, each with its own provider,
 * account or workspace, workflow, filters, credentials (from environment variables it names)
 * and rate budget, exported into one output. Each provider's source shape is derived from its
 * descriptor in the registry.
 */
import * as FileSystem from "@effect/platform/FileSystem"
import type { HttpClient } from "@effect/platform"
import { ProviderConfig, type ProviderDescriptor, ProviderError, RateBudget } from "@steptrail/core"
import { Export, Output, State } from "@steptrail/export"
import { Config, Effect, Either, Option, ParseResult, Redacted, Schema, type Scope } from "effect"
import * as path from "node:path"
import { outRelativeTo } from "./commands/Common.js"
import { parseBudget, runFilter } from "./commands/Flags.js"
import { MissingCredentials, usage, type UsageError } from "./Failure.js"

const EnvName = Schema.String.pipe(
  Schema.pattern(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: () => "must be an environment variable name" })
)
const NonEmpty = Schema.String.pipe(Schema.minLength(1, { message: () => "must not be empty" }))

/** A source of one provider, from its descriptor. Unknown keys are refused: a typo must not drop a filter. */
export const sourceSchema = (d: ProviderDescriptor.Descriptor) => {
  const fields: Record<string, Schema.Schema.All | Schema.PropertySignature.All> = {
    provider: Schema.Literal(d.name),
    name: Schema.optional(Schema.String),
    workflow: NonEmpty,
    rate_limit: Schema.optional(Schema.String),
    since: Schema.optional(Schema.String),
    until: Schema.optional(Schema.String),
    [d.runIds.key]: Schema.optional(Schema.Array(NonEmpty))
  }
  if (d.filters.status !== undefined) fields.status = Schema.optional(Schema.String)
  if (d.fullOutput) fields.full_output = Schema.optional(Schema.Boolean)
  for (const s of d.settings) {
    const key = ProviderConfig.fileKey(s)
    if (key !== undefined) fields[key] = Schema.optional(Schema.String)
  }
  const credentials = d.settings.filter((s) => s.credential !== undefined)
  if (credentials.length > 0) {
    fields.credentials = Schema.optional(Schema.Struct(Object.fromEntries(credentials.map((s) => [s.credential!, Schema.optional(EnvName)]))))
  }
  return Schema.Struct(fields as Schema.Struct.Fields) as unknown as Schema.Schema<SourceConfig>
}

export type SourceConfig = { readonly provider: string; readonly [key: string]: unknown }

/** A source of the file, checked against its provider's descriptor. */
export interface Source {
  readonly config: SourceConfig
  readonly descriptor: ProviderDescriptor.Descriptor
}

export interface ConfigFile {
  readonly sources: ReadonlyArray<Source>
  /** Relative to the file's directory, as the file gives it; resolved here. */
  readonly out?: string | undefined
  readonly concurrency?: number | undefined
}

/** The file's text: JSON of this shape (each source is checked against its provider below). */
const Top = Schema.parseJson(Schema.Struct({
  sources: Schema.NonEmptyArray(Schema.Unknown),
  out: Schema.optional(Schema.String),
  concurrency: Schema.optional(Schema.Int.pipe(Schema.between(1, 64)))
}))

const formatPath = (path: ReadonlyArray<PropertyKey>) =>
  path.map((p, i) => (typeof p === "number" ? `[${p}]` : `${i === 0 ? "" : "."}${String(p)}`)).join("")

const decodeWith = <A, I>(schema: Schema.Schema<A, I>, value: unknown, prefix: string): Either.Either<A, string> => {
  const result = Schema.decodeUnknownEither(schema, { onExcessProperty: "error", errors: "first" })(value)
  if (Either.isRight(result)) return Either.right(result.right)
  const issue = ParseResult.ArrayFormatter.formatErrorSync(result.left)[0]!
  // the one transformation at the top is parseJson's: text that is not JSON
  if (issue._tag === "Transformation" && issue.path.length === 0) return Either.left(`not valid JSON (${issue.message.replace(/\s+/g, " ")})`)
  const where = `${prefix}${issue.path.length > 0 && prefix !== "" ? "." : ""}${formatPath(issue.path)}`
  const message = issue._tag === "Unexpected" ? "is not a known key" : issue.message.replace(/\s+/g, " ")
  return Either.left(`${where || "(top level)"}: ${message}`)
}

/** Reads and validates the file against the providers offered, naming the first bad field in one line. */
export const load = (
  file: string,
  providers: ReadonlyArray<ProviderDescriptor.Descriptor>
): Effect.Effect<ConfigFile, UsageError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const invalid = (detail: string) => usage(`config ${file}: ${detail}`)
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(file).pipe(
      Effect.catchAll((e) => invalid(`cannot read: ${Output.describe(e, "no such file")}`))
    )
    const top = decodeWith(Top, text, "")
    if (Either.isLeft(top)) return yield* invalid(top.left)
    const sources: Array<Source> = []
    for (const [i, source] of top.right.sources.entries()) {
      const name = (source as { provider?: unknown } | null)?.provider
      const descriptor = providers.find((p) => p.name === name)
      if (descriptor === undefined) {
        const known = providers.map((p) => p.name).join(", ")
        return yield* invalid(`sources[${i}].provider must be one of ${known}; got ${JSON.stringify(name ?? null)}`)
      }
      const checked = decodeWith(sourceSchema(descriptor), source, `sources[${i}]`)
      if (Either.isLeft(checked)) return yield* invalid(checked.left)
      sources.push({ config: checked.right, descriptor })
    }
    // like a path in any other file that names one: relative to the file, not to where steptrail runs
    const out = top.right.out === undefined ? undefined : outRelativeTo(path.dirname(file), top.right.out)
    return { sources, out, concurrency: top.right.concurrency }
  })

/** A secret named by the file: a variable that is not set is a missing credential (exit 3). */
const fromVariable = (label: string, setting: ProviderConfig.Setting, variable: string) =>
  Effect.gen(function*() {
    const value = yield* Config.option(Config.string(variable)).pipe(Effect.orElseSucceed(() => Option.none<string>()))
    if (Option.isNone(value) || value.value.trim() === "") {
      return yield* Effect.fail(new MissingCredentials({ source: `source ${label}`, variables: [variable] }))
    }
    return setting.secret === true ? Redacted.make(value.value) : value.value
  })

/**
 * Options every source takes from the command line: the connection, and `--since` /
 * `--until`, which win over a source's own (`undefined` where not given).
 */
export interface Shared extends ProviderDescriptor.Connection {
  readonly since?: string | undefined
  readonly until?: string | undefined
}

/** What messages call a source: its `name`, else its place in the file. */
export const labelOf = (source: SourceConfig, index: number) =>
  typeof source.name === "string" && source.name !== "" ? source.name : `sources[${index}]`

/** A source with the credential it is fetched with (what `serve` groups sources by). */
export interface Checked extends Export.Source {
  /** The provider, base URL and a hash of the secrets: equal for two sources exactly when they share a budget. */
  readonly credential: string
}

/** The credential of resolved settings, without the secrets themselves. */
const credentialOf = (descriptor: ProviderDescriptor.Descriptor, values: ProviderConfig.Values): string => {
  const secrets = descriptor.settings.filter((s) => s.secret === true).map((s) => {
    const v = values[s.name]
    return v === undefined ? "" : Redacted.isRedacted(v) ? Redacted.value(v) : v
  })
  return `${descriptor.name} ${values.baseUrl ?? ""} ${RateBudget.hashCredential(secrets.join("\u0000"))}`
}

/**
 * Checks one source's values (a usage error, exit 2), then gives the effect that builds its
 * provider (its own settings, credentials and budget) and the export source for it: every
 * source of the file is checked before any credential is looked up.
 */
export const toSource = (
  { config: source, descriptor }: Source,
  index: number,
  count: number,
  shared: Shared
): Effect.Effect<
  Effect.Effect<Checked, MissingCredentials | Export.SourceError, HttpClient.HttpClient | Scope.Scope>,
  UsageError
> =>
  Effect.gen(function*() {
    const label = labelOf(source, index)
    const text = (key: string) => (typeof source[key] === "string" ? (source[key] as string) : undefined)
    const rateLimit = text("rate_limit")
    const at = `sources[${index}]`
    const budget = rateLimit === undefined ? shared.budget : yield* parseBudget(`${at}.rate_limit`, rateLimit)
    const given = (key: "since" | "until") => shared[key]
    const filter = yield* runFilter(
      descriptor,
      (key) => (key !== "status" && given(key) !== undefined ? given(key) : text(key)),
      (key) => (given(key) !== undefined ? `--${key}` : `${at}.${key}`)
    )
    const runIds = source[descriptor.runIds.key] as ReadonlyArray<string> | undefined
    return Effect.gen(function*() {
      const explicit: Record<string, string | Redacted.Redacted<string>> = {}
      const credentials = (source.credentials ?? {}) as Record<string, string | undefined>
      for (const setting of descriptor.settings) {
        const key = ProviderConfig.fileKey(setting)
        const value = key === undefined ? undefined : text(key)
        if (value !== undefined) explicit[setting.name] = value
        const variable = setting.credential === undefined ? undefined : credentials[setting.credential]
        if (variable !== undefined) explicit[setting.name] = yield* fromVariable(label, setting, variable)
      }
      const failed = (error: ProviderError.ProviderError) => new Export.SourceError({ source: label, error, failed: 1, sources: count })
      const values = yield* Effect.mapError(ProviderConfig.resolve(descriptor.name, descriptor.settings, explicit), failed)
      const provider = yield* Effect.mapError(descriptor.make(values, { ...shared, budget }), failed)
      return {
        provider,
        credential: credentialOf(descriptor, values),
        workflow: source.workflow as string,
        runIds,
        filter,
        fullOutput: source.full_output === true,
        name: label
      }
    })
  })

/**
 * Two sources of one file that are one source (provider, account, workflow) would share one
 * state (a row of `steptrail_sources`, an entry of a state file) and take it from each other:
 * where a state is kept (`serve`, an export with `--state` or into a database), a usage error
 * (exit 2). Sources that name their runs keep no state and may repeat; without a state, the
 * same workflow twice with other filters (one status each) is fine.
 */
export const distinct = (file: string, sources: ReadonlyArray<Checked>): Effect.Effect<void, UsageError> => {
  const seen = new Map<string, string>()
  for (const source of sources) {
    if (source.runIds !== undefined && source.runIds.length > 0) continue
    const key = State.sourceKey(source.provider.provider, source.provider.account, source.workflow)
    const first = seen.get(key)
    if (first !== undefined) return usage(`config ${file}: ${source.name ?? key} is the same source as ${first} (${key}); list it once`)
    seen.set(key, source.name ?? key)
  }
  return Effect.void
}
