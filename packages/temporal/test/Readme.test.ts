/**
 * The README's example against the emulator, its environment from a `ConfigProvider` and its
 * stdout captured: the example must keep working as written.
 */
import { FetchHttpClient } from "@effect/platform"
import { expect, it, vi } from "@effect/vitest"
import { Json, ProviderError, StepRecord, WorkflowProvider } from "@steptrail/core"
import { Emulator } from "@steptrail/emulator"
import { Console, ConfigProvider, Effect, Schema, Stream } from "effect"
import { Temporal } from "../src/index.js"

const decode = Schema.decodeUnknownSync(Schema.parseJson(StepRecord.StepRecord))

/** What `process.stdout.write` is given while the scope is open. */
const stdout = Effect.acquireRelease(
  Effect.sync(() => {
    const chunks: Array<string> = []
    const spy = vi.spyOn(process.stdout, "write").mockImplementation((chunk) => chunks.push(String(chunk)) > 0)
    return { chunks, spy }
  }),
  ({ spy }) => Effect.sync(() => spy.mockRestore())
)

it.live("the README example writes every execution's history as NDJSON", () =>
  Effect.gen(function*() {
    const emu = yield* Emulator.start({ seed: 7, temporal: { runs: 8, live: 0 } })
    const { temporal, token } = emu.info
    const environment = { TEMPORAL_API_KEY: token, TEMPORAL_ADDRESS: temporal.baseUrl, TEMPORAL_NAMESPACE: temporal.namespace }
    const captured = yield* Effect.scoped(Effect.gen(function*() {
      const { chunks } = yield* stdout
      // --- as in README.md, the workflow type from the emulator ---
      const program = WorkflowProvider.WorkflowProvider.pipe(
        Effect.flatMap((provider) =>
          provider.runs(temporal.workflow).pipe(
            Stream.flatMap((run) => WorkflowProvider.stepStream(provider, run)), // page by page
            Stream.map((record) => Json.stringify(record) + "\n"), // numbers with every digit
            Stream.runForEach((line) => Effect.sync(() => process.stdout.write(line)))
          )
        ),
        Effect.provide(Temporal.layerConfig()),
        Effect.provide(FetchHttpClient.layer),
        Effect.tapError((error) => Effect.sync(() => (process.exitCode = ProviderError.exitCode(error)))),
        Effect.catchAll((error) => Console.error(error.message))
      )
      // ---
      yield* Effect.withConfigProvider(program, ConfigProvider.fromJson(environment))
      return chunks
    }))
    expect(process.exitCode ?? 0).toBe(0)
    const records = captured.map((line) => decode(line))
    expect(captured.every((line) => line.endsWith("\n"))).toBe(true)
    expect(new Set(records.map((r) => r.run_id)).size).toBeGreaterThanOrEqual(8)
    expect(records.every((r) => r.provider === "temporal" && r.account === temporal.namespace)).toBe(true)
  }).pipe(Effect.scoped))
