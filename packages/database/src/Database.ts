/**
 * Step records into a database through any `@effect/sql` `SqlClient` (SQLite and PostgreSQL
 * are tested): rows upserted by the record key in the same transaction that advances the
 * source's export state, so an export is exactly once across crashes (see `Store` of
 * `@steptrail/export` and `docs/database.md`).
 *
 * @since 0.3.0
 */
import * as SqlClient from "@effect/sql/SqlClient"
import type { SqlError } from "@effect/sql/SqlError"
import { StepRecord } from "@steptrail/core"
import type { ProviderError as PE } from "@steptrail/core"
import { type Export, Lock, Ndjson, State, Store } from "@steptrail/export"
import { Cause, Duration, Effect, Option, Schedule, Schema, type Scope } from "effect"
import * as os from "node:os"
import * as Tables from "./Tables.js"

/**
 * A database that cannot be used. `unavailable`: it cannot be reached (exit 5, after
 * retries); `unauthorized`: the credentials or the rights are refused (exit 3); `layout`:
 * its tables are of a layout this version does not write (exit 2); `open`: the output
 * cannot be used (a malformed URL, a missing directory; exit 2); `busy`: another export
 * holds the source (exit 2); `write`: a statement failed otherwise (a full disk; exit 1).
 *
 * @since 0.3.0
 * @category errors
 */
export class DatabaseError extends Schema.TaggedError<DatabaseError>()("DatabaseError", {
  /** The database, as `Url.display` names it (never with a password). */
  target: Schema.String,
  reason: Schema.Literal("unavailable", "unauthorized", "layout", "open", "busy", "write"),
  detail: Schema.String
}) {
  override get message() {
    return `database ${this.target}: ${this.detail}`
  }

  get exitCode(): 1 | 2 | 3 | 5 {
    switch (this.reason) {
      case "unavailable":
        return 5
      case "unauthorized":
        return 3
      case "layout":
      case "open":
      case "busy":
        return 2
      case "write":
        return 1
    }
  }
}

/** The first line of what a driver says, without anything that looks like a URL's credentials. */
const firstLine = (text: string): string => text.split("\n")[0]!.replace(/\/\/[^@/\s]*@/g, "//***@").trim()

/**
 * A driver's failure as a `DatabaseError`, by the codes PostgreSQL (SQLSTATE) and SQLite
 * give, and the system's for a connection.
 *
 * @since 0.3.0
 * @category errors
 */
export const classify = (target: string, error: unknown): DatabaseError => {
  let e: any = error
  // SqlError and MigrationError wrap the driver's error
  for (let i = 0; i < 4 && e?.cause !== undefined && e?.code === undefined; i++) e = e.cause
  const code: string = typeof e?.code === "string" ? e.code : ""
  const text = firstLine(String(e?.message ?? (error as any)?.message ?? error))
  const make = (reason: DatabaseError["reason"], detail: string) => new DatabaseError({ target, reason, detail })
  // the CLI loads the SQLite driver, a native module, only for `sqlite:`
  if (/bindings file|better_sqlite3\.node|Cannot find (package|module) 'better-sqlite3'|NODE_MODULE_VERSION/.test(text)) {
    return make("open", "the SQLite driver (better-sqlite3 12) is not installed or not built for this Node; install it beside steptrail: npm i -g better-sqlite3@12")
  }
  if (/^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN|EPIPE)$/.test(code) || code.startsWith("08") || code === "57P01" || code === "57P03" || code === "53300" || /timeout|terminated unexpectedly|Connection terminated/i.test(text)) {
    return make("unavailable", `cannot reach the server: ${code !== "" && !/^\d/.test(code) ? code : text}`)
  }
  if (code === "28P01" || code === "28000") return make("unauthorized", `the server refused the credentials: ${text}`)
  if (code === "42501") return make("unauthorized", `permission denied: ${text}`)
  if (code === "3D000") return make("unavailable", text)
  if (code === "SQLITE_FULL" || code === "53100" || /ENOSPC|disk is full|No space left/i.test(text)) return make("write", "no space left on device")
  if (code === "SQLITE_CANTOPEN" || code === "SQLITE_NOTADB") return make("open", text)
  if (code === "SQLITE_READONLY" || code === "SQLITE_PERM" || code === "SQLITE_AUTH") return make("unauthorized", text)
  if (code === "SQLITE_BUSY" || code === "SQLITE_LOCKED") return make("busy", `the database is locked by another connection: ${text}`)
  if (code === "42P01" || code === "42703" || code === "42P07" || /no such (table|column)|has no column|already exists/i.test(text)) {
    return make("layout", `its tables are not of the layout this version writes (${text}); export into another database`)
  }
  return make("write", text)
}

