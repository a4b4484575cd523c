/**
 * What the CLI answers from the command spec alone, before any command is loaded:
 * `--version`, `--help`, `--completions SHELL`, the refusal of `--wizard`, and every usage
 * error (`Suggest.check`). The bundle runs this with a spec embedded at build time, so these
 * answers cost little more than starting Node; a command line that passes goes to `Main`.
 *
 * Nothing here imports Effect.
 */
import { createRequire } from "node:module"
import * as CommandSpec from "./CommandSpec.js"
import * as Completion from "./Completion.js"
import * as Help from "./Help.js"
import * as Suggest from "./Suggest.js"
import * as TerminalText from "./TerminalText.js"

declare const STEPTRAIL_VERSION: string

/**
 * The package's version (`apps/cli/package.json`): embedded by the bundle, read from the
 * package when the sources run unbundled (the tests).
 */
export const version: string = typeof STEPTRAIL_VERSION === "string"
  ? STEPTRAIL_VERSION
  : (createRequire(import.meta.url)("../package.json") as { readonly version: string }).version

/** A standard stream: what the CLI writes to, and what it may know of the terminal behind it. */
export interface Stream extends NodeJS.WritableStream {
  readonly isTTY?: boolean | undefined
  readonly columns?: number | undefined
  readonly rows?: number | undefined
}

/** Where the CLI writes, and the environment it reads (settings, credentials, `NO_COLOR`). */
export interface Io {
  readonly stdout: Stream
  readonly stderr: Stream
  readonly env: Readonly<Record<string, string | undefined>>
}

const guarded = new WeakSet<Stream>()

/**
 * An answer written to a reader that went away (`steptrail --help | head -1`) is no failure;
 * one that cannot be written (a full disk) is reported once, with exit 1. Installed when an
 * answer is written, not before: an export reports its own write failures.
 */
const guardStdout = (io: Io) => {
  if (guarded.has(io.stdout)) return
  guarded.add(io.stdout)
  let reported = false
  io.stdout.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE" || reported) return
    reported = true
    io.stderr.write(`steptrail: cannot write stdout: ${error.code === "ENOSPC" ? "no space left on device" : error.code ?? error.message}\n`)
    process.exitCode = 1
  })
}

const answer = (io: Io, text: string): number => {
  guardStdout(io)
  io.stdout.write(text)
  return 0
}

/** The process's own streams and environment. */
export const processIo = (): Io => ({ stdout: process.stdout, stderr: process.stderr, env: process.env })

/** Writes the one line of a failure on stderr: prefixed, escaped, one line whatever it holds. */
export const fail = (io: Io, message: string, code: number): number => {
  io.stderr.write(`steptrail: ${TerminalText.line(message)}\n`)
  return code
}

/**
 * Answers `argv` (without the executable) if the spec is enough: the exit code, with the
 * answer written. Undefined when a command has to run.
 */
export const launch = (spec: CommandSpec.CommandSpec, argv: ReadonlyArray<string>, io: Io): number | undefined => {
  const walk = CommandSpec.walk(spec, argv)
  if (walk.wizard) {
    return fail(io, `--wizard is not supported: give the options on the command line (see ${spec.name} --help)`, 2)
  }
  if (walk.completions !== undefined) {
    const shell = CommandSpec.shells.find((s) => s === walk.completions)
    if (shell === undefined) {
      return fail(io, `--completions must be one of ${CommandSpec.shells.join(", ")}; got ${JSON.stringify(walk.completions)}`, 2)
    }
    return answer(io, Completion.script(shell, spec))
  }
  if (walk.help || argv.length === 0) {
    const unknown = walk.unknownWord
    if (unknown !== undefined && unknown.command.subcommands.length > 0) return fail(io, Suggest.unknownWord(unknown.token, unknown.command), 2)
    const command = walk.commands[walk.commands.length - 1]!
    return answer(io, Help.render(spec, command, Help.style(io.stdout, io.env)))
  }
  const bare = walk.occurrences.find((o) => o.option.value !== null && o.value === undefined)
  if (bare !== undefined) return fail(io, `${bare.option.name} needs a value (${bare.option.value!.placeholder})`, 2)
  const refused = walk.occurrences.find((o) =>
    CommandSpec.builtIns.some((b) => b.name === o.option.name) && o.option.value?.type === "choice" && o.value !== undefined &&
    !o.option.value.values.includes(o.value)
  )
  if (refused !== undefined) return fail(io, Suggest.badChoice(refused.option.name, refused.option.value!.values, refused.value!), 2)
  if (walk.version) return answer(io, `${version}\n`)
  const usage = Suggest.check(walk, isFile)
  if (usage !== undefined) return fail(io, usage, 2)
  // the root runs nothing of its own: without a command (`steptrail --log-level debug`) it helps
  if (walk.commands.length === 1) return answer(io, Help.render(spec, spec, Help.style(io.stdout, io.env)))
  return undefined
}

/** Whether a path is a regular file; `node:fs` is required only then (its ESM import costs start-up). */
const isFile = (path: string): boolean | undefined => {
  try {
    return (createRequire(import.meta.url)("node:fs") as typeof import("node:fs")).statSync(path).isFile()
  } catch {
    return undefined
  }
}
