#!/usr/bin/env node
/**
 * The `steptrail` executable: runs the command tree, maps every failure to one stderr line
 * and a contract exit code.
 */
import { NodeContext, NodeHttpClient, NodeRuntime } from "@effect/platform-node"
import { Cause, Effect, FiberRef, Layer, Logger, LogLevel, Option } from "effect"
import { cli } from "./Cli.js"
import { fromCause } from "./Failure.js"
import * as Signals from "./Signals.js"

const stderrLogger = Logger.make(({ logLevel, message }) => {
  const text = Array.isArray(message) ? message.join(" ") : String(message)
  process.stderr.write(`steptrail: ${logLevel.label.toLowerCase()}: ${text}\n`)
})

const verbose = process.argv.includes("--verbose")

const MainLive = Layer.mergeAll(
  NodeContext.layer,
  NodeHttpClient.layerUndici,
  Logger.replace(Logger.defaultLogger, stderrLogger),
  Logger.minimumLogLevel(verbose ? LogLevel.Debug : LogLevel.Warning)
)

// A failure is reported once, by the teardown below; the runtime's own "fiber terminated"
// debug lines would only repeat it under --verbose.
const program = Effect.suspend(() => cli(process.argv)).pipe(
  Effect.provide(MainLive),
  Effect.locally(FiberRef.unhandledErrorLogLevel, Option.none())
)

// @effect/cli names the root's subcommands for an unknown provider (`export airflow`), which
// misleads: say which providers there are.
const providers = ["cloudflare", "orchestra", "onepin"]
const [command, provider] = process.argv.slice(2)
if (command === "export" && provider !== undefined && !provider.startsWith("-") && !providers.includes(provider)) {
  process.stderr.write(`steptrail: unknown provider ${JSON.stringify(provider)}: use one of ${providers.join(", ")}\n`)
  process.exit(2)
}

Signals.install()
NodeRuntime.runMain(program, {
  disableErrorReporting: true,
  disablePrettyLogger: true,
  teardown: (exit, onExit) => {
    if (exit._tag === "Success") return onExit(0)
    const failure = fromCause(exit.cause)
    if (failure.line !== null) process.stderr.write(`steptrail: ${failure.line}\n`)
    onExit(Cause.isInterruptedOnly(exit.cause) ? Signals.exitCode() : failure.code)
  }
})