/** A failure caught as a defect too (a driver that throws). */
const mapFailure = <A, R>(target: string, effect: Effect.Effect<A, unknown, R>): Effect.Effect<A, DatabaseError, R> =>
  effect.pipe(
    Effect.catchAllCause((cause) => {
      const failure = Cause.failureOption(cause)
      if (Option.isSome(failure)) return Effect.fail(failure.value instanceof DatabaseError ? failure.value : classify(target, failure.value))
      const defect = Cause.dieOption(cause)
      if (Option.isSome(defect)) return Effect.fail(classify(target, defect.value))
      return Effect.failCause(cause as Cause.Cause<never>)
    })
  )

/**
 * How long a connection problem is retried, as provider calls are (`docs/reliability.md`).
 *
 * @since 0.3.0
 * @category retries
 */
export const retry = <A, E, R>(effect: Effect.Effect<A, E, R>, retries = 4): Effect.Effect<A, E, R> =>
  Effect.retry(effect, {
    while: (e) => e instanceof DatabaseError && e.reason === "unavailable",
    schedule: Schedule.exponential("200 millis", 2).pipe(Schedule.jittered, Schedule.intersect(Schedule.recurs(retries)))
  })

/** The key of the advisory lock `exclusively` holds ("stpl"). */
const SCHEMA_LOCK = 0x7374706c

/**
 * Runs `effect` while no other process runs one under this lock: on PostgreSQL a session
 * advisory lock on a connection of its own, on SQLite (whose file lock already orders DDL)
 * nothing. Processes started together (the runners of `serve`) create their tables under it:
 * PostgreSQL's `CREATE TABLE` from two sessions at once fails one of them (a duplicate key in
 * `pg_type`), `IF NOT EXISTS` or not. Never nest it: a second session of the same process
 * would wait for the first.
 *
 * @since 0.4.0
 * @category migrations
 */
export const exclusively = <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E | SqlError, R | SqlClient.SqlClient> =>
  Effect.flatMap(SqlClient.SqlClient, (sql) =>
    sql.onDialectOrElse({
      pg: () =>
        Effect.scoped(Effect.gen(function*() {
          const conn = yield* sql.reserve
          yield* Effect.acquireRelease(
            conn.executeRaw(`SELECT pg_advisory_lock(${SCHEMA_LOCK})`, []),
            () => Effect.ignore(conn.executeRaw(`SELECT pg_advisory_unlock(${SCHEMA_LOCK})`, []))
          )
          return yield* effect
        })),
      orElse: () => effect
    }))

/**
 * Creates the tables or migrates them to this version's layout; a database migrated by a
 * later version is refused. Under `exclusively`: exports and runners started at once each
 * find the tables made or make them, never both.
 *
 * @since 0.3.0
 * @category migrations
 */
export const migrate = (target: string): Effect.Effect<void, DatabaseError, SqlClient.SqlClient> =>
  retry(mapFailure(target, exclusively(Tables.migrate))).pipe(
    Effect.zipRight(mapFailure(target, Tables.layout)),
    Effect.flatMap((found) =>
      found > Tables.LAYOUT
        ? Effect.fail(
          new DatabaseError({
            target,
            reason: "layout",
            detail: `its tables are of layout ${found}, written by a later steptrail (this one writes layout ${Tables.LAYOUT}); upgrade steptrail`
          })
        )
        : Effect.void
    )
  )

