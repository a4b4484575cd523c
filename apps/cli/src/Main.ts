/**
 * Runs a command line through the command tree: the platform layers, @effect/cli's parse
 * (of a command line `Launch` has already checked against the spec), the command, and every
 * failure mapped to one stderr line and a contract exit code. `bin.ts` loads this module
 * only when `Launch` cannot answer from the spec alone.
 */
import { NodeContext, NodeHttpClient } from "@effect/platform-node"
import { type ProviderDescriptor, RateBudget } from "@steptrail/core"
import { Cause, ConfigProvider, Effect, FiberRef, identity, Layer, Logger, LogLevel, Option } from "effect"
import * as Cli from "./Cli.js"
import * as CommandSpec from "./CommandSpec.js"
import * as Failure from "./Failure.js"
import * as Launch from "./Launch.js"
import * as Signals from "./Signals.js"
import * as Stdio from "./Stdio.js"
import * as TerminalText from "./TerminalText.js"

/**
 * Everything a command reads of the world besides the network and the file system comes
 * from `io`: its streams (`Stdio`), its environment (the `ConfigProvider` providers and
 * `--config` read variables through) and a rate budget registry of its own, as a process has.
 */
const layer = (io: Launch.Io, argv: ReadonlyArray<string>) =>
  Layer.mergeAll(
    NodeContext.layer,
    NodeHttpClient.layerUndici,
    Stdio.layer(io, argv),
    // the same reading of names as `ConfigProvider.fromEnv`, over the variables given
    Layer.setConfigProvider(ConfigProvider.fromMap(defined(io.env), { pathDelim: "_", seqDelim: "," })),
    Layer.sync(RateBudget.Budgets, RateBudget.unsafeMakeGlobal),
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

/** A `--log-level` word (`CommandSpec.builtIns`: `debug`) as Effect's level. */
const logLevel = (word: string) => LogLevel.fromLiteral(`${word.charAt(0).toUpperCase()}${word.slice(1)}` as LogLevel.Literal)

const defined = (env: Launch.Io["env"]) =>
  new Map(Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined))

/**
 * @effect/cli prints a parse error it finds (with ANSI) before failing with it; steptrail
 * prints one line instead (`Failure`). Whatever else it prints (`Console.log`) goes to `io`'s
 * stdout.
 */
const withConsole = (io: Launch.Io) => <A, E, R>(self: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.console, (console) => {
    const log = (...args: ReadonlyArray<unknown>) => void io.stdout.write(args.map(String).join(" ") + "\n")
    return Effect.withConsole(self, {
      ...console,
      log: (...args) => Effect.sync(() => log(...args)),
      error: () => Effect.void,
      unsafe: { ...console.unsafe, log, error: () => {} }
    })
  })

/**
 * @since 0.2.0
 * @category models
 */
export interface Options {
  /** The providers offered (default: `Providers.providers`). */
  readonly providers?: ReadonlyArray<ProviderDescriptor.Descriptor> | undefined
}

const trees = new WeakMap<ReadonlyArray<ProviderDescriptor.Descriptor>, Cli.Cli>()

const treeOf = (providers: ReadonlyArray<ProviderDescriptor.Descriptor> | undefined): Cli.Cli => {
  if (providers === undefined) return Cli.standard()
  let tree = trees.get(providers)
  if (tree === undefined) trees.set(providers, tree = Cli.make(providers))
  return tree
}

/**
 * Runs `argv` (without the executable) to its end: the exit code, with the failure's line
 * already written. Only an interruption (a signal) is left to the caller. A test runs the
 * CLI in-process this way, with streams and an environment of its own.
 */
export const run = (argv: ReadonlyArray<string>, io: Launch.Io, options: Options = {}): Effect.Effect<number> =>
  Effect.suspend(() => {
    const cli = treeOf(options.providers)
    const tree = cli.spec()
    const answered = Launch.launch(tree, argv, io)
    if (answered !== undefined) return Effect.succeed(answered)
    const walk = CommandSpec.walk(tree, argv)
    const level = walk.occurrences.find((o) => o.option.name === "--log-level")?.value
    return cli.run(["node", tree.name, ...CommandSpec.withoutBuiltIns(argv, walk)]).pipe(
      withConsole(io),
      level === undefined ? identity : Logger.withMinimumLogLevel(logLevel(level)),
      Effect.as(0),
      Effect.catchAllCause((cause) => {
        if (Cause.isInterruptedOnly(cause)) return Effect.interrupt
        const failure = Failure.fromCause(cause, Failure.parseError(walk.commands[walk.commands.length - 1]!))
        return Effect.succeed(failure.line === null ? failure.code : Launch.fail(io, failure.line, failure.code))
      }),
      Effect.provide(layer(io, argv)),
      // a failure is reported once, above; the runtime's "fiber terminated" lines would repeat it
      Effect.locally(FiberRef.unhandledErrorLogLevel, Option.none())
    )
  })

/** The process's command line, run to its exit code. */
export const main = (argv: ReadonlyArray<string>): void => {
  Signals.runMain(run(argv, Launch.processIo()), {
    disableErrorReporting: true,
    disablePrettyLogger: true,
    // an interruption is a signal: 129 for SIGHUP, 130 for SIGINT, 143 for SIGTERM
    teardown: (exit, onExit) =>
      onExit(exit._tag === "Success" ? exit.value as number : Cause.isInterruptedOnly(exit.cause) ? Signals.exitCode() : Failure.fromCause(exit.cause).code)
  })
}
