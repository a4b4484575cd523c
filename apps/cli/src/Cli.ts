/**
 * The command tree. Commands only compose layers from the packages; anything a library user
 * would need lives in those packages.
 */
import { Command } from "@effect/cli"
import { demo } from "./commands/Demo.js"
import { emulator } from "./commands/Emulator.js"
import { exportCommand } from "./commands/Export.js"
import { schema } from "./commands/Schema.js"

declare const STEPTRAIL_VERSION: string

export const root = Command.make("steptrail").pipe(
  Command.withDescription(
    "Export the step-by-step execution history of workflow runs (Cloudflare Workflows, Arcee Orchestra, Onepin) as NDJSON."
  ),
  Command.withSubcommands([exportCommand, emulator, demo, schema])
)

export const cli = Command.run(root, {
  name: "steptrail",
  version: typeof STEPTRAIL_VERSION === "string" ? STEPTRAIL_VERSION : "0.0.0-dev"
})
