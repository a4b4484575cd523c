/**
 * What the database tests compare: the rows of `steptrail_steps` read back as records, and an
 * NDJSON export's records, both in key order.
 */
import { SqliteClient } from "@effect/sql-sqlite-node"
import * as SqlClient from "@effect/sql/SqlClient"
import { StepRecord } from "@steptrail/core"
import { Tables } from "@steptrail/database"
import type * as postgres from "@steptrail/database/TestServer"
import type { Emulator } from "@steptrail/emulator"
import { Effect } from "effect"
import { lines } from "./cli.js"

/** The rows of steptrail_steps as the records they hold, in key order. */
export const sqliteRecords = (file: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql<Record<string, unknown>>`SELECT * FROM steptrail_steps`.withoutTransform).pipe(
    Effect.map(normalize),
    Effect.provide(SqliteClient.layer({ filename: file })),
    Effect.orDie
  )

export const pgRecords = (server: postgres.Server, database: string) =>
  normalize(
    server.psql(database, "SELECT row_to_json(s) FROM steptrail_steps s").trim().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l)),
    false
  )

/** JSON columns are text in SQLite, values already in PostgreSQL (jsonb through row_to_json). */
const normalize = (rows: ReadonlyArray<Record<string, unknown>>, text = true) => sorted(rows.map((r) => Tables.recordOf(r, text)))

const sorted = <A extends Record<string, unknown>>(records: ReadonlyArray<A>) =>
  [...records].sort((a, b) => {
    const ka = StepRecord.key(a as never)
    const kb = StepRecord.key(b as never)
    return ka < kb ? -1 : ka > kb ? 1 : 0
  })

/**
 * Records as text with every object's keys sorted: equal exactly when the records are equal,
 * whatever order a database gave their keys in (jsonb sorts them).
 */
export const canonical = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) =>
    v !== null && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v)

export const ndjson = (text: string) => sorted(lines(text).map((l) => JSON.parse(l) as Record<string, unknown>))


/** A config file's sources: the emulator's workflow of each provider (Cloudflare with full outputs). */
export const emulatorSources = (info: Emulator.Info) => [
  { provider: "cloudflare", account_id: info.cloudflare.accountId, workflow: info.cloudflare.workflow, base_url: info.cloudflare.baseUrl, full_output: true },
  { provider: "orchestra", workflow: info.orchestra.workflow, base_url: info.orchestra.baseUrl },
  { provider: "onepin", workflow: info.onepin.workflow, base_url: info.onepin.baseUrl, workspace: info.onepin.workspaceId }
]
