import { Command } from "@effect/cli"
import { StepRecord } from "@steptrail/core"
import { Console } from "effect"

export const schema = Command.make("schema", {}, () =>
  Console.log(JSON.stringify(StepRecord.jsonSchema(), null, 2))).pipe(
    Command.withDescription(
      "Print the JSON Schema of the step record (one NDJSON line of an export); docs/record.md describes every field.\n\n" +
        "Example:\n  steptrail schema > step-record.schema.json"
    )
  )
