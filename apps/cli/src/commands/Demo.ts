import { Command, Options } from "@effect/cli"
import { Cloudflare } from "@steptrail/cloudflare"
import { Export, Output, Summary } from "@steptrail/export"
import { Onepin } from "@steptrail/onepin"
import { Orchestra } from "@steptrail/orchestra"
import { Effect, Redacted } from "effect"
import { Stdio } from "../Stdio.js"
import * as TerminalText from "../TerminalText.js"

const out = Options.file("out").pipe(
  Options.withDescription("Where to write the records."),
  Options.withDefault("steptrail-demo.ndjson")
)

export const demo = Command.make("demo", { out }, (flags) =>
  Effect.gen(function*() {
    const { stderr } = yield* Stdio
    // loaded here, not at start-up: no other command evaluates the emulator
    const { Emulator } = yield* Effect.promise(() => import("@steptrail/emulator"))
    const emulator = yield* Emulator.start()
    const { info } = emulator
    const token = Redacted.make(info.token)
    stderr.write(`steptrail demo: emulator listening on ${new URL(info.adminUrl).host}\n`)
    const cloudflare = yield* Cloudflare.make({
      accountId: info.cloudflare.accountId,
      apiToken: token,
      baseUrl: info.cloudflare.baseUrl
    })
    const orchestra = yield* Orchestra.make({ apiKey: token, baseUrl: info.orchestra.baseUrl })
    const onepin = yield* Onepin.make({ apiKey: token, baseUrl: info.onepin.baseUrl, workspaceId: info.onepin.workspaceId })
    const output = yield* Output.file(flags.out)
    const summary = yield* Export.run(
      [
        { provider: cloudflare, workflow: info.cloudflare.workflow },
        { provider: orchestra, workflow: info.orchestra.workflow },
        { provider: onepin, workflow: info.onepin.workflow }
      ],
      output,
      { concurrency: 8, fullOutput: true }
    )
    stderr.write(TerminalText.escape(Summary.format(summary)) + "\n")
  }).pipe(Effect.scoped)).pipe(
    Command.withDescription(
      "Start the emulator in-process, export one workflow of each provider (full outputs) into one file, and print a summary on stderr.\n\n" +
        "Example:\n  steptrail demo --out demo.ndjson && jq -r .status demo.ndjson | sort | uniq -c"
    )
  )
