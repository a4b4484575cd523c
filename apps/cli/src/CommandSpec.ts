/**
 * The command tree as plain data: what help, completion scripts and usage errors need to
 * know about every command and option. The commands declare it (`Declared`), and the same
 * declarations make the @effect/cli commands; the bundle embeds it, so `--help`,
 * `--completions` and usage errors answer without loading the commands themselves.
 *
 * Nothing here imports Effect: this module is part of the CLI's start-up path.
 */

export interface ValueSpec {
  /** What the usage line shows: `N`, `FILE`, `ID`, `ndjson|singer`. */
  readonly placeholder: string
  readonly type: "integer" | "float" | "text" | "file" | "directory" | "path" | "choice" | "date" | "key=value"
  /** Values a shell may complete: a choice's cases, or values an option declared as hints. */
  readonly values: ReadonlyArray<string>
}

export interface OptionSpec {
  /** The long name with its dashes: `--account-id`. */
  readonly name: string
  /** Other names, dashes included: `-h`. */
  readonly aliases: ReadonlyArray<string>
  /** The field of the command's parsed flags that holds it (default: the name in camelCase). */
  readonly key?: string | undefined
  /** Null for a flag (a boolean option). */
  readonly value: ValueSpec | null
  readonly description: string
  readonly required: boolean
  readonly repeated: boolean
  /** The default as the user would type it, when there is one worth showing. */
  readonly default?: string | undefined
  /**
   * A default help shows but the parser does not apply: a provider setting's, which
   * `ProviderConfig.resolve` applies only after the config file and the environment (as a
   * flag's default it would win over both).
   */
  readonly shownDefault?: string | undefined
}

export interface ArgSpec {
  readonly name: string
  readonly description: string
  readonly optional: boolean
  readonly repeated: boolean
  readonly value: ValueSpec
}

export interface CommandSpec {
  readonly name: string
  /** From the root, root included: `["steptrail", "export", "cloudflare"]`. */
  readonly path: ReadonlyArray<string>
  readonly description: string
  readonly options: ReadonlyArray<OptionSpec>
  readonly args: ReadonlyArray<ArgSpec>
  readonly subcommands: ReadonlyArray<CommandSpec>
  /** What a subcommand is called in usage lines and errors (`provider`); default `command`. */
  readonly subcommandNoun?: string | undefined
}

/**
 * Options every command accepts, answered by `Launch` from this spec before any command is
 * parsed. `--wizard` is not among them: it needs an interactive terminal, so steptrail
 * refuses it.
 */
export const builtIns: ReadonlyArray<OptionSpec> = [
  {
    name: "--help",
    aliases: ["-h"],
    value: null,
    description: "Show this help and exit.",
    required: false,
    repeated: false
  },
  {
    name: "--log-level",
    aliases: [],
    value: {
      placeholder: "LEVEL",
      type: "choice",
      values: ["all", "trace", "debug", "info", "warning", "error", "fatal", "none"]
    },
    description: "Log messages of this level and above on stderr (--verbose is --log-level debug for requests and retries).",
    required: false,
    repeated: false
  }
]

/** Built-ins shown and accepted on the root command only. */
export const rootBuiltIns: ReadonlyArray<OptionSpec> = [
  {
    name: "--version",
    aliases: [],
    value: null,
    description: "Print the version and exit.",
    required: false,
    repeated: false
  },
  {
    name: "--completions",
    aliases: [],
    value: { placeholder: "SHELL", type: "choice", values: ["bash", "zsh", "fish"] },
    description: "Print a completion script for the shell (see the README's Shell completions).",
    required: false,
    repeated: false
  }
]

export const shells = ["bash", "zsh", "fish"] as const
export type Shell = typeof shells[number]

/** Words a flag takes as its explicit value (`--follow false`), as @effect/cli reads them too. */
const booleanWords = new Set(["true", "1", "y", "yes", "on", "false", "0", "n", "no", "off"])

/** The command at `path` (names below the root), if the tree has it. */
export const find = (root: CommandSpec, path: ReadonlyArray<string>): CommandSpec | undefined => {
  let current: CommandSpec | undefined = root
  for (const name of path) current = current?.subcommands.find((c) => c.name === name)
  return current
}

/** Every command of the tree, parents before children. */
export const all = (root: CommandSpec): Array<CommandSpec> => [root, ...root.subcommands.flatMap(all)]

/** The path as a user types it: `steptrail export cloudflare`. */
export const commandLine = (command: CommandSpec): string => command.path.join(" ")

