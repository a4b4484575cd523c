/**
 * The README's example, run against the emulator with its environment set through a
 * `ConfigProvider`: the example must keep working as written.
 */
import { FetchHttpClient } from "@effect/platform"
import { expect, it, vi } from "@effect/vitest"
import { ProviderError, StepRecord, WorkflowProvider } from "@steptrail/core"
import { Emulator } from "@steptrail/emulator"
import { ConfigProvider, Effect, Layer, Schema, Stream } from "effect"
import { Orchestra } from "../src/index.js"

it.live("the README example exports every run's nodes as NDJSON", () =>
  Effect.gen(function*() {
    const emu = yield* Emulator.start({ seed: 7, orchestra: { runs: 12, live: 0 } })
    const env = Layer.setConfigProvider(ConfigProvider.fromMap(
      new Map([
        ["ORCHESTRA_API_KEY", emu.info.token],
        ["ORCHESTRA_BASE_URL", emu.info.orchestra.baseUrl]
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
      yield* provider.runs(emu.info.orchestra.workflow).pipe(
        Stream.mapEffect((run) => provider.steps(run)),
        Stream.flattenIterables,
        Stream.runForEach((record) => Effect.sync(() => process.stdout.write(JSON.stringify(record) + "\n")))
      )
    })
    yield* program.pipe(
      Effect.provide(Orchestra.layerConfig()),
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
    const decode = Schema.decodeUnknownSync(Schema.parseJson(StepRecord.StepRecord))
    const records = lines.map((line) => {
      expect(line.endsWith("\n")).toBe(true)
      return decode(line)
    })
    expect(new Set(records.map((r) => r.run_id)).size).toBe(12)
    expect(records.every((r) => r.provider === "orchestra" && r.kind === "node")).toBe(true)
  }).pipe(Effect.scoped))
