/**
 * The tables a database output writes, created and migrated through `@effect/sql`'s
 * `Migrator` (the DDL is in `docs/database.md`): `steptrail_steps`, a row per record, and
 * `steptrail_sources`, the export state of each source. `steptrail serve` uses the same ones.
 *
 * @since 0.3.0
 */
import * as Migrator from "@effect/sql/Migrator"
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { Effect } from "effect"

/**
 * @since 0.3.0
 * @category constants
 */
export const STEPS = "steptrail_steps"

/**
 * @since 0.3.0
 * @category constants
 */
export const SOURCES = "steptrail_sources"

/**
 * The credentials `serve` uses, one row each: which runner holds it, its heartbeat, and the
 * log of its rate budget, so that the next runner to hold it counts the requests already made.
 *
 * @since 0.4.0
 * @category constants
 */
export const CREDENTIALS = "steptrail_credentials"

/**
 * The table in which `Migrator` records the migrations applied.
 *
 * @since 0.3.0
 * @category constants
 */
export const MIGRATIONS = "steptrail_migrations"

/**
 * The record's fields, in the record's order: one column each, with the record's names.
 *
 * @since 0.3.0
 * @category constants
 */
export const COLUMNS = [
  "schema_version",
  "provider",
  "account",
  "workflow",
  "run_id",
  "step_index",
  "step_id",
  "name",
  "kind",
  "node_type",
  "display_name",
  "iteration",
  "status",
  "provider_status",
  "started_at",
  "ended_at",
  "duration_ms",
  "attempts",
  "retry_config",
  "input",
  "output",
  "output_encoding",
  "output_truncated",
  "output_redacted",
  "usage",
  "error",
  "trigger",
  "run_status",
  "workflow_id"
] as const

/**
 * The columns holding JSON: `jsonb` in PostgreSQL, JSON text in SQLite.
 *
 * @since 0.3.0
 * @category constants
 */
export const JSON_COLUMNS: ReadonlySet<string> = new Set(["attempts", "retry_config", "input", "output", "usage", "error"])

/**
 * The record key. A null `account` is stored as `''` (no provider has an empty account id), so
 * every record has a key; `NULLIF(account, '')` reads the record's value back.
 *
 * @since 0.3.0
 * @category constants
 */
export const KEY = ["provider", "account", "workflow", "run_id", "step_index"] as const

const steps = (json: string, bool: string, int64: string) => `CREATE TABLE ${STEPS} (
  schema_version integer NOT NULL,
  provider text NOT NULL,
  account text NOT NULL,
  workflow text NOT NULL,
  run_id text NOT NULL,
  step_index integer NOT NULL,
  step_id text,
  name text,
  kind text NOT NULL,
  node_type text,
  display_name text,
  iteration integer,
  status text NOT NULL,
  provider_status text,
  started_at text,
  ended_at text,
  duration_ms ${int64},
  attempts ${json},
  retry_config ${json},
  input ${json},
  output ${json},
  output_encoding text NOT NULL,
  output_truncated ${bool} NOT NULL,
  output_redacted ${bool} NOT NULL,
  usage ${json},
  error ${json},
  "trigger" text,
  run_status text NOT NULL,
  PRIMARY KEY (provider, account, workflow, run_id, step_index)
)`

const sources = (json: string) => `CREATE TABLE ${SOURCES} (
  source text PRIMARY KEY,
  state ${json},
  progress ${json},
  owner text,
  heartbeat_at text,
  updated_at text NOT NULL
)`

const credentials = `CREATE TABLE ${CREDENTIALS} (
  credential text PRIMARY KEY,
  holder text NOT NULL,
  heartbeat_at text NOT NULL,
  released_at text,
  budget text NOT NULL
)`

const indexes = [
  // a run's steps come from the primary key; by status, and by time
  `CREATE INDEX steptrail_steps_status ON ${STEPS} (status, run_status)`,
  `CREATE INDEX steptrail_steps_started ON ${STEPS} (started_at)`,
  `CREATE INDEX steptrail_steps_run ON ${STEPS} (run_id)`
]

/**
 * Every migration, by id. A database migrated by a later version (a migration id above the
 * last of these) is refused rather than written with a layout this version does not know.
 *
 * @since 0.3.0
 * @category migrations
 */
export const migrations: Record<string, Effect.Effect<void, SqlError, SqlClient.SqlClient>> = {
  "1_steps_and_sources": Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const [json, bool, int64] = sql.onDialectOrElse({ pg: () => ["jsonb", "boolean", "bigint"], orElse: () => ["text", "integer", "integer"] })
    yield* sql.unsafe(steps(json, bool, int64))
    yield* sql.unsafe(sources(json))
    for (const ddl of indexes) yield* sql.unsafe(ddl)
  }),
  // record version 2 (Temporal): the run's workflow id
  "2_workflow_id": Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(`ALTER TABLE ${STEPS} ADD COLUMN workflow_id text`)),
  // serve: a credential's budget handed from runner to runner
  "3_credentials": Effect.flatMap(SqlClient.SqlClient, (sql) => sql.unsafe(credentials))
}

/**
 * The id of the last migration: the layout this version writes.
 *
 * @since 0.3.0
 * @category constants
 */
export const LAYOUT = Math.max(...Object.keys(migrations).map((k) => Number(k.split("_")[0])))

/**
 * Creates the tables, or brings them to `LAYOUT`.
 *
 * @since 0.3.0
 * @category migrations
 */
export const migrate: Effect.Effect<ReadonlyArray<readonly [id: number, name: string]>, Migrator.MigrationError | SqlError, SqlClient.SqlClient> = Migrator
  .make({})({ loader: Migrator.fromRecord(migrations), table: MIGRATIONS })

/**
 * The layout the database holds: the last migration applied (0 for none).
 *
 * @since 0.3.0
 * @category migrations
 */
export const layout: Effect.Effect<number, SqlError, SqlClient.SqlClient> = Effect.flatMap(SqlClient.SqlClient, (sql) =>
  Effect.map(
    sql<{ readonly id: number | null }>`SELECT max(migration_id) AS id FROM ${sql(MIGRATIONS)}`.withoutTransform,
    (rows) => Number(rows[0]?.id ?? 0)
  ))

const parsed = (v: unknown): unknown => (typeof v === "string" ? JSON.parse(v) : v)

/**
 * A row of `steptrail_steps` read back as the record it holds, as its NDJSON line has it: the
 * account `''` as null, JSON columns parsed (SQLite holds text, a PostgreSQL driver may parse
 * `jsonb` already: pass `jsonText: false` then), booleans and integers as such.
 *
 * @since 0.3.0
 * @category rows
 */
export const recordOf = (row: Readonly<Record<string, unknown>>, jsonText = true): Record<string, unknown> => {
  const json = jsonText ? parsed : (v: unknown) => v
  const out: Record<string, unknown> = {}
  for (const column of COLUMNS) {
    const v = row[column]
    out[column] = column === "account"
      ? (v === "" ? null : v)
      : JSON_COLUMNS.has(column)
      ? (v == null ? null : json(v))
      : column === "output_truncated" || column === "output_redacted"
      ? Boolean(v)
      : (column === "duration_ms" || column === "step_index" || column === "iteration" || column === "schema_version") && v !== null
      ? Number(v)
      : v
  }
  return out
}
