/**
 * `--out` as a database: `sqlite:PATH` or `postgres://USER[:PASSWORD]@HOST[:PORT]/DB` (also
 * `postgresql://`; missing parts from `PGUSER`, `PGPASSWORD`, `PGHOST`, `PGPORT`,
 * `PGDATABASE`). The password stays `Redacted`; what messages name is `display`, without it.
 * The drivers are loaded only when a database is opened (`layer`), so a program that never
 * writes to one never loads a native module.
 *
 * @since 0.3.0
 */
import type * as SqlClient from "@effect/sql/SqlClient"
import { Cause, Effect, Layer, Redacted } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import type { ProviderError as PE } from "@steptrail/core"
import type { Export, Store } from "@steptrail/export"
import * as Database from "./Database.js"
import { classify, DatabaseError } from "./Database.js"

/**
 * @since 0.3.0
 * @category models
 */
export type Url =
  | { readonly _tag: "Sqlite"; readonly filename: string; readonly display: string }
  | {
    readonly _tag: "Postgres"
    readonly host: string
    readonly port: number
    readonly database: string
    readonly username: string | undefined
    readonly password: Redacted.Redacted | undefined
    readonly display: string
  }

/**
 * Whether `--out` names a database rather than a file.
 *
 * @since 0.3.0
 * @category predicates
 */
export const isDatabase = (out: string): boolean => /^(sqlite:|postgres(ql)?:\/\/)/i.test(out)

/** The environment a URL's missing parts come from. */
export type Env = (name: string) => string | undefined

const invalid = (display: string, detail: string) => new DatabaseError({ target: display, reason: "open", detail })

/**
 * Reads a database `--out`. A malformed one fails naming it without its password.
 *
 * @since 0.3.0
 * @category parsing
 */
export const parse = (out: string, env: Env = () => undefined): Effect.Effect<Url, DatabaseError> =>
  Effect.suspend((): Effect.Effect<Url, DatabaseError> => {
    if (/^sqlite:/i.test(out)) {
      const file = out.slice("sqlite:".length).replace(/^\/\/(?=\/)/, "")
      if (file === "") return Effect.fail(invalid("sqlite:", "name the database file: sqlite:PATH"))
      const filename = path.resolve(file)
      return Effect.succeed({ _tag: "Sqlite", filename, display: `sqlite:${file}` } as const)
    }
    let url: URL
    try {
      url = new URL(out)
    } catch {
      return Effect.fail(invalid(out.replace(/\/\/[^@/]*@/, "//***@"), "not a URL: use postgres://USER[:PASSWORD]@HOST[:PORT]/DB"))
    }
    const username = decodeURIComponent(url.username) || env("PGUSER") || undefined
    const secret = url.password !== "" ? decodeURIComponent(url.password) : env("PGPASSWORD")
    const host = (url.hostname || env("PGHOST") || "localhost").replace(/^\[|\]$/g, "")
    const port = Number(url.port || env("PGPORT") || 5432)
    const database = decodeURIComponent(url.pathname.replace(/^\//, "")) || env("PGDATABASE") || username || "postgres"
    const display = `postgres://${username === undefined ? "" : `${encodeURIComponent(username)}@`}${url.host || host}/${encodeURIComponent(database)}`
    if (!Number.isInteger(port) || port < 1 || port > 65535) return Effect.fail(invalid(display, `port must be between 1 and 65535`))
    if (url.search !== "" || url.hash !== "") return Effect.fail(invalid(display, "options after ? are not supported; use the PG* variables"))
    return Effect.succeed({
      _tag: "Postgres",
      host,
      port,
      database,
      username,
      password: secret === undefined ? undefined : Redacted.make(secret),
      display
    } as const)
  })

/**
 * A `SqlClient` for the database, its driver imported now. A SQLite file is created if
 * missing (its directory must exist); a PostgreSQL server is asked `SELECT 1` first, and a
 * failure to reach it is `unavailable` (retried by the caller).
 *
 * @since 0.3.0
 * @category layers
 */
export const layer = (url: Url): Layer.Layer<SqlClient.SqlClient, DatabaseError> =>
  url._tag === "Sqlite"
    ? Layer.unwrapEffect(Effect.gen(function*() {
      const dir = path.dirname(url.filename)
      if (!fs.existsSync(dir)) {
        return yield* new DatabaseError({ target: url.display, reason: "open", detail: `no such directory ${dir}` })
      }
      const { SqliteClient } = yield* Effect.tryPromise({
        try: () => import("@effect/sql-sqlite-node"),
        catch: (e) => classify(url.display, e)
      })
      return SqliteClient.layer({ filename: url.filename }).pipe(
        Layer.catchAllCause((cause) => Layer.fail(classify(url.display, Cause.squash(cause))))
      ) as Layer.Layer<SqlClient.SqlClient, DatabaseError>
    }))
    : Layer.unwrapEffect(Effect.gen(function*() {
      const { PgClient } = yield* Effect.promise(() => import("@effect/sql-pg"))
      return PgClient.layer({
        host: url.host,
        port: url.port,
        database: url.database,
        username: url.username,
        password: url.password,
        connectTimeout: "10 seconds",
        maxConnections: 4,
        applicationName: "steptrail"
      }).pipe(
        Layer.mapError((e) => classify(url.display, e))
      ) as Layer.Layer<SqlClient.SqlClient, DatabaseError>
    }))

/**
 * Exports `sources` into the database `url` names: connected (a server that cannot be
 * reached is tried again, as provider calls are), tables migrated, then `Database.run`.
 *
 * @since 0.3.0
 * @category running
 */
export const run = (
  url: Url,
  sources: ReadonlyArray<Export.Source>,
  options: Database.Options = {}
): Effect.Effect<Store.Result, DatabaseError | PE.ProviderError | Export.SourceError> =>
  Database.run(sources, url.display, options).pipe(
    Effect.provide(layer(url)),
    // a server that went away: connected again, and the export resumes from what it committed
    Database.retry
  )
