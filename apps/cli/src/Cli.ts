/**
 * The command tree, over a list of providers (`Providers.ts` is the default), declared once
 * (`Declared`): its spec for help, completion and usage errors, and the @effect/cli command
 * that parses a command line for the handlers. Commands only compose layers from the
 * packages; anything a library user would need lives in those packages.
 */
import { Command } from "@effect/cli"
import type { HttpClient } from "@effect/platform"
import type { NodeContext } from "@effect/platform-node"
import type { ProviderDescriptor, RateBudget } from "@steptrail/core"
import type { Effect } from "effect"
import type { CommandSpec } from "./CommandSpec.js"
import { demo } from "./commands/Demo.js"
import { emulator } from "./commands/Emulator.js"
import { exportCommand } from "./commands/Export.js"
import { schema } from "./commands/Schema.js"
import * as Declared from "./Declared.js"
import { serveCommand } from "./commands/Serve.js"
import { version } from "./Launch.js"
import { providers as defaultProviders } from "./Providers.js"
import type { Stdio } from "./Stdio.js"

/** The declaration of the tree for these providers. */
export const declare = (providers: ReadonlyArray<ProviderDescriptor.Descriptor>): Declared.Declaration => ({
  name: "steptrail",
  description: `Export the step-by-step execution history of workflow runs (${
    providers.map((p) => p.title).join(", ")
  }) as NDJSON.\n\n` +
    "Examples:\n" +
    ["demo", ...providers.slice(0, 1).flatMap((p) => p.examples.slice(0, 1))].map((line) => `  steptrail ${line}`).join("\n"),
  subcommands: [exportCommand(providers), serveCommand(providers), emulator, demo(providers), schema]
})

/** The tree for these providers: its spec, and the runner @effect/cli makes of it (made when first run). */
export const make = (providers: ReadonlyArray<ProviderDescriptor.Descriptor>) => {
  const declaration = declare(providers)
  const tree = Declared.spec(declaration)
  let runner: ReturnType<typeof runnerOf> | undefined
  return {
    run: (args: ReadonlyArray<string>) => (runner ??= runnerOf(declaration))(args),
    /** The tree as data, for help, completion and usage errors (`CommandSpec`). */
    spec: (): CommandSpec => tree
  }
}

/** What the commands need of the platform: `Main` provides it. */
export type Environment = NodeContext.NodeContext | HttpClient.HttpClient | Stdio | RateBudget.Budgets

const runnerOf = (declaration: Declared.Declaration) =>
  Command.run(Declared.toCommand(declaration), { name: "steptrail", version }) as (
    args: ReadonlyArray<string>
  ) => Effect.Effect<void, unknown, Environment>

export type Cli = ReturnType<typeof make>

let defaults: Cli | undefined

/** The tree of the default providers, made once. */
export const standard = (): Cli => (defaults ??= make(defaultProviders))

/** The default tree as data; the bundle embeds it in `bin.js` (`scripts/bundle.mjs`). */
export const spec = () => standard().spec()
