/**
 * The command tree, over a list of providers (`Providers.ts` is the default). Commands only
 * compose layers from the packages; anything a library user would need lives in those
 * packages.
 */
import { Command } from "@effect/cli"
import type { ProviderDescriptor } from "@steptrail/core"
import type { CommandSpec } from "./CommandSpec.js"
import { describe } from "./CommandTree.js"
import { demo } from "./commands/Demo.js"
import { emulator } from "./commands/Emulator.js"
import { exportCommand } from "./commands/Export.js"
import { schema } from "./commands/Schema.js"
import { serveCommand } from "./commands/Serve.js"
import { version } from "./Launch.js"
import { providers as defaultProviders } from "./Providers.js"

/** The tree for these providers: `root`, the runner @effect/cli makes of it, and its spec. */
export const make = (providers: ReadonlyArray<ProviderDescriptor.Descriptor>) => {
  const root = Command.make("steptrail").pipe(
    Command.withDescription(
      "Export the step-by-step execution history of workflow runs (Cloudflare Workflows, Arcee Orchestra, Onepin) as NDJSON.\n\n" +
        "Examples:\n" +
        "  steptrail demo\n" +
        "  steptrail export cloudflare --account-id 0123456789abcdef0123456789abcdef --workflow order-pipeline --out runs.ndjson"
    ),
    Command.withSubcommands([exportCommand(providers), serveCommand(providers), emulator, demo, schema])
  )
  let described: CommandSpec | undefined
  return {
    root,
    run: Command.run(root, { name: "steptrail", version }),
    /** The tree as data, for help, completion and usage errors (`CommandSpec`); read once. */
    spec: (): CommandSpec => (described ??= describe(root, { nouns: { export: "provider" } }))
  }
}

export type Cli = ReturnType<typeof make>

let defaults: Cli | undefined

/** The tree of the default providers, made once. */
export const standard = (): Cli => (defaults ??= make(defaultProviders))

/** The default tree as data; the bundle embeds it in `bin.js` (`scripts/bundle.mjs`). */
export const spec = () => standard().spec()
