/**
 * `steptrail export <provider>` for every provider of the registry, and `steptrail export
 * --config FILE` over any of them: flags and config-file sources are derived from the
 * providers' descriptors.
 */
import { ProviderConfig, type ProviderDescriptor } from "@steptrail/core"
import type { Export } from "@steptrail/export"
import { Effect, Option } from "effect"
import { type Declaration, option } from "../Declared.js"
import { usage, UsageError } from "../Failure.js"
import * as SourcesConfig from "../SourcesConfig.js"
import { isDatabaseOut, runExport } from "./Common.js"
import {
  common,
  type CommonFlags,
  connection,
  DEFAULTS,
  instant,
  providerOptions,
  runFilter,
  settingsOf,
  window,
  withVerbose
} from "./Flags.js"

const examples = (lines: ReadonlyArray<string>) =>
  `\n\n${lines.length > 1 ? "Examples" : "Example"}:\n${lines.map((l) => `  steptrail ${l}`).join("\n")}`

const resolved = (flags: CommonFlags, concurrency?: number) => ({
  ...flags,
  concurrency: Option.getOrElse(flags.concurrency, () => concurrency ?? DEFAULTS.concurrency)
})

/** One provider's subcommand: its own flags and settings, the common export flags. */
const providerCommand = (descriptor: ProviderDescriptor.Descriptor): Declaration => ({
  name: descriptor.name,
  description: `${descriptor.summary}${examples(descriptor.examples)}`,
  options: [...common, ...providerOptions(descriptor)],
  handler: (parsed) => {
    const flags = parsed as CommonFlags & Readonly<Record<string, unknown>>
    return Effect.gen(function*() {
      const conn = yield* connection(flags)
      const text = (key: string) => Option.getOrUndefined((flags[key] as Option.Option<string> | undefined) ?? Option.none())
      // every usage error (exit 2) before the credentials are looked up (exit 3)
      const filter = yield* runFilter(descriptor, text, (key) => `--${key}`)
      const values = yield* ProviderConfig.resolve(descriptor.name, descriptor.settings, settingsOf(descriptor, flags))
      const provider = yield* descriptor.make(values, conn)
      const source: Export.Source = {
        provider,
        workflow: flags.workflow as string,
        runIds: flags.runIds as ReadonlyArray<string>,
        filter,
        fullOutput: flags.fullOutput === true
      }
      return yield* runExport([source], resolved(flags), { fullOutput: flags.fullOutput === true })
    }).pipe(Effect.scoped, withVerbose(flags.verbose))
  }
})

const configFile = option("config", "file", {
  description:
    "A JSON file of sources (provider, account or workspace, workflow, filters, credential variables, rate limit) exported into one output; see docs/config.md."
})

/** `export`, with a subcommand for each of `providers`, and `--config` over them. */
export const exportCommand = (providers: ReadonlyArray<ProviderDescriptor.Descriptor>): Declaration => ({
  name: "export",
  description:
    "Export step records of workflow runs as NDJSON to stdout or --out FILE: one provider (subcommand), or several sources from a config file." +
    examples(["export --config steptrail.json --out all.ndjson --state all.state.json"]),
  options: [...common, configFile, ...window(", for every source of the file (over a source's own)")],
  subcommandNoun: "provider",
  subcommands: providers.map(providerCommand),
  handler: (parsed) => {
    const flags = parsed as unknown as CommonFlags & {
      readonly config: Option.Option<string>
      readonly since: Option.Option<string>
      readonly until: Option.Option<string>
    }
    return Effect.gen(function*() {
      if (Option.isNone(flags.config)) {
        return yield* usage(`export needs a provider (${providers.map((p) => p.name).join(", ")}) or --config FILE`)
      }
      const since = Option.getOrUndefined(flags.since)
      const until = Option.getOrUndefined(flags.until)
      // the flags' own mistakes first, named as flags
      yield* instant("--since", since)
      yield* instant("--until", until)
      const path = flags.config.value
      const file = yield* SourcesConfig.load(path, providers)
      const shared = { ...yield* connection(flags), since, until }
      const checked = yield* Effect.forEach(file.sources, (source, i) => SourcesConfig.toSource(source, i, file.sources.length, shared)).pipe(
        // every mistake of the file's values is named like the file's other mistakes
        Effect.mapError((e) => new UsageError({ message: `config ${path}: ${e.message}` }))
      )
      const sources = yield* Effect.all(checked)
      const merged = {
        ...resolved(flags, file.concurrency),
        out: Option.orElse(flags.out, () => Option.fromNullable(file.out))
      }
      // where a source keeps a state (a state file, a database), it must be listed once
      if (Option.isSome(flags.state) || (Option.isSome(merged.out) && isDatabaseOut(merged.out.value))) yield* SourcesConfig.distinct(path, sources)
      return yield* runExport(sources, merged, {})
    }).pipe(Effect.scoped, withVerbose(flags.verbose))
  }
})
