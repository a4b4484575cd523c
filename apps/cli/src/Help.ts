/**
 * `--help`, rendered from the command spec: the full command path in the usage line,
 * optional and repeatable options bracketed, defaults shown, lines wrapped to the terminal
 * (80 columns off one), ANSI only on a terminal without `NO_COLOR`, and the command's
 * examples last. Works for any tree declared with `Declared`.
 *
 * Descriptions follow one convention: the first paragraph is the summary (shown in the
 * parent's command list), and a paragraph starting with `Example:` or `Examples:` holds
 * example command lines, one per line.
 */
import * as CommandSpec from "./CommandSpec.js"

export interface Style {
  readonly width: number
  readonly color: boolean
}

/** How help is laid out for an output: its width, and whether it may carry ANSI. */
export const style = (output: { readonly isTTY?: boolean | undefined; readonly columns?: number | undefined }, env: Readonly<Record<string, string | undefined>>): Style => {
  const tty = output.isTTY === true
  const columns = tty && typeof output.columns === "number" && output.columns > 0 ? output.columns : 80
  return {
    width: Math.max(40, columns),
    color: tty && (env.NO_COLOR ?? "") === "" && env.TERM !== "dumb"
  }
}

interface Parts {
  readonly summary: string
  readonly prose: ReadonlyArray<string>
  readonly examples: ReadonlyArray<string>
}

/** Splits a description into its summary, further paragraphs and example lines. */
export const parts = (description: string): Parts => {
  const paragraphs = description.split(/\n[ \t]*\n/).map((p) => p.replace(/^\n+|\s+$/g, "")).filter((p) => p !== "")
  const examples: Array<string> = []
  const prose: Array<string> = []
  for (const p of paragraphs) {
    const m = /^Examples?:[ \t]*\n?/.exec(p)
    if (m === null) prose.push(p)
    else examples.push(...p.slice(m[0].length).split("\n").map((l) => l.trim()).filter((l) => l !== ""))
  }
  return { summary: prose[0] ?? "", prose: prose.slice(1), examples }
}

/**
 * Word-wraps one paragraph (or a list of words never broken apart); `first` and `rest` are
 * the indents of its first and other lines.
 */
export const wrap = (text: string | ReadonlyArray<string>, width: number, rest = "", first = rest): Array<string> => {
  const lines: Array<string> = []
  let line = first
  let empty = true
  for (const word of typeof text === "string" ? text.split(/\s+/).filter((w) => w !== "") : text) {
    if (!empty && line.length + 1 + word.length > width) {
      lines.push(line)
      line = rest + word
    } else {
      line += (empty ? "" : " ") + word
    }
    empty = false
  }
  lines.push(line)
  return lines
}

/**
 * An example command line too long for the width, continued with ` \` on indented lines.
 * It breaks before a shell operator (`|`, `&&`, `||`, `;`) where it can, so a command keeps
 * its arguments on one line (`uniq -c`, not `uniq \` then `-c`); within a command only when
 * the command alone is wider than the line.
 */
