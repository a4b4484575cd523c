/**
 * The command tree, declared once: each command is its `CommandSpec` data (name,
 * description, options with names, aliases, placeholder, type, default, required or
 * repeatable, completion values) and the handler that runs it. From a declaration come
 * both the spec that help, completion scripts and usage errors read (`spec`) and the
 * @effect/cli command that parses a command line into the handler's flags (`toCommand`).
 * Nothing reads @effect/cli's own descriptors back.
 */
import { Args, Command, Options } from "@effect/cli"
import type { Effect } from "effect"
import type { ArgSpec, CommandSpec, OptionSpec, ValueSpec } from "./CommandSpec.js"

/**
 * The parsed flags a handler receives, by each option's `key`: the value of a required
 * option or of one with a default, an `Option` of an optional one, an array of a repeatable
 * one, a boolean of a flag; arguments by their name.
 */
export type Flags = Readonly<Record<string, unknown>>

/** A command's declaration; `R`, what its handler needs (`Main` provides the platform). */
export interface Declaration<R = any> {
  readonly name: string
  /** First paragraph: the summary; a paragraph starting `Example:` or `Examples:`: example lines. */
  readonly description: string
  readonly options?: ReadonlyArray<OptionSpec>
  readonly args?: ReadonlyArray<ArgSpec>
  /** What the subcommands are called in help and errors (`provider`); default `command`. */
  readonly subcommandNoun?: string
  readonly subcommands?: ReadonlyArray<Declaration<R>>
  readonly handler?: (flags: Flags) => Effect.Effect<void, unknown, R>
}

interface OptionFields {
  readonly description: string
  /** The handler's field (default: the name in camelCase, `--rate-limit`: `rateLimit`). */
  readonly key?: string
  readonly aliases?: ReadonlyArray<string>
  readonly placeholder?: string
  readonly required?: boolean
  readonly repeated?: boolean
  /** As the user would type it; shown in help and parsed as the option's type. */
  readonly default?: string | number
  /** Shown in help only: the option stays unset when not given (see `OptionSpec.shownDefault`). */
  readonly shownDefault?: string | undefined
  /** Values a shell may complete for free text (a choice completes its cases). */
  readonly values?: ReadonlyArray<string>
}

const defaultPlaceholder: Record<ValueSpec["type"], string | undefined> = {
  integer: "N",
  float: "NUMBER",
  text: undefined,
  file: "FILE",
  directory: "DIR",
  path: "PATH",
  choice: undefined,
  date: "TIME",
  "key=value": "KEY=VALUE"
}

/** An option that takes a value (`--name VALUE`). */
export const option = (name: string, type: Exclude<ValueSpec["type"], "choice">, fields: OptionFields): OptionSpec => ({
  name: `--${name}`,
  aliases: fields.aliases ?? [],
  key: fields.key,
  value: {
    placeholder: fields.placeholder ?? defaultPlaceholder[type] ?? name.split("-").pop()!.toUpperCase(),
    type,
    values: fields.values ?? []
  },
  description: fields.description,
  required: fields.required === true,
  repeated: fields.repeated === true,
  default: fields.default === undefined ? undefined : String(fields.default),
  shownDefault: fields.shownDefault
})

/** An option whose value is one of `cases`. */
export const choice = (name: string, cases: ReadonlyArray<string>, fields: Omit<OptionFields, "values">): OptionSpec => ({
  ...option(name, "text", fields),
  value: { placeholder: fields.placeholder ?? cases.join("|"), type: "choice", values: cases }
})

/** A flag: a boolean option, false unless given (`--quiet`, or `--quiet false`). */
export const flag = (name: string, description: string, key?: string): OptionSpec => ({
  name: `--${name}`,
  aliases: [],
  key,
  value: null,
  description,
  required: false,
  repeated: false
})

/** The handler's field of an option. */
export const keyOf = (o: OptionSpec): string =>
  o.key ?? o.name.replace(/^-+/, "").replace(/-([a-z0-9])/g, (_, c: string) => c.toUpperCase())

/** The command's data, for help, completion and usage errors. */
export const spec = (declaration: Declaration<any>, parent: ReadonlyArray<string> = []): CommandSpec => {
  const path = [...parent, declaration.name]
  return {
    name: declaration.name,
    path,
    description: declaration.description,
    options: declaration.options ?? [],
    args: declaration.args ?? [],
    subcommands: (declaration.subcommands ?? []).map((d) => spec(d, path)),
    subcommandNoun: declaration.subcommandNoun
  }
}

// ---- the @effect/cli command, from the same declaration ----------------------------------------

const typed = (o: OptionSpec, text: string): unknown => (o.value?.type === "integer" || o.value?.type === "float" ? Number(text) : text)

const single = (o: OptionSpec): Options.Options<unknown> => {
  const name = o.name.replace(/^-+/, "")
  const value = o.value
  if (value === null) return Options.boolean(name)
  switch (value.type) {
    case "integer":
      return Options.integer(name)
    case "float":
      return Options.float(name)
    case "file":
      return Options.file(name)
    case "directory":
      return Options.directory(name)
    case "date":
      return Options.date(name)
    case "choice":
      return Options.choice(name, value.values as [string, ...Array<string>])
    case "key=value":
      return Options.keyValueMap(name)
    default:
      return Options.text(name)
  }
}

const toOptions = (o: OptionSpec): Options.Options<unknown> => {
  let options = single(o)
  for (const alias of o.aliases) options = Options.withAlias(options, alias.replace(/^-+/, ""))
  if (o.value === null || o.value.type === "key=value") return options
  if (o.repeated) return Options.repeated(options)
  if (o.default !== undefined) return Options.withDefault(options, typed(o, o.default))
  return o.required ? options : Options.optional(options)
}

const toArgs = (a: ArgSpec): Args.Args<unknown> => {
  let args: Args.Args<unknown> = a.value.type === "file" ? Args.file({ name: a.name }) : Args.text({ name: a.name })
  if (a.repeated) args = Args.repeated(args)
  else if (a.optional) args = Args.optional(args)
  return args
}

/** The @effect/cli command of a declaration: it parses a command line into the handler's flags. */
export const toCommand = <R>(declaration: Declaration<R>): Command.Command<string, R, unknown, unknown> => {
  const config: Record<string, Options.Options<unknown> | Args.Args<unknown>> = {}
  for (const o of declaration.options ?? []) config[keyOf(o)] = toOptions(o)
  for (const a of declaration.args ?? []) config[a.name] = toArgs(a)
  const handler = declaration.handler
  const command = handler === undefined
    ? Command.make(declaration.name, config)
    : Command.make(declaration.name, config, (flags) => handler(flags as Flags))
  const children = (declaration.subcommands ?? []).map(toCommand)
  return (children.length === 0 ? command : Command.withSubcommands(command, children as [typeof children[number]])) as Command.Command<
    string,
    R,
    unknown,
    unknown
  >
}
