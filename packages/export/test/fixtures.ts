import { ProviderError, type StepRecord, type WorkflowProvider } from "@steptrail/core"
import { Effect, Stream } from "effect"

export const record = (run: string, index: number, overrides: Partial<StepRecord.StepRecord> = {}): StepRecord.StepRecord => ({
  schema_version: 1,
  provider: "cloudflare",
  account: "0123456789abcdef0123456789abcdef",
  workflow: "wf",
  run_id: run,
  step_index: index,
  step_id: null,
  name: `step-${index}`,
  kind: "step",
  node_type: null,
  display_name: null,
  iteration: null,
  status: "complete",
  provider_status: null,
  started_at: "2026-01-01T00:00:00.000Z",
  ended_at: "2026-01-01T00:00:01.000Z",
  duration_ms: 1000,
  attempts: null,
  retry_config: null,
  input: null,
  output: { index },
  output_encoding: "json",
  output_truncated: false,
  output_redacted: false,
  usage: null,
  error: null,
  trigger: null,
  run_status: "complete",
  ...overrides
})

export const runRef = (id: string, terminal = true): WorkflowProvider.RunRef => ({
  provider: "cloudflare",
  account: "0123456789abcdef0123456789abcdef",
  workflow: "wf",
  id,
  status: terminal ? "complete" : "running",
  providerStatus: terminal ? "complete" : "running",
  terminal,
  createdAt: null,
  updatedAt: null
})

/**
 * An in-memory provider: `runs` runs of `steps` steps; run i's steps take (runs - i) ms so
 * later runs finish first when fetched concurrently.
 */
export const fakeProvider = (
  runs: number,
  steps: number,
  listing: ReadonlyArray<string> = [],
  options: { readonly running?: ReadonlySet<string>; readonly failAfter?: number; readonly versions?: Readonly<Record<string, string>> } = {}
): WorkflowProvider.Service => {
  const ids = listing.length > 0 ? listing : Array.from({ length: runs }, (_, i) => `run-${i}`)
  let served = 0
  return {
    provider: "cloudflare",
    account: "0123456789abcdef0123456789abcdef",
    runs: () =>
      Stream.fromIterable(ids.map((id) => ({ ...runRef(id, !(options.running?.has(id) ?? false)), version: options.versions?.[id] ?? null }))),
    run: (_workflow, id) => Effect.succeed(runRef(id)),
    steps: (run) => {
      if (options.failAfter !== undefined && served++ >= options.failAfter) {
        return Stream.fail(new ProviderError.Unavailable({ provider: "cloudflare", detail: "crash", run: run.id }))
      }
      const i = Number(run.id.split("-")[1])
      return Stream.fromIterable(Array.from({ length: steps }, (_, s) => record(run.id, s))).pipe(
        Stream.tap(() => Effect.sleep(runs - i))
      )
    }
  }
}