const wrapCommand = (command: string, width: number): Array<string> => {
  const words = command.match(/(?:[^\s'"]+|'[^']*'|"(?:[^"\\]|\\.)*")+/g) ?? [command]
  // the words of each command of a pipeline or list, an operator leading all but the first
  const segments: Array<Array<string>> = [[]]
  for (const word of words) {
    if (/^(\||&&|\|\||;)$/.test(word) && segments[segments.length - 1]!.length > 0) segments.push([])
    segments[segments.length - 1]!.push(word)
  }
  const lines: Array<string> = []
  let line = "  "
  const fits = (text: string) => line.length + 1 + text.length + 2 <= width
  const add = (word: string) => {
    const fresh = line.trim() === ""
    if (!fresh && !fits(word)) {
      lines.push(`${line} \\`)
      line = "      " + word
    } else {
      line += (fresh ? "" : " ") + word
    }
  }
  for (const segment of segments) {
    const text = segment.join(" ")
    if (line.trim() !== "" && !fits(text) && 6 + text.length + 2 <= width) {
      lines.push(`${line} \\`)
      line = "      " + text
    } else {
      segment.forEach(add)
    }
  }
  lines.push(line)
  return lines
}

/** The first sentence of a paragraph (not cut at "e.g."): what a list of commands shows. */
export const firstSentence = (text: string): string => /^(.+?[.!?])(?=\s+[A-Z]|\s*$)/s.exec(text)?.[1] ?? text

const valueText = (o: CommandSpec.OptionSpec) => (o.value === null ? o.name : `${o.name} ${o.value.placeholder}`)

const usageToken = (o: CommandSpec.OptionSpec) => {
  const core = valueText(o)
  return `${o.required ? core : `[${core}]`}${o.repeated ? "..." : ""}`
}

const argToken = (a: CommandSpec.ArgSpec) => {
  const core = a.value.placeholder
  return `${a.optional ? `[${core}]` : core}${a.repeated ? "..." : ""}`
}

/**
 * Options every sibling of the command has alike (same name and description), which help
 * shows as one group instead of in every usage line. Required options are never grouped.
 */
export const common = (parent: CommandSpec.CommandSpec | undefined, command: CommandSpec.CommandSpec): Array<CommandSpec.OptionSpec> => {
  const siblings = parent?.subcommands ?? []
  if (siblings.length < 2) return []
  return command.options.filter((o) =>
    !o.required && siblings.every((s) => s.options.some((x) => x.name === o.name && x.description === o.description))
  )
}

const hanging = (head: string, tokens: ReadonlyArray<string>, width: number): Array<string> => {
  const indent = head.length + 3 <= width / 2 ? " ".repeat(head.length + 3) : "      "
  return wrap(tokens, width, indent, `  ${head} `).map((l) => l.replace(/\s+$/, ""))
}

/** The column descriptions start at, for rows of these labels: one for the whole page. */
const columnFor = (labels: ReadonlyArray<string>) => Math.min(Math.max(0, ...labels.map((l) => l.length)), 26) + 4

const table = (rows: ReadonlyArray<readonly [string, string]>, width: number, column = columnFor(rows.map(([l]) => l))): Array<string> => {
  const lines: Array<string> = []
  for (const [label, text] of rows) {
    const pad = " ".repeat(column)
    if (label.length + 4 > column) {
      lines.push(`  ${label}`)
      if (text !== "") lines.push(...wrap(text, width, pad))
    } else {
      lines.push(...wrap(text, width, pad, `  ${label}`.padEnd(column)))
    }
  }
  return lines.map((l) => l.replace(/\s+$/, ""))
}

const optionRow = (o: CommandSpec.OptionSpec): readonly [string, string] => {
  const names = [...o.aliases, o.name].join(", ")
  const label = o.value === null ? names : `${names} ${o.value.placeholder}`
  const shown = o.default ?? o.shownDefault
  const notes = [
    o.required ? "Required." : "",
    o.repeated && !/repeatable/i.test(o.description) ? "Repeatable." : "",
    shown !== undefined && !/\bdefault\b/i.test(o.description) ? `Default: ${shown}.` : ""
  ].filter((n) => n !== "")
  return [label, [o.description, ...notes].join(" ").trim()]
}

/** The help of `command`, a node of the tree under `root`. */
export const render = (root: CommandSpec.CommandSpec, command: CommandSpec.CommandSpec, style: Style): string => {
  const { width } = style
  const heading = (text: string) => (style.color ? `\x1b[1m${text}\x1b[0m` : text)
  const parent = CommandSpec.find(root, command.path.slice(1, -1))
  const path = CommandSpec.commandLine(command)
  const grouped = command.path.length > 1 ? common(parent, command) : []
  // a parent's own options first, before those its subcommands take too
  const inSubcommand = (o: CommandSpec.OptionSpec) => command.subcommands.some((c) => c.options.some((x) => x.name === o.name))
  const own = command.options.filter((o) => !grouped.includes(o) && !inSubcommand(o))
    .concat(command.options.filter((o) => !grouped.includes(o) && inSubcommand(o)))
  const { summary, prose, examples } = parts(command.description)
  const out: Array<string> = []
  const section = (title: string, lines: ReadonlyArray<string>) => {
    if (lines.length > 0) out.push("", heading(title), ...lines)
  }

  out.push(...wrap(summary || path, width))
  for (const p of prose) out.push("", ...wrap(p, width))

  const usage: Array<string> = []
  const noun = CommandSpec.noun(command)
  if (command.subcommands.length > 0) usage.push(...hanging(path, [noun.toUpperCase(), "[OPTIONS]"], width))
  if (command.subcommands.length === 0 || command.options.length > 0 || command.args.length > 0) {
    const tokens = [
      ...own.filter((o) => o.required).map(usageToken),
      ...own.filter((o) => !o.required).map(usageToken),
      ...(grouped.length > 0 ? ["[common options]"] : []),
      ...command.args.map(argToken)
    ]
    usage.push(...hanging(path, tokens, width))
  }
  if (command.path.length === 1) usage.push(...hanging(path, ["--version"], width), ...hanging(path, ["--completions", "bash|zsh|fish"], width))
  section("Usage:", usage)

  const title = (word: string) => word.charAt(0).toUpperCase() + word.slice(1)
  const globals = (command.path.length === 1 ? [...CommandSpec.builtIns, ...CommandSpec.rootBuiltIns] : CommandSpec.builtIns).map(optionRow)
  const rows = {
    commands: command.subcommands.map((c) => [c.name, firstSentence(parts(c.description).summary)] as const),
    args: command.args.map((a) => [a.value.placeholder, a.description] as const),
    own: own.map(optionRow),
    grouped: grouped.map(optionRow),
    globals
  }
  const column = columnFor(Object.values(rows).flatMap((r) => r.map(([label]) => label)))
  section(`${title(noun)}s:`, table(rows.commands, width, column))
  section("Arguments:", table(rows.args, width, column))
  section("Options:", table(rows.own, width, column))
  const scope = command.path.slice(1, -1).join(" ")
  section(`Common options (every ${scope === "" ? "" : `${scope} `}${CommandSpec.noun(parent ?? root)}):`, table(rows.grouped, width, column))
  section("Global options:", table(rows.globals, width, column))
  if (command.subcommands.length > 0) {
    out.push("", ...wrap(`Run '${path} ${noun.toUpperCase()} --help' for the options of a ${noun}.`, width))
  }
  section(examples.length > 1 ? "Examples:" : "Example:", examples.flatMap((e) => wrapCommand(e, width)))
  return out.join("\n") + "\n"
}