/** Who holds a source: this process, and a token per export. */
const Owner = Schema.parseJson(Schema.Struct({
  pid: Schema.Int,
  host: Schema.String,
  started_at: Schema.String,
  token: Schema.String,
  /** Held by a store that takes sources over (`serve`): another such store may take it. */
  takeOver: Schema.optional(Schema.Boolean)
}))
type Owner = typeof Owner.Type

// the exports of this process: another one in this process is as alive as we are
const live = new Set<string>()

const alive = (owner: Owner, heartbeat: string | null, now: number): boolean => {
  if (owner.host !== os.hostname()) return heartbeat !== null && now - Date.parse(heartbeat) < STALE_MILLIS
  if (owner.pid === process.pid) return live.has(owner.token)
  return Lock.processRuns(owner.pid)
}

/** A holder on another host whose heartbeat is older than this is taken to be gone. */
const STALE_MILLIS = 60_000
const HEARTBEAT = Duration.seconds(15)

const decodeState = Schema.decodeUnknownEither(State.SourceState)
const decodeProgress = Schema.decodeUnknownEither(State.Progress)
const json = (value: unknown): unknown => (typeof value === "string" ? JSON.parse(value) : value)

/** Rows per statement: within both databases' limits on parameters (28 columns each). */
const STATEMENT_ROWS = 1000

/**
 * A record made ready for its table, with its key (a batch holds each key once): its values in
 * `Tables.COLUMNS` order (SQLite), or the record as JSON (PostgreSQL, which takes a batch as
 * one `jsonb` array: `jsonb_populate_recordset`).
 *
 * @since 0.3.0
 * @category models
 */
export type Row =
  | { readonly key: string; readonly values: ReadonlyArray<unknown> }
  | { readonly key: string; readonly json: string }

/**
 * The store of an export into the database of the `SqlClient` in context (its tables
 * migrated: see `migrate`). Each source is held by one export at a time (its row in
 * `steptrail_sources` names the holder; a holder that no longer runs is taken over).
 *
 * @since 0.3.0
 * @category constructors
 */
