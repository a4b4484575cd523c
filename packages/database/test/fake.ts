import { SqliteClient } from "@effect/sql-sqlite-node"
import * as SqlClient from "@effect/sql/SqlClient"
import { ProviderError, StepRecord, type WorkflowProvider } from "@steptrail/core"
import { Tables } from "@steptrail/database"
import { Ndjson } from "@steptrail/export"
import { Effect, Stream } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

export const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-db-"))

export const sqlite = (file: string) => SqliteClient.layer({ filename: file })

const T0 = Date.parse("2026-01-01T00:00:00Z")
export const createdOf = (id: string) => new Date(T0 + Number(id.split("-")[1]) * 60_000).toISOString()

export const record = (run: string, index: number, account: string | null, live: boolean, last: boolean): StepRecord.StepRecord =>
  StepRecord.make({
    provider: "cloudflare",
    account,
    workflow: "wf",
    run_id: run,
    step_index: index,
    name: `step-${index}`,
    kind: "step",
    status: live && last ? "running" : "complete",
    started_at: "2026-01-01T00:00:00.000Z",
    ended_at: live && last ? null : "2026-01-01T00:00:01.000Z",
    duration_ms: live && last ? null : 1000,
    attempts: index === 0 ? [{ started_at: null, ended_at: null, duration_ms: 5, success: false, error: { name: "Error", message: "flaky \"quoted\"" } }] : null,
    output: { index, text: "é✓\t", nested: [1, 2.5, null, true] },
    run_status: live ? "running" : "complete"
  })

/**
 * An in-memory provider of `ids` (run-i created i minutes after T0), `steps` records each;
 * `running` runs have their last step running. Fetches of steps are counted; `failAfter`
 * makes the n-th fetch and every later one fail.
 */
export const provider = (options: {
  readonly ids: () => ReadonlyArray<string>
  readonly steps: number
  readonly running?: () => ReadonlySet<string>
  readonly account?: string | null
  readonly failAfter?: number
}) => {
  const account = options.account === undefined ? "0123456789abcdef0123456789abcdef" : options.account
  const calls = { steps: 0 }
  const live = (id: string) => options.running?.().has(id) ?? false
  const ref = (id: string): WorkflowProvider.RunRef => ({
    provider: "cloudflare",
    account,
    workflow: "wf",
    id,
    status: live(id) ? "running" : "complete",
    providerStatus: live(id) ? "running" : "complete",
    terminal: !live(id),
    createdAt: createdOf(id),
    updatedAt: null
  })
  const service: WorkflowProvider.Service & { readonly calls: typeof calls } = {
    calls,
    provider: "cloudflare",
    account,
    runs: (_workflow, filter) =>
      Stream.suspend(() =>
        Stream.fromIterable(options.ids().map(ref)).pipe(
          Stream.filter((r) => filter?.since === undefined || Date.parse(r.createdAt!) >= filter.since.getTime())
        )
      ),
    lookup: (_workflow, wanted) => Effect.sync(() => wanted.map(ref)),
    steps: (run) =>
      Effect.suspend(() => {
        const n = calls.steps++
        if (options.failAfter !== undefined && n >= options.failAfter) {
          return Effect.fail(new ProviderError.Unavailable({ provider: "cloudflare", detail: "crash", run: run.id }))
        }
        return Effect.succeed(Array.from({ length: options.steps }, (_, s) => record(run.id, s, account, live(run.id), s === options.steps - 1)))
      })
  }
  return service
}

/** The table read back as the records it holds, in key order (the NDJSON a clean export writes, parsed). */
export const tableRecords = Effect.gen(function*() {
  const sql = yield* SqlClient.SqlClient
  const rows = yield* sql<Record<string, unknown>>`SELECT * FROM steptrail_steps ORDER BY provider, account, workflow, run_id, step_index`.withoutTransform
  // JSON text in SQLite; node-postgres parses jsonb itself
  const text = sql.onDialectOrElse({ pg: () => false, orElse: () => true })
  return rows.map((r) => Tables.recordOf(r, text))
})

/** What a clean NDJSON export of these records holds, parsed, in the same order. */
export const expected = (records: ReadonlyArray<StepRecord.StepRecord>) =>
  records
    .map((r) => JSON.parse(Ndjson.line(r)))
    .sort((a, b) => (a.run_id === b.run_id ? a.step_index - b.step_index : a.run_id < b.run_id ? -1 : 1))
