/**
 * The command tree. Commands only compose layers from the packages; anything a library user
 * would need lives in those packages.
 */
import { Command } from "@effect/cli"
import { describe } from "./CommandTree.js"
import { demo } from "./commands/Demo.js"
import { emulator } from "./commands/Emulator.js"
import { exportCommand } from "./commands/Export.js"
import { schema } from "./commands/Schema.js"
import { version } from "./Launch.js"

export const root = Command.make("steptrail").pipe(
  Command.withDescription(
    "Export the step-by-step execution history of workflow runs (Cloudflare Workflows, Arcee Orchestra, Onepin) as NDJSON.\n\n" +
      "Examples:\n" +
      "  steptrail demo\n" +
      "  steptrail export cloudflare --account-id 0123456789abcdef0123456789abcdef --workflow order-pipeline --out runs.ndjson"
  ),
  Command.withSubcommands([exportCommand, emulator, demo, schema])
)

export const cli = Command.run(root, { name: "steptrail", version })

/** The tree as data, for help, completion and usage errors (`CommandSpec`). */
export const spec = () => describe(root, { nouns: { export: "provider" } })
