/**
 * `--out sqlite:PATH` and `--out postgres://…`: the database output, loaded only when an
 * export asks for one (it brings `@effect/sql` and a driver). Missing parts of a PostgreSQL
 * URL come from the PG* variables of the environment the CLI was given.
 */
import { Database, Url } from "@steptrail/database"
import type { Export, ExportJob } from "@steptrail/export"
import { Config, Effect, Option } from "effect"

const VARIABLES = ["PGUSER", "PGPASSWORD", "PGHOST", "PGPORT", "PGDATABASE"] as const

/** A database `--out`, its missing parts from the PG* variables. */
export const databaseUrl = (out: string) =>
  Effect.gen(function*() {
    const env: Record<string, string> = {}
    for (const name of VARIABLES) {
      const value = yield* Effect.orElseSucceed(Config.option(Config.string(name)), () => Option.none())
      if (Option.isSome(value) && value.value !== "") env[name] = value.value
    }
    return yield* Url.parse(out, (name) => env[name])
  })

export const into = (out: string, sources: ReadonlyArray<Export.Source>) =>
  Effect.gen(function*() {
    const url = yield* databaseUrl(out)
    const job: ExportJob.Into<Database.DatabaseError | ExportJob.Error> = {
      target: url.display,
      run: (options) => Url.run(url, sources, options)
    }
    return job
  })
