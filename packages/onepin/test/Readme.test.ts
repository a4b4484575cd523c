/**
 * The README's example, run against the emulator with its environment set through a
 * `ConfigProvider`: the example must keep working as written.
 */
import { FetchHttpClient } from "@effect/platform"
import { expect, it, vi } from "@effect/vitest"
import { ProviderError, StepRecord, WorkflowProvider } from "@steptrail/core"
import { Emulator } from "@steptrail/emulator"
import { ConfigProvider, Effect, Layer, Schema, Stream } from "effect"
import { Onepin } from "../src/index.js"

it.live("the README example exports the failed runs' node executions as NDJSON", () =>
  Effect.gen(function*() {
    const emu = yield* Emulator.start({ seed: 7, onepin: { runs: 60, live: 0 } })
    const env = Layer.setConfigProvider(ConfigProvider.fromMap(
      new Map([
        ["ONEPIN_API_KEY", emu.info.token],
        ["ONEPIN_BASE_URL", emu.info.onepin.baseUrl],
        ["ONEPIN_WORKSPACE_ID", emu.info.onepin.workspaceId]
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
      yield* provider.runs(emu.info.onepin.workflow, { status: ["failed"] }).pipe(
        Stream.mapEffect((run) => provider.steps(run)),
        Stream.flattenIterables,
        Stream.runForEach((record) => Effect.sync(() => process.stdout.write(JSON.stringify(record) + "\n")))
      )
    })
    yield* program.pipe(
      Effect.provide(Onepin.layerConfig()),
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
    expect(records.every((r) => r.run_status === "errored" && r.account === emu.info.onepin.workspaceId)).toBe(true)
  }).pipe(Effect.scoped))
