/**
 * Usage errors as one sentence, with a "did you mean" for a misspelt command, option or
 * value. The command line is read against the command spec (`CommandSpec.walk`), so the
 * message names what the user typed and what the command has, whatever the tree holds.
 */
import * as CommandSpec from "./CommandSpec.js"

/** Edit distance counting a swap of two neighbours as one edit (optimal string alignment). */
export const distance = (a: string, b: string): number => {
  const d: Array<Array<number>> = Array.from({ length: a.length + 1 }, (_, i) => [i])
  for (let j = 1; j <= b.length; j++) d[0]![j] = j
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1
      let best = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost)
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, d[i - 2]![j - 2]! + 1)
      d[i]![j] = best
    }
  }
  return d[a.length]![b.length]!
}

/**
 * The candidate the user most likely meant: the closest within a third of the word's
 * length (at least 2 edits), or the only one the word is a prefix of.
 */
export const closest = (word: string, candidates: ReadonlyArray<string>): string | undefined => {
  const bare = (s: string) => s.replace(/^-+/, "").toLowerCase()
  const w = bare(word)
  if (w === "") return undefined
  let best: string | undefined
  let bestDistance = Infinity
  for (const c of candidates) {
    const dist = distance(w, bare(c))
    if (dist < bestDistance) {
      best = c
      bestDistance = dist
    }
  }
  if (best !== undefined && bestDistance <= Math.max(2, Math.floor(w.length / 3))) return best
  const prefixed = candidates.filter((c) => bare(c).startsWith(w))
  return prefixed.length === 1 ? prefixed[0] : undefined
}

const where = (command: CommandSpec.CommandSpec) => (command.path.length > 1 ? ` for ${command.path.slice(1).join(" ")}` : "")
const helpHint = (command: CommandSpec.CommandSpec) => `see ${CommandSpec.commandLine(command)} --help`
const quote = (text: string) => JSON.stringify(text)

export const unknownWord = (token: string, command: CommandSpec.CommandSpec): string => {
  if (command.subcommands.length === 0) return `unexpected argument ${quote(token)}${where(command)}; ${helpHint(command)}`
  const names = command.subcommands.map((c) => c.name)
  const guess = closest(token, names)
  return `unknown ${CommandSpec.noun(command)} ${quote(token)}${where(command)}; ` +
    (guess !== undefined ? `did you mean ${guess}?` : `use one of ${names.join(", ")}`)
}

export const unknownOption = (token: string, command: CommandSpec.CommandSpec): string => {
  const guess = closest(token, CommandSpec.accepted(command).flatMap((o) => [o.name, ...o.aliases]).filter((n) => n.startsWith("--")))
  if (guess !== undefined) return `unknown option ${token}${where(command)}; did you mean ${guess}?`
  // an option of a subcommand given before the subcommand's name
  if (CommandSpec.all(command).some((c) => c !== command && c.options.some((o) => o.name === token.toLowerCase()))) {
    return `unknown option ${token}${where(command)}; give it after the ${CommandSpec.noun(command)} (${CommandSpec.commandLine(command)} ${CommandSpec.noun(command).toUpperCase()} ${token} ...)`
  }
  return `unknown option ${token}${where(command)}; ${helpHint(command)}`
}

/** A value outside an option's choices, with a "did you mean" when one is close. */
export const badChoice = (name: string, cases: ReadonlyArray<string>, value: string): string => {
  const guess = closest(value, cases)
  return `${name} must be one of ${cases.join(", ")}; got ${quote(value)}` + (guess !== undefined ? `: did you mean ${guess}?` : "")
}

/** `'many' is not a integer` and the like: the option whose value was refused. */
const valueOwner = (walk: CommandSpec.Walk, value: string) => walk.occurrences.find((o) => o.value === value && o.option.value !== null)

const article = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`)

/**
 * One line for a command line @effect/cli refused: its first unknown command or option
 * (the likeliest mistake, whatever else went wrong), then @effect/cli's own complaint in
 * steptrail's words, or as @effect/cli put it when it is none of those.
 */
export const explain = (root: CommandSpec.CommandSpec, argv: ReadonlyArray<string>, message: string): string => {
  const walk = CommandSpec.walk(root, argv)
  const { unknownOption: option, unknownWord: word } = walk
  if (option !== undefined && (word === undefined || option.index < word.index)) return unknownOption(option.token, option.command)
  if (word !== undefined) return unknownWord(word.token, word.command)
  const command = walk.commands[walk.commands.length - 1]!
  const text = message.replace(/\s+/g, " ").trim()
  let m: RegExpExecArray | null
  if ((m = /^Expected to find option: '([^']+)'/.exec(text)) !== null) {
    const option = command.options.find((o) => o.name === m![1])
    if (option !== undefined) {
      const shown = option.value === null ? option.name : `${option.name} ${option.value.placeholder}`
      return `${command.path.slice(1).join(" ")} needs ${shown}; ${helpHint(command)}`
    }
  }
  if ((m = /^Expected a value following option: '([^']+)'/.exec(text)) !== null) {
    const option = CommandSpec.accepted(command).find((o) => o.name === m![1])
    return `${m[1]} needs a value${option?.value ? ` (${option.value.placeholder})` : ""}`
  }
  if ((m = /^'(.*)' is not a (integer|float|date)/.exec(text)) !== null) {
    const owner = valueOwner(walk, m[1]!)
    const type = m[2] === "integer" ? "whole number" : m[2] === "float" ? "number" : "date"
    if (owner !== undefined) return `${owner.option.name} must be ${article(type)}, got ${quote(m[1]!)}`
  }
  if ((m = /^Expected one of the following cases: (.*)$/.exec(text)) !== null) {
    const cases = m[1]!.split(",").map((c) => c.trim())
    const owner = walk.occurrences.find((o) => o.option.value?.type === "choice" && o.value !== undefined && !cases.includes(o.value))
    if (owner !== undefined) return badChoice(owner.option.name, cases, owner.value!)
  }
  if ((m = /^Expected path '(.*)' to be a (regular file|directory)$/.exec(text)) !== null) {
    const owner = valueOwner(walk, m[1]!)
    return `${owner !== undefined ? `${owner.option.name}: ` : ""}${m[1]} is not a ${m[2]}`
  }
  if ((m = /^Path '(.*)' must (not )?exist$/.exec(text)) !== null) {
    const owner = valueOwner(walk, m[1]!)
    return `${owner !== undefined ? `${owner.option.name}: ` : ""}${m[1]} ${m[2] === undefined ? "does not exist" : "already exists"}`
  }
  return text === "" ? `invalid command line; ${helpHint(command)}` : text
}
