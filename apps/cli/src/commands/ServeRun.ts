/**
 * What `serve` loads when it runs: the database, the cluster and the HTTP endpoints
 * (`@steptrail/serve`), with missing parts of a PostgreSQL URL from the PG* variables, as
 * `--out` reads them.
 */
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Url } from "@steptrail/database"
import { Cluster, Endpoints, Serve } from "@steptrail/serve"
import { type Duration, Effect, FiberRef, HashMap, HashSet, Layer, Logger, LogLevel } from "effect"
import { createServer } from "node:http"
import { Stdio } from "../Stdio.js"
import * as TerminalText from "../TerminalText.js"
import { UsageError } from "../Failure.js"
import { usage } from "./Common.js"
import { databaseUrl } from "./Database.js"

export interface Options {
  readonly poll: Duration.DurationInput
  readonly concurrency: number
  readonly listen: { readonly host: string; readonly port: number }
  readonly logFormat: "text" | "json"
}

/** C1 controls, which JSON leaves as they are, escaped too: a log line never drives a terminal. */
const jsonLine = (value: unknown) => JSON.stringify(value).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)

/** `--log-format json`: one JSON object a line, with the log's annotations (the source). */
const jsonLogger = (stderr: Stdio["Type"]["stderr"]) =>
  Logger.make(({ annotations, date, logLevel, message }) => {
    const text = Array.isArray(message) ? message.join(" ") : String(message)
    stderr.write(jsonLine({ time: date.toISOString(), level: logLevel.label.toLowerCase(), message: text, ...Object.fromEntries(HashMap.toEntries(annotations)) }) + "\n")
  })

const textLogger = (stderr: Stdio["Type"]["stderr"]) =>
  Logger.make(({ logLevel, message }) => {
    const text = Array.isArray(message) ? message.join(" ") : String(message)
    stderr.write(`steptrail: ${logLevel.label.toLowerCase()}: ${TerminalText.line(text)}\n`)
  })

/** Runs until interrupted: one runner over a SQLite file, its endpoints on `listen`. */
export const serve = (out: string, sources: ReadonlyArray<Serve.Source>, options: Options) =>
  Effect.gen(function*() {
    const url = yield* databaseUrl(out)
    if (url._tag !== "Sqlite") {
      return yield* usage(`serve takes sqlite:PATH for now; several runners on ${url.display} are not supported yet`)
    }
    const { stderr } = yield* Stdio
    const announce = Layer.effectDiscard(Effect.flatMap(HttpServer.HttpServer, (server) => {
      const a = server.address
      const where = a._tag === "TcpAddress" ? `http://${a.hostname.includes(":") ? `[${a.hostname}]` : a.hostname}:${a.port}` : a.path
      return Effect.logInfo(`listening on ${where} (GET /healthz, GET /metrics)`)
    }))
    const { host, port } = options.listen
    const http = NodeHttpServer.layer(createServer, { host, port }).pipe(
      Layer.mapError((e) => {
        const code = (e.cause as { code?: unknown } | undefined)?.code
        return new UsageError({ message: `--listen ${host}:${port}: cannot listen there (${typeof code === "string" ? code : "refused"})` })
      })
    )
    const app = Layer.mergeAll(
      Serve.layer(sources, { target: url.display, poll: options.poll, concurrency: options.concurrency }).pipe(
        Layer.provide(Cluster.single()),
        Layer.provide(Url.layer(url))
      ),
      Layer.provide(Layer.merge(Endpoints.layer, announce), http)
    )
    return yield* Layer.launch(app).pipe(
      Effect.locally(FiberRef.currentLoggers, HashSet.make(options.logFormat === "json" ? jsonLogger(stderr) : textLogger(stderr))),
      Logger.withMinimumLogLevel(LogLevel.Info)
    )
  })
