import { Command } from "@effect/cli"
import { StepRecord } from "@steptrail/core"
import { Output } from "@steptrail/export"
import { Effect } from "effect"
import { Stdio } from "../Stdio.js"

export const schema = Command.make("schema", {}, () =>
  Effect.flatMap(Stdio, ({ stdout }) =>
    // through the export's stdout: a closed pipe ends it quietly, a full disk with exit 1
    Output.stdout(stdout).write(new TextEncoder().encode(JSON.stringify(StepRecord.jsonSchema(), null, 2) + "\n")))).pipe(
    Command.withDescription(
      "Print the JSON Schema of the step record (one NDJSON line of an export); docs/record.md describes every field.\n\n" +
        "Example:\n  steptrail schema > step-record.schema.json"
    )
  )
