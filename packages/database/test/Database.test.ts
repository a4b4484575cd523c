import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import * as SqlClient from "@effect/sql/SqlClient"
import { Cloudflare } from "@steptrail/cloudflare"
import { Database, Tables } from "@steptrail/database"
import { Emulator } from "@steptrail/emulator"
import { State } from "@steptrail/export"
import { Effect, Layer, Redacted } from "effect"
import * as path from "node:path"
import { provider, sqlite, tableRecords, tempDir } from "./fake.js"
import { suite } from "./suite.js"

suite("SQLite", () => sqlite(path.join(tempDir(), "out.db")))

describe("Database.run into a full SQLite database", () => {
  it.live("a full disk fails with one error (exit 1); the batch is rolled back, what was committed stays whole and the export resumes from it", () => {
    const file = path.join(tempDir(), "full.db")
    // the connection's database may not grow past a few pages: as a full disk does, SQLite answers SQLITE_FULL
    const full = Layer.effectDiscard(Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe("PRAGMA max_page_count = 40"))).pipe(Layer.provideMerge(sqlite(file)))
    return Effect.gen(function*() {
      const error = yield* Effect.flip(Database.run([{ provider: provider({ ids: () => Array.from({ length: 400 }, (_, i) => `run-${i}`), steps: 3 }), workflow: "wf" }], "sqlite:full.db", { batchRows: 30 }))
      expect(error._tag).toBe("DatabaseError")
      expect(error.message).toBe("database sqlite:full.db: no space left on device")
      expect((error as Database.DatabaseError).exitCode).toBe(1)
      const rows = yield* tableRecords
      expect(rows.length).toBeGreaterThan(0)
      // whole runs only, and the progress names exactly as many
      expect(rows.length % 3).toBe(0)
      const sql = yield* SqlClient.SqlClient
      const [source] = yield* sql<{ progress: string | null }>`SELECT progress FROM ${sql(Tables.SOURCES)} WHERE source = ${State.sourceKey("cloudflare", "0123456789abcdef0123456789abcdef", "wf")}`.withoutTransform
      const passed = source?.progress == null ? 0 : JSON.parse(source.progress).passed
      expect(rows.length).toBe(passed * 3)
    }).pipe(Effect.provide(full))
  })
})

describe("Database.run of Cloudflare on a still emulator clock", () => {
  it.live("three exports fetch the stuck runs once: a looked-up run unchanged in status and records is skipped, as with a state file", () =>
    Effect.gen(function*() {
      const emulator = yield* Emulator.start({ token: "database-token", seed: 3 })
      const info = emulator.info.cloudflare
      const cloudflare = yield* Cloudflare.make({ accountId: info.accountId, apiToken: Redacted.make("database-token"), baseUrl: info.baseUrl }).pipe(
        Effect.provide(FetchHttpClient.layer)
      )
      const once = Database.run([{ provider: cloudflare, workflow: info.workflow }], "sqlite:stuck.db")
      const first = yield* once
      expect(first.runs).toBeGreaterThan(100)
      const rows = yield* tableRecords
      const second = yield* once
      const third = yield* once
      expect([second.runs, third.runs]).toEqual([0, 0])
      expect(second.unchangedRuns).toBeGreaterThanOrEqual(7)
      expect(yield* tableRecords).toEqual(rows)
    }).pipe(Effect.scoped, Effect.provide(sqlite(path.join(tempDir(), "stuck.db")))), 60_000)
})
