import { StepRecord } from "@steptrail/core"
import { Output } from "@steptrail/export"
import { Effect } from "effect"
import type { Declaration } from "../Declared.js"
import { Stdio } from "../Stdio.js"

export const schema: Declaration = {
  name: "schema",
  description: "Print the JSON Schema of the step record (one NDJSON line of an export); docs/record.md describes every field.\n\n" +
    "Example:\n  steptrail schema > step-record.schema.json",
  handler: () =>
    Effect.flatMap(Stdio, ({ stdout }) =>
      // through the export's stdout: a closed pipe ends it quietly, a full disk with exit 1
      Output.stdout(stdout).write(new TextEncoder().encode(JSON.stringify(StepRecord.jsonSchema(), null, 2) + "\n")))
}
