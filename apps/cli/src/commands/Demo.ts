import type { ProviderConfig, ProviderDescriptor } from "@steptrail/core"
import { Export, Output, Summary } from "@steptrail/export"
import { Effect, Redacted } from "effect"
import { type Declaration, option } from "../Declared.js"
import { Stdio } from "../Stdio.js"
import * as TerminalText from "../TerminalText.js"

/**
 * A registered provider's settings for the emulator: what the emulator's line names for it
 * (`baseUrl`, and `accountId`, `workspaceId`, `namespace`, named as the provider's settings
 * are), and its token as the provider's first secret setting. Undefined for a provider the
 * emulator does not serve.
 */
const settingsFor = (descriptor: ProviderDescriptor.Descriptor, entry: Readonly<Record<string, unknown>> | undefined, token: string) => {
  if (entry === undefined || typeof entry.workflow !== "string") return undefined
  const values: Record<string, string | Redacted.Redacted<string>> = {}
  let credential = false
  for (const setting of descriptor.settings) {
    const value = entry[setting.name]
    if (typeof value === "string") values[setting.name] = value
    else if (setting.secret === true && !credential) {
      values[setting.name] = Redacted.make(token)
      credential = true
    }
  }
  return { values: values as ProviderConfig.Values, workflow: entry.workflow }
}

const run = (providers: ReadonlyArray<ProviderDescriptor.Descriptor>, flags: { readonly out: string }) =>
  Effect.gen(function*() {
    const { stderr } = yield* Stdio
    // loaded here, not at start-up: no other command evaluates the emulator
    const { Emulator } = yield* Effect.promise(() => import("@steptrail/emulator"))
    const emulator = yield* Emulator.start()
    const info = emulator.info as unknown as Readonly<Record<string, Readonly<Record<string, unknown>> | undefined>>
    stderr.write(`steptrail demo: emulator listening on ${new URL(emulator.info.adminUrl).host}\n`)
    const sources: Array<Export.Source> = []
    for (const descriptor of providers) {
      const settings = settingsFor(descriptor, info[descriptor.name], emulator.info.token)
      if (settings === undefined) continue
      sources.push({ provider: yield* descriptor.make(settings.values, {}), workflow: settings.workflow })
    }
    const output = yield* Output.file(flags.out)
    const summary = yield* Export.run(sources, output, { concurrency: 8, fullOutput: true })
    stderr.write(TerminalText.escape(Summary.format(summary)) + "\n")
  }).pipe(Effect.scoped)

/** `steptrail demo`: one workflow of every registered provider the emulator serves. */
export const demo = (providers: ReadonlyArray<ProviderDescriptor.Descriptor>): Declaration => ({
  name: "demo",
  description:
    "Start the emulator in-process, export one workflow of each provider (full outputs) into one file, and print a summary on stderr.\n\n" +
    "Example:\n  steptrail demo --out demo.ndjson && jq -r .status demo.ndjson | sort | uniq -c",
  options: [option("out", "file", { description: "Where to write the records.", default: "steptrail-demo.ndjson" })],
  handler: (flags) => run(providers, flags as { readonly out: string })
})
