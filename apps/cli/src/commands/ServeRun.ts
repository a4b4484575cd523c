/**
 * What `serve` loads when it runs: the database and the cluster (`@steptrail/serve`), with
 * missing parts of a PostgreSQL URL from the PG* variables, as `--out` reads them.
 */
import { Url } from "@steptrail/database"
import { Cluster, Serve } from "@steptrail/serve"
import { type Duration, Effect, Layer } from "effect"
import { usage } from "./Common.js"
import { databaseUrl } from "./Database.js"

export interface Options {
  readonly poll: Duration.DurationInput
  readonly concurrency: number
}

/** Runs until interrupted: one runner over a SQLite file. */
export const serve = (out: string, sources: ReadonlyArray<Serve.Source>, options: Options) =>
  Effect.gen(function*() {
    const url = yield* databaseUrl(out)
    if (url._tag !== "Sqlite") {
      return yield* usage(`serve takes sqlite:PATH for now; several runners on ${url.display} are not supported yet`)
    }
    return yield* Layer.launch(
      Serve.layer(sources, { target: url.display, poll: options.poll, concurrency: options.concurrency }).pipe(
        Layer.provide(Cluster.single()),
        Layer.provide(Url.layer(url))
      )
    )
  })
