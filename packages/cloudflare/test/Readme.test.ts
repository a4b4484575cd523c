/**
 * The README's example, run against the emulator with its environment set through a
 * `ConfigProvider`: the example must keep working as written.
 */
import { FetchHttpClient } from "@effect/platform"
import { expect, it, vi } from "@effect/vitest"
import { ProviderError, StepRecord, WorkflowProvider } from "@steptrail/core"
import { Emulator } from "@steptrail/emulator"
import { ConfigProvider, Effect, Layer, Schema, Stream } from "effect"
import { Cloudflare } from "../src/index.js"

it.live("the README example exports the errored instances as NDJSON", () =>
  Effect.gen(function*() {
    const emu = yield* Emulator.start({ seed: 11, cloudflare: { instances: 60 } })
    const env = Layer.setConfigProvider(ConfigProvider.fromMap(
      new Map([
        ["CLOUDFLARE_API_TOKEN", emu.info.token],
        ["CLOUDFLARE_API_BASE_URL", emu.info.cloudflare.baseUrl],
        ["CLOUDFLARE_ACCOUNT_ID", emu.info.cloudflare.accountId]
      ])
    ))
    const lines: Array<string> = []
    const write = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
      lines.push(String(chunk))
      return true
    })

    // --- as in README.md ---
    const program = Effect.gen(function*() {
      const provider = yield* WorkflowProvider.WorkflowProvider
      yield* provider.runs(emu.info.cloudflare.workflow, { status: ["errored"] }).pipe(
        Stream.mapEffect((run) => provider.steps(run, { fullOutput: true })),
        Stream.flattenIterables,
        Stream.runForEach((record) => Effect.sync(() => process.stdout.write(JSON.stringify(record) + "\n")))
      )
    })
    yield* program.pipe(
      Effect.provide(Cloudflare.layerConfig()),
      Effect.provide(FetchHttpClient.layer),
      Effect.catchAll((error) =>
        Effect.sync(() => {
          process.stderr.write(`${error.message}\n`)
          process.exitCode = ProviderError.exitCode(error)
        })
      ),
      Effect.provide(env)
    )
    // ---

    write.mockRestore()
    expect(process.exitCode ?? 0).toBe(0)
    expect(lines.length).toBeGreaterThan(0)
    const decode = Schema.decodeUnknownSync(Schema.parseJson(StepRecord.StepRecord))
    const records = lines.map((line) => {
      expect(line.endsWith("\n")).toBe(true)
      return decode(line)
    })
    expect(records.every((r) => r.run_status === "errored")).toBe(true)
  }).pipe(Effect.scoped))