export const noun = (command: CommandSpec): string => command.subcommandNoun ?? "command"

/** The options a command accepts on its command line, built-ins included. */
export const accepted = (command: CommandSpec): ReadonlyArray<OptionSpec> =>
  command.path.length === 1 ? [...command.options, ...builtIns, ...rootBuiltIns] : [...command.options, ...builtIns]

// option names match without regard to case (as @effect/cli matches them)
const lookup = (options: ReadonlyArray<OptionSpec>, name: string) => {
  const lower = name.toLowerCase()
  return options.find((o) => o.name === lower || o.aliases.includes(name))
}

export interface Occurrence {
  readonly option: OptionSpec
  readonly command: CommandSpec
  /** The value given, if the option takes one and one was given. */
  readonly value: string | undefined
  /** Where it stands in the command line, and how many words it takes there (1 or 2). */
  readonly index: number
  readonly words: number
}

export interface Unknown {
  readonly token: string
  readonly command: CommandSpec
  /** Its position in the command line. */
  readonly index: number
}

/** What a command line asks for, read against the tree. */
export interface Walk {
  /** The commands named, from the root. */
  readonly commands: ReadonlyArray<CommandSpec>
  readonly occurrences: ReadonlyArray<Occurrence>
  /** `--help`/`-h`, `--version`, `--wizard`, and `--completions`' value, where given. */
  readonly help: boolean
  readonly version: boolean
  readonly wizard: boolean
  readonly completions: string | undefined
  /** The first option the command it follows does not have. */
  readonly unknownOption: Unknown | undefined
  /** The first word that is neither a subcommand nor an expected argument. */
  readonly unknownWord: Unknown | undefined
  /** Arguments (positional words) given to the last command. */
  readonly args: ReadonlyArray<string>
}

/**
 * The command line without the built-in options `Launch` answers from the spec
 * (`--log-level` and its value): what the command itself parses.
 */
export const withoutBuiltIns = (argv: ReadonlyArray<string>, walk: Walk): Array<string> => {
  const skip = new Set(
    walk.occurrences.filter((o) => builtIns.includes(o.option)).flatMap((o) => Array.from({ length: o.words }, (_, k) => o.index + k))
  )
  return argv.filter((_, k) => !skip.has(k))
}

/**
 * Reads `argv` (without the executable) against the tree: a command's options come after
 * its name and before its subcommand's name, `--name=value` is one option with its value,
 * a flag may be followed by `true` or `false`, and everything after `--` is an argument.
 */
export const walk = (root: CommandSpec, argv: ReadonlyArray<string>): Walk => {
  const commands: Array<CommandSpec> = [root]
  const occurrences: Array<Occurrence> = []
  const args: Array<string> = []
  let help = false
  let version = false
  let wizard = false
  let completions: string | undefined
  let unknownOption: Walk["unknownOption"]
  let unknownWord: Walk["unknownWord"]
  let onlyArgs = false
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!
    const current = commands[commands.length - 1]!
    if (!onlyArgs && token === "--") {
      onlyArgs = true
      continue
    }
    if (!onlyArgs && token.length > 1 && token.startsWith("-")) {
      const eq = token.startsWith("--") ? token.indexOf("=") : -1
      const name = eq > 0 ? token.slice(0, eq) : token
      const inline = eq > 0 ? token.slice(eq + 1) : undefined
      const option = lookup(accepted(current), name)
      if (option === undefined) {
        if (name === "--wizard") wizard = true
        // @effect/cli answers --version after any command, as the root does
        else if (name === "--version") version = true
        else unknownOption ??= { token: name, command: current, index: i }
        continue
      }
      const index = i
      let value = inline
      if (option.value !== null && value === undefined && i + 1 < argv.length) value = argv[++i]
      if (option.value === null && value === undefined && i + 1 < argv.length && booleanWords.has(argv[i + 1]!.toLowerCase())) {
        value = argv[++i]
      }
      if (option.name === "--help") help = true
      else if (option.name === "--version") version = true
      else if (option.name === "--completions") completions = value ?? ""
      occurrences.push({ option, command: current, value, index, words: i - index + 1 })
      continue
    }
    const sub = onlyArgs ? undefined : current.subcommands.find((c) => c.name === token)
    if (sub !== undefined) {
      commands.push(sub)
      args.length = 0
      continue
    }
    if (current.args.some((a) => a.repeated) || args.length < current.args.length) args.push(token)
    else unknownWord ??= { token, command: current, index: i }
  }
  return { commands, occurrences, help, version, wizard, completions, unknownOption, unknownWord, args }
}