export const store = (
  target: string,
  options: {
    /**
     * Take a source from another store made with `takeOver` without asking whether it still
     * runs: for a caller that owns the source by other means (a cluster's singleton). The
     * holder that lost it can commit nothing more (each commit checks the row still names it).
     * A source held by a live export is still refused (`busy`).
     */
    readonly takeOver?: boolean | undefined
  } = {}
): Effect.Effect<Store.Store<Row, DatabaseError>, never, SqlClient.SqlClient | Scope.Scope> =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const pg = sql.onDialectOrElse({ pg: () => true, orElse: () => false })
    const token = `${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`
    yield* Effect.acquireRelease(Effect.sync(() => live.add(token)), () => Effect.sync(() => live.delete(token)))
    const me: Owner = { pid: process.pid, host: os.hostname(), started_at: new Date().toISOString(), token, ...(options.takeOver === true ? { takeOver: true } : {}) }
    const meText = Schema.encodeSync(Owner)(me)
    const wrap = <A>(effect: Effect.Effect<A, unknown, never>) => retry(mapFailure(target, effect))
    const now = () => new Date().toISOString()
    const jsonParam = (value: unknown) => (value === null ? null : Ndjson.json(value))
    const jsonCast = pg ? sql`::jsonb` : sql``

    const keyOf = (r: StepRecord.StepRecord) => `${r.provider}\u0000${r.account ?? ""}\u0000${r.workflow}\u0000${r.run_id}\u0000${r.step_index}`
    const rows = (records: ReadonlyArray<StepRecord.StepRecord>) => {
      const out: Array<Row> = []
      let bytes = 0
      for (const record of records) {
        // the record as its NDJSON line has it (a null account as '', see Tables.KEY)
        const r = StepRecord.make(record)
        if (pg) {
          const json = Ndjson.json(r.account === null ? { ...r, account: "" } : r)
          bytes += json.length
          out.push({ key: keyOf(r), json })
          continue
        }
        const values: Array<unknown> = []
        for (const c of Tables.COLUMNS) {
          const v = r[c]
          if (c === "account") values.push(v ?? "")
          else if (Tables.JSON_COLUMNS.has(c)) {
            const text = v === null || v === undefined ? null : Ndjson.json(v)
            if (text !== null) bytes += text.length
            values.push(text)
          } else if (typeof v === "boolean") values.push(v ? 1 : 0)
          else values.push(v)
        }
        bytes += 200
        out.push({ key: keyOf(r), values })
      }
      return { rows: out, bytes }
    }

    // SQLite: one statement text per number of rows, its parameters a flat array (the
    // fragment compiler of @effect/sql is not on the hot path; the driver's statement cache is
    // hit). PostgreSQL: the batch as one jsonb array, spread into rows by the server.
    const columns = Tables.COLUMNS.map((c) => `"${c}"`).join(", ")
    const conflict = `ON CONFLICT (${Tables.KEY.join(", ")}) DO UPDATE SET ${
      Tables.COLUMNS.filter((c) => !(Tables.KEY as ReadonlyArray<string>).includes(c)).map((c) => `"${c}" = excluded."${c}"`).join(", ")
    }`
    const width = Tables.COLUMNS.length
    const texts = new Map<number, string>()
    const textOf = (n: number) => {
      let text = texts.get(n)
      if (text === undefined) {
        const tuples: Array<string> = []
        for (let r = 0; r < n; r++) tuples.push(`(${Array.from({ length: width }, () => "?").join(",")})`)
        text = `INSERT INTO ${Tables.STEPS} (${columns}) VALUES ${tuples.join(",")} ${conflict}`
        texts.set(n, text)
      }
      return text
    }
    const fromJson = `INSERT INTO ${Tables.STEPS} (${columns}) SELECT ${columns} FROM jsonb_populate_recordset(NULL::${Tables.STEPS}, $1::jsonb) ${conflict}`
    const upsert = (batch: ReadonlyArray<Row>) => {
      if (pg) return sql.unsafe(fromJson, ["[" + batch.map((row) => (row as { json: string }).json).join(",") + "]"]).withoutTransform
      const params: Array<unknown> = []
      for (const row of batch) for (const v of (row as { values: ReadonlyArray<unknown> }).values) params.push(v)
      return sql.unsafe(textOf(batch.length), params).withoutTransform
    }

    // a key twice in one statement is refused by PostgreSQL: the later row wins, as it would
    const distinct = (batch: ReadonlyArray<Row>): ReadonlyArray<Row> => {
      const seen = new Map<string, Row>()
      for (const row of batch) seen.set(row.key, row)
      return seen.size === batch.length ? batch : [...seen.values()]
    }

    const held = (key: string) =>
      Effect.flatMap(
        sql<{ readonly source: string }>`UPDATE ${sql(Tables.SOURCES)} SET heartbeat_at = ${now()}, updated_at = ${now()} WHERE source = ${key} AND owner = ${meText} RETURNING source`
          .withoutTransform,
        (found) =>
          found.length > 0 ? Effect.void : Effect.fail(
            new DatabaseError({ target, reason: "busy", detail: `source ${key} was taken over by another export; nothing of this batch was committed` })
          )
      )

    const claim = (key: string) =>
      wrap(sql.withTransaction(Effect.gen(function*() {
        yield* sql`INSERT INTO ${sql(Tables.SOURCES)} (source, updated_at) VALUES (${key}, ${now()}) ON CONFLICT (source) DO NOTHING`.withoutTransform
        const [row] = yield* sql<
          { readonly state: unknown; readonly progress: unknown; readonly owner: string | null; readonly heartbeat_at: string | null }
        >`SELECT state, progress, owner, heartbeat_at FROM ${sql(Tables.SOURCES)} WHERE source = ${key}`.withoutTransform
        const holder = row?.owner == null ? undefined : Schema.decodeUnknownOption(Owner)(row.owner)
        // a live export is never taken over; a live serve runner only by another one
        const yields = options.takeOver === true && holder !== undefined && Option.isSome(holder) && holder.value.takeOver === true
        if (!yields && holder !== undefined && Option.isSome(holder) && alive(holder.value, row!.heartbeat_at, Date.now())) {
          const h = holder.value
          const where = h.host === os.hostname() ? "" : ` on ${h.host}`
          return yield* new DatabaseError({
            target,
            reason: "busy",
            detail: `source ${key} is being exported by another export (pid ${h.pid}${where}, started ${h.started_at}); wait for it to end`
          })
        }
        if (holder !== undefined && !yields) yield* Effect.logWarning(`taking over source ${key} from an export that no longer runs`)
        const taken = yield* (row?.owner == null
          ? sql`UPDATE ${sql(Tables.SOURCES)} SET owner = ${meText}, heartbeat_at = ${now()} WHERE source = ${key} AND owner IS NULL RETURNING source`
          : sql`UPDATE ${sql(Tables.SOURCES)} SET owner = ${meText}, heartbeat_at = ${now()} WHERE source = ${key} AND owner = ${row.owner} RETURNING source`)
          .withoutTransform
        if (taken.length === 0) {
          return yield* new DatabaseError({ target, reason: "busy", detail: `source ${key} is being exported by another export; wait for it to end` })
        }
        const state = row?.state == null ? null : decodeState(json(row.state))
        const progress = row?.progress == null ? null : decodeProgress(json(row.progress))
        if ((state !== null && state._tag === "Left") || (progress !== null && progress._tag === "Left")) {
          return yield* new DatabaseError({ target, reason: "layout", detail: `the state of source ${key} in ${Tables.SOURCES} is not one this version reads` })
        }
        return { state: state?.right ?? null, progress: progress?.right ?? null } satisfies Store.Claimed
      })))

    const commit = (key: string, batch: ReadonlyArray<Row>, advance: Store.Advance) =>
      wrap(sql.withTransaction(Effect.gen(function*() {
        const unique = distinct(batch)
        for (let i = 0; i < unique.length; i += STATEMENT_ROWS) yield* upsert(unique.slice(i, i + STATEMENT_ROWS))
        switch (advance._tag) {
          case "Rows":
            return
          case "Progress":
            yield* held(key)
            yield* sql`UPDATE ${sql(Tables.SOURCES)} SET progress = ${jsonParam(advance.progress)}${jsonCast} WHERE source = ${key}`.withoutTransform
            return
          case "Done":
            yield* held(key)
            yield* sql`UPDATE ${sql(Tables.SOURCES)} SET state = ${jsonParam(advance.state)}${jsonCast}, progress = NULL WHERE source = ${key}`
              .withoutTransform
        }
      })))

    const release = (key: string) =>
      Effect.ignore(mapFailure(target, sql`UPDATE ${sql(Tables.SOURCES)} SET owner = NULL WHERE source = ${key} AND owner = ${meText}`.withoutTransform))

    // the holder's heartbeat, for an export on another host to tell a live one from a gone one
    yield* Effect.forkScoped(
      Effect.ignore(sql`UPDATE ${sql(Tables.SOURCES)} SET heartbeat_at = ${now()} WHERE owner = ${meText}`.withoutTransform).pipe(
        Effect.repeat(Schedule.spaced(HEARTBEAT))
      )
    )
    return { target, rows, claim, commit, release }
  })

/**
 * @since 0.3.0
 * @category models
 */
export interface Options extends Store.FollowOptions {
  /** Export again every `poll` while runs are not terminal (`Store.follow`). */
  readonly follow?: boolean | undefined
}

/**
 * Exports `sources` into the database of the `SqlClient` in context: the tables created or
 * migrated first, then every source incremental from the state the database holds.
 *
 * @since 0.3.0
 * @category running
 */
export const run = (
  sources: ReadonlyArray<Export.Source>,
  target: string,
  options: Options = {}
): Effect.Effect<Store.Result, DatabaseError | PE.ProviderError | Export.SourceError, SqlClient.SqlClient> =>
  Effect.scoped(Effect.gen(function*() {
    yield* migrate(target)
    const s = yield* store(target)
    return yield* (options.follow === true ? Store.follow(sources, s, options) : Store.run(sources, s, options))
  }))
