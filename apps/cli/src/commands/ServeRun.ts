/**
 * What `serve` loads when it runs: the database, the cluster and the HTTP endpoints
 * (`@steptrail/serve`), with missing parts of a PostgreSQL URL from the PG* variables, as
 * `--out` reads them.
 */
import * as HttpServer from "@effect/platform/HttpServer"
import * as NodeHttpServer from "@effect/platform-node/NodeHttpServer"
import { Url } from "@steptrail/database"
import { Cluster, Endpoints, Serve } from "@steptrail/serve"
import { Duration, Effect, FiberRef, HashMap, HashSet, Layer, Logger, LogLevel } from "effect"
import * as NodeSocket from "@effect/platform-node/NodeSocket"
import { createServer } from "node:http"
import * as net from "node:net"
import * as Signals from "../Signals.js"
import { Stdio } from "../Stdio.js"
import * as TerminalText from "../TerminalText.js"
import { UsageError } from "../Failure.js"
import { databaseUrl } from "./Database.js"

export interface Options {
  readonly poll: Duration.DurationInput
  readonly concurrency: number
  readonly listen: { readonly host: string; readonly port: number }
  readonly logFormat: "text" | "json"
  /** From the signal to the exit, at most (`--stop-timeout`). */
  readonly stopTimeout: Duration.Duration
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

/**
 * On the first signal, the passes finish the runs they are fetching and commit them before the
 * cluster is stopped (its singletons, its shards, the runner's registration), all within
 * `timeout` (`Signals.drainOnSignal`).
 */
const drainOnSignal = (timeout: Duration.Duration) =>
  Layer.scopedDiscard(Effect.flatMap(Serve.Drain, (drain) => {
    const seconds = Duration.toSeconds(timeout)
    return Signals.drainOnSignal(
      Effect.zipRight(
        Effect.logInfo(`stopping: the runs being fetched are finished and committed, then the shards released (at most ${seconds} s)`),
        drain.drain
      ),
      { deadline: timeout, timedOut: Effect.logWarning(`still stopping after ${seconds} s (--stop-timeout): exiting; what was committed stays`) }
    )
  }))

/** A free port of `host` (what `--listen HOST:0` becomes: the other runners must know the port). */
const freePort = (host: string) =>
  Effect.async<number, UsageError>((resume) => {
    const server = net.createServer()
    server.once("error", (e: NodeJS.ErrnoException) => resume(Effect.fail(listenError(host, 0, e.code))))
    server.listen(0, host, () => {
      const port = (server.address() as net.AddressInfo).port
      server.close(() => resume(Effect.succeed(port)))
    })
  })

const listenError = (host: string, port: number, code: unknown) =>
  new UsageError({ message: `--listen ${host}:${port}: cannot listen there (${typeof code === "string" ? code : "refused"})` })

/**
 * Runs until interrupted. `sqlite:` is one runner, its endpoints on `listen`; `postgres://`
 * makes this process a runner of the cluster whose state the database holds, its cluster
 * traffic and its endpoints on one port.
 */
export const serve = (out: string, sources: ReadonlyArray<Serve.Source>, options: Options) =>
  Effect.gen(function*() {
    const url = yield* databaseUrl(out)
    // node-postgres deprecates, on stderr, a use the cluster's storage makes of it: not ours to
    // report, and a line that is not a log line
    if (url._tag === "Postgres") process.noDeprecation = true
    const { stderr } = yield* Stdio
    const host = options.listen.host
    const port = url._tag === "Postgres" && options.listen.port === 0 ? yield* freePort(host) : options.listen.port
    const http = NodeHttpServer.layer(createServer, { host, port }).pipe(
      Layer.mapError((e) => listenError(host, port, (e.cause as { code?: unknown } | undefined)?.code))
    )
    const announce = Layer.effectDiscard(Effect.flatMap(HttpServer.HttpServer, (server) => {
      const a = server.address
      const where = a._tag === "TcpAddress" ? `http://${a.hostname.includes(":") ? `[${a.hostname}]` : a.hostname}:${a.port}` : a.path
      return Effect.logInfo(`listening on ${where} (GET /healthz, GET /metrics)`)
    }))
    const cluster = url._tag === "Sqlite"
      ? Layer.merge(Cluster.single(), Layer.provide(Endpoints.layer, http))
      : Layer.provide(Cluster.runner({ host, port }), Layer.merge(http, NodeSocket.layerWebSocketConstructor))
    const capture = Serve.layer(sources, { target: url.display, poll: options.poll, concurrency: options.concurrency }).pipe(
      Layer.provide(cluster)
    )
    const app = Layer.mergeAll(
      Layer.provide(drainOnSignal(options.stopTimeout), capture),
      Layer.provide(announce, http)
    ).pipe(Layer.provide(Url.layer(url)))
    return yield* Layer.launch(app).pipe(
      Effect.locally(FiberRef.currentLoggers, HashSet.make(options.logFormat === "json" ? jsonLogger(stderr) : textLogger(stderr))),
      Logger.withMinimumLogLevel(LogLevel.Info)
    )
  })
