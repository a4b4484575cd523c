#!/usr/bin/env node
/**
 * The `steptrail` executable. `--version`, `--help` and `--completions` are answered from
 * the command spec the bundle embeds (`STEPTRAIL_COMMANDS`), without loading the commands;
 * anything else loads `Main`, which runs the command tree and maps every failure to one
 * stderr line and a contract exit code.
 */
import type { CommandSpec } from "./CommandSpec.js"
import * as Launch from "./Launch.js"

/** The spec as JSON text (V8 parses JSON faster than an object literal of the same size). */
declare const STEPTRAIL_COMMANDS: string | undefined

const argv = process.argv.slice(2)
const answered = typeof STEPTRAIL_COMMANDS === "string"
  ? Launch.launch(JSON.parse(STEPTRAIL_COMMANDS) as CommandSpec, argv, Launch.processIo())
  : undefined

if (answered !== undefined) {
  // not process.exit: a completion script written to a pipe must be flushed first
  process.exitCode = answered
} else {
  const { main } = await import("./Main.js")
  main(argv)
}
