/**
 * `steptrail serve --config FILE --out sqlite:PATH|postgres://…`: every source of a config file captured
 * continuously into a database (`@steptrail/serve`), until a signal. The sources are checked
 * and built here as `export --config` builds them; the cluster and the database are loaded
 * only when the command runs (`ServeRun.ts`).
 */
import type { ProviderDescriptor } from "@steptrail/core"
import { Duration, Effect, Option } from "effect"
import { choice, type Declaration, option } from "../Declared.js"
import { usage, UsageError } from "../Failure.js"
import * as SourcesConfig from "../SourcesConfig.js"
import { isDatabaseOut } from "./Common.js"
import { common, type CommonFlags, connection, DEFAULTS, withVerbose } from "./Flags.js"

/** The export options serve takes too: how a source's requests are made. */
const SHARED = ["--concurrency", "--retries", "--timeout", "--rate-limit", "--rate-limit-patience", "--allow-insecure", "--verbose"]

/** `--stop-timeout`'s default: systemd's `TimeoutStopSec` default is 90 s, Kubernetes' grace period 30 s. */
const STOP_TIMEOUT = 30

const options = [
  option("config", "file", {
    description: "The JSON file of sources to capture (the format of export --config; see docs/config.md).",
    required: true
  }),
  option("out", "text", {
    description:
      "The database the records go to, over the file's own out: sqlite:PATH (one runner) or postgres://USER@HOST[:PORT]/DB (every serve process on it is a runner of one cluster; docs/serve.md).",
    placeholder: "DATABASE"
  }),
  option("listen", "text", {
    description:
      "Where GET /healthz and GET /metrics (Prometheus text) are served, HOST:PORT (port 0: any free port, told on stderr); with postgres:// also where the other runners reach this one.",
    placeholder: "HOST:PORT",
    default: "127.0.0.1:0"
  }),
  choice("log-format", ["text", "json"], {
    description: "Log lines on stderr as text (steptrail: LEVEL: message) or as JSON lines (time, level, message, source).",
    default: "text"
  }),
  option("poll-interval", "integer", {
    description: "Seconds between two passes over a source (new runs, and runs not yet settled).",
    placeholder: "SECONDS",
    default: DEFAULTS.pollInterval
  }),
  option("stop-timeout", "integer", {
    description:
      "Seconds a signal gives serve to stop: the runs being fetched are finished and committed, then the shards released; past it the process exits with the signal's code whatever is left.",
    placeholder: "SECONDS",
    default: STOP_TIMEOUT
  }),
  ...common.filter((o) => SHARED.includes(o.name))
]

/** The flags of `serve`: its own, and the export flags it shares (`SHARED`). */
interface Flags extends
  Pick<CommonFlags, "out" | "pollInterval" | "concurrency" | "retries" | "timeout" | "rateLimit" | "rateLimitPatience" | "allowInsecure" | "verbose">
{
  readonly config: string
  readonly listen: string
  readonly logFormat: "text" | "json"
  readonly stopTimeout: number
}

/** `--listen HOST:PORT`: a host name, an IPv4 address or a bracketed IPv6 one, and a port. */
export const parseListen = (text: string): { readonly host: string; readonly port: number } | undefined => {
  const m = /^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(text)
  if (m === null) return undefined
  const port = Number(m[2])
  return port > 65535 ? undefined : { host: m[1]!.replace(/^\[|\]$/g, ""), port }
}

const run = (providers: ReadonlyArray<ProviderDescriptor.Descriptor>, flags: Flags) =>
    Effect.gen(function*() {
      if (flags.pollInterval < 1 || flags.pollInterval > 3600) {
        return yield* usage(`--poll-interval must be between 1 and 3600 seconds, got ${flags.pollInterval}`)
      }
      if (flags.stopTimeout < 1 || flags.stopTimeout > 3600) {
        return yield* usage(`--stop-timeout must be between 1 and 3600 seconds, got ${flags.stopTimeout}`)
      }
      const address = parseListen(flags.listen)
      if (address === undefined) return yield* usage(`--listen must be HOST:PORT, e.g. 127.0.0.1:9464 or [::1]:0; got ${JSON.stringify(flags.listen)}`)
      const file = yield* SourcesConfig.load(flags.config, providers)
      const target = Option.getOrUndefined(Option.orElse(flags.out, () => Option.fromNullable(file.out)))
      if (target === undefined) return yield* usage("serve needs a database: --out sqlite:PATH, or out in the config file")
      if (!isDatabaseOut(target)) return yield* usage(`serve writes into a database, sqlite:PATH or postgres://…; got --out ${JSON.stringify(target)}`)
      const shared = yield* connection({ ...flags, concurrency: Option.orElse(flags.concurrency, () => Option.fromNullable(file.concurrency)) })
      const checked = yield* Effect.forEach(file.sources, (source, i) => SourcesConfig.toSource(source, i, file.sources.length, shared)).pipe(
        Effect.mapError((e) => new UsageError({ message: `config ${flags.config}: ${e.message}` }))
      )
      const sources = yield* Effect.all(checked)
      yield* SourcesConfig.distinct(flags.config, sources)
      const run = yield* Effect.promise(() => import("./ServeRun.js"))
      return yield* run.serve(target, sources, {
        poll: Duration.seconds(flags.pollInterval),
        listen: address,
        logFormat: flags.logFormat,
        stopTimeout: Duration.seconds(flags.stopTimeout),
        concurrency: Option.getOrElse(flags.concurrency, () => file.concurrency ?? DEFAULTS.concurrency)
      })
    }).pipe(Effect.scoped, withVerbose(flags.verbose))

/** `serve`, over the sources of `providers`. */
export const serveCommand = (providers: ReadonlyArray<ProviderDescriptor.Descriptor>): Declaration => ({
  name: "serve",
  description:
    "Capture every source of a config file continuously into a database: new runs, and runs in flight until they settle, with each source's state in the same transaction as its rows. Runs until a signal (SIGTERM: the runs being fetched are finished and committed, then exit 143).\n\n" +
    "Example:\n  steptrail serve --config sources.json --out sqlite:steps.db",
  options,
  handler: (flags) => run(providers, flags as unknown as Flags)
})
