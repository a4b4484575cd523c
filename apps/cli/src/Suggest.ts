/**
 * Usage errors as one sentence, with a "did you mean" for a misspelt command, option or
 * value. The command line is read against the command spec (`CommandSpec.walk`), so the
 * message names what the user typed and what the command has, whatever the tree holds, and
 * every usage error is found here, before a command is parsed: none is read back from
 * @effect/cli's messages.
 *
 * `distance` is not @effect/cli's `AutoCorrect.levensteinDistance`: it counts a swap of two
 * neighbours as one edit (`exprot`), and it runs on the start-up path, which loads no Effect.
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

const article = (type: string) => (/^[aeiou]/.test(type) ? `an ${type}` : `a ${type}`)

/** Why a value is not of its option's type, or undefined if it is. */
const badValue = (option: CommandSpec.OptionSpec, text: string, isFile: (path: string) => boolean | undefined): string | undefined => {
  const value = option.value!
  const number = text.trim() === "" ? NaN : Number(text)
  switch (value.type) {
    case "integer":
      return Number.isInteger(number) ? undefined : `${option.name} must be ${article("whole number")}, got ${quote(text)}`
    case "float":
      return !Number.isNaN(number) ? undefined : `${option.name} must be ${article("number")}, got ${quote(text)}`
    case "date":
      return !Number.isNaN(new Date(text).getTime()) ? undefined : `${option.name} must be ${article("date")}, got ${quote(text)}`
    case "choice":
      return value.values.includes(text) ? undefined : badChoice(option.name, value.values, text)
    case "file":
      // a file that does not exist yet is fine (an output); one that is a directory is not
      return isFile(text) === false ? `${option.name}: ${text} is not a regular file` : undefined
    case "directory":
      return isFile(text) === true ? `${option.name}: ${text} is not a directory` : undefined
    default:
      return undefined
  }
}

/**
 * The usage error of a command line, read against the spec alone, or undefined when the
 * command may run: its first unknown command or option (the likeliest mistake, whatever else
 * went wrong), an option without its value or given twice, an empty value of a repeatable option (a list of
 * ids, say), a value not of its option's type, a required option not given. `isFile` says
 * whether a path is a regular file (undefined when nothing is there).
 */
export const check = (
  walk: CommandSpec.Walk,
  isFile: (path: string) => boolean | undefined
): string | undefined => {
  const { unknownOption: option, unknownWord: word } = walk
  if (option !== undefined && (word === undefined || option.index < word.index)) return unknownOption(option.token, option.command)
  if (word !== undefined) return unknownWord(word.token, word.command)
  for (const [i, o] of walk.occurrences.entries()) {
    if (!o.option.repeated && walk.occurrences.slice(0, i).some((x) => x.option === o.option && x.command === o.command)) {
      return `${o.option.name} is given twice; give it once`
    }
    if (o.option.value === null) continue
    if (o.value === undefined) return `${o.option.name} needs a value (${o.option.value.placeholder})`
    if (o.option.repeated && o.value.trim() === "") return `${o.option.name} must not be empty`
    const bad = badValue(o.option, o.value, isFile)
    if (bad !== undefined) return bad
  }
  for (const command of walk.commands) {
    const missing = command.options.find((o) => o.required && !walk.occurrences.some((x) => x.option === o && x.command === command))
    if (missing !== undefined) {
      const shown = missing.value === null ? missing.name : `${missing.name} ${missing.value.placeholder}`
      return `${command.path.slice(1).join(" ")} needs ${shown}; ${helpHint(command)}`
    }
  }
  return undefined
}
