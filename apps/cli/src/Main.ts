/**
 * Runs a command line through the command tree: the platform layers, @effect/cli's parse,
 * the command, and every failure mapped to one stderr line and a contract exit code.
 * `bin.ts` loads this module only when `Launch` cannot answer from the spec alone.
 */
import { NodeContext, NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Cause, Effect, FiberRef, Layer, Logger, LogLevel, Option } from "effect"
import { cli, spec } from "./Cli.js"
import * as CommandSpec from "./CommandSpec.js"
import * as Failure from "./Failure.js"
import * as Launch from "./Launch.js"
import * as Signals from "./Signals.js"
import * as Suggest from "./Suggest.js"
import * as TerminalText from "./TerminalText.js"

const layer = (io: Launch.Io) =>
  Layer.mergeAll(
    NodeContext.layer,
    NodeHttpClient.layerUndici,
    Logger.replace(
      Logger.defaultLogger,
      Logger.make(({ logLevel, message }) => {
        const text = Array.isArray(message) ? message.join(" ") : String(message)
        io.stderr.write(`steptrail: ${logLevel.label.toLowerCase()}: ${TerminalText.line(text)}\n`)
      })
    ),
    // an export's `--verbose` lowers it for that export (`Flags.withVerbose`)
    Logger.minimumLogLevel(LogLevel.Warning)
  )

/** @effect/cli prints its own parse errors (with ANSI); steptrail prints one line instead. */
const withoutParseErrors = <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.console, (console) =>
    Effect.withConsole(self, {
      ...console,
      error: () => Effect.void,
      unsafe: { ...console.unsafe, error: () => {} }
    }))

/**
 * Runs `argv` (without the executable) to its end: the exit code, with the failure's line
 * already written. Only an interruption (a signal) is left to the caller.
 */
export const run = (argv: ReadonlyArray<string>, io: Launch.Io): Effect.Effect<number> =>
  Effect.suspend(() => {
    const tree = spec()
    const answered = Launch.launch(tree, argv, io)
    if (answered !== undefined) return Effect.succeed(answered)
    const args = CommandSpec.hoistBuiltIns(argv, CommandSpec.walk(tree, argv))
    return withoutParseErrors(cli(["node", tree.name, ...args])).pipe(
      Effect.as(0),
      Effect.catchAllCause((cause) => {
        if (Cause.isInterruptedOnly(cause)) return Effect.interrupt
        const failure = Failure.fromCause(cause, (message) => Suggest.explain(tree, argv, message))
        return Effect.succeed(failure.line === null ? failure.code : Launch.fail(io, failure.line, failure.code))
      }),
      Effect.provide(layer(io)),
      // a failure is reported once, above; the runtime's "fiber terminated" lines would repeat it
      Effect.locally(FiberRef.unhandledErrorLogLevel, Option.none())
    )
  })

/** The process's command line, run to its exit code. */
export const main = (argv: ReadonlyArray<string>): void => {
  Signals.install()
  NodeRuntime.runMain(run(argv, Launch.processIo()), {
    disableErrorReporting: true,
    disablePrettyLogger: true,
    // an interruption is a signal: 130 for SIGINT, 143 for SIGTERM
    teardown: (exit, onExit) =>
      onExit(exit._tag === "Success" ? exit.value as number : Cause.isInterruptedOnly(exit.cause) ? Signals.exitCode() : Failure.fromCause(exit.cause).code)
  })
}
