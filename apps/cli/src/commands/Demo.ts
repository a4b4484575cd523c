import { Export, Output, Summary } from "@steptrail/export"
import { Effect, Redacted } from "effect"
import { type Declaration, option } from "../Declared.js"
import { Stdio } from "../Stdio.js"
import * as TerminalText from "../TerminalText.js"

const run = (flags: { readonly out: string }) =>
  Effect.gen(function*() {
    const { stderr } = yield* Stdio
    // loaded here, not at start-up: no other command evaluates the emulator or all three providers
    const [{ Emulator }, { Cloudflare }, { Orchestra }, { Onepin }] = yield* Effect.promise(() =>
      Promise.all([import("@steptrail/emulator"), import("@steptrail/cloudflare"), import("@steptrail/orchestra"), import("@steptrail/onepin")])
    )
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
  }).pipe(Effect.scoped)

export const demo: Declaration = {
  name: "demo",
  description:
    "Start the emulator in-process, export one workflow of each provider (full outputs) into one file, and print a summary on stderr.\n\n" +
    "Example:\n  steptrail demo --out demo.ndjson && jq -r .status demo.ndjson | sort | uniq -c",
  options: [option("out", "file", { description: "Where to write the records.", default: "steptrail-demo.ndjson" })],
  handler: (flags) => run(flags as { readonly out: string })
}
