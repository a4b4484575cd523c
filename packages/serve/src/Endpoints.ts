/**
 * What `serve --listen` answers besides the cluster's own traffic: `GET /healthz` (200 once
 * this runner holds shards, 503 before) and `GET /metrics` (Prometheus text format 0.0.4).
 * The routes are layers of `HttpLayerRouter`, so the cluster's websocket route and these can
 * share one server and one port.
 *
 * @since 0.4.0
 */
import * as ClusterMetrics from "@effect/cluster/ClusterMetrics"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import type * as HttpServer from "@effect/platform/HttpServer"
import * as HttpServerResponse from "@effect/platform/HttpServerResponse"
import { Metrics, RateBudget } from "@steptrail/core"
import { Effect, Layer, Metric, type MetricKey, MetricState } from "effect"
import * as Serve from "./Serve.js"

/** Whether this runner holds shards: the cluster's own gauge, updated as it acquires and releases them. */
const holdsShards = Effect.map(Metric.value(ClusterMetrics.shards), (state) => state.value > 0n)

/**
 * `GET /healthz`: 200 `ok` once this runner is registered and holds shards, 503 otherwise
 * (starting, or every shard released while it stops).
 *
 * @since 0.4.0
 * @category routes
 */
export const healthz: Layer.Layer<never, never, HttpLayerRouter.HttpRouter> = HttpLayerRouter.add(
  "GET",
  "/healthz",
  Effect.map(holdsShards, (ok) => (ok ? HttpServerResponse.text("ok\n") : HttpServerResponse.text("starting: no shards held yet\n", { status: 503 })))
)

const escapeLabel = (value: string) => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, "\\\"")

const labels = (tags: ReadonlyArray<readonly [string, string]>) =>
  tags.length === 0 ? "" : `{${tags.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(",")}}`

const number = (value: number | bigint) => (typeof value === "bigint" ? value.toString() : Number.isFinite(value) ? String(value) : "NaN")

/**
 * Every counter and gauge of the process as Prometheus text, `# HELP` and `# TYPE` once per
 * name; then what is computed at each scrape: the lag of each source (now less the creation
 * time of its newest committed run) and the time requests waited on each credential's budget.
 *
 * @since 0.4.0
 * @category formatting
 */
export const prometheus: Effect.Effect<string> = Effect.gen(function*() {
  // the request counters show at 0 before the first request, 429 or retry
  yield* Effect.forEach([Metrics.requests, Metrics.rateLimited, Metrics.retries], (m) => Metric.incrementBy(m, 0), { discard: true })
  const snapshot = yield* Metric.snapshot
  const byName = new Map<string, { type: string; help: string | undefined; lines: Array<string> }>()
  const emit = (name: string, type: string, help: string | undefined, tags: ReadonlyArray<readonly [string, string]>, value: number | bigint) => {
    let entry = byName.get(name)
    if (entry === undefined) byName.set(name, entry = { type, help, lines: [] })
    entry.lines.push(`${name}${labels(tags)} ${number(value)}`)
  }
  const now = Date.now() / 1000
  for (const pair of snapshot) {
    const key = pair.metricKey as MetricKey.MetricKey.Untyped
    const tags = key.tags.map((t) => [t.key, t.value] as const)
    const help = key.description._tag === "Some" ? key.description.value : undefined
    const state = pair.metricState
    if (MetricState.isCounterState(state)) emit(key.name, "counter", help, tags, state.count)
    else if (MetricState.isGaugeState(state)) {
      emit(key.name, "gauge", help, tags, state.value)
      if (key.name === Serve.NEWEST) {
        emit("steptrail_serve_lag_seconds", "gauge", "Now less the creation time of the newest committed run", tags, Math.max(0, now - Number(state.value)))
      }
    }
  }
  const budgets = yield* RateBudget.Budgets
  for (const entry of yield* budgets.entries) {
    const status = yield* entry.budget.status
    const tags = [["provider", entry.key.provider], ["host", entry.key.host], ["credential", entry.key.credential]] as const
    emit("steptrail_budget_wait_seconds_total", "counter", "Time requests were held back by the credential's budget or a 429 pause", tags, status.waitedMillis / 1000)
  }
  let text = ""
  for (const [name, entry] of byName) {
    if (entry.help !== undefined) text += `# HELP ${name} ${entry.help.replace(/\n/g, " ")}\n`
    text += `# TYPE ${name} ${entry.type}\n${entry.lines.join("\n")}\n`
  }
  return text
})

/**
 * `GET /metrics`.
 *
 * @since 0.4.0
 * @category routes
 */
export const metrics: Layer.Layer<never, never, HttpLayerRouter.HttpRouter> = HttpLayerRouter.add(
  "GET",
  "/metrics",
  Effect.map(prometheus, (text) => HttpServerResponse.text(text, { contentType: "text/plain; version=0.0.4; charset=utf-8" }))
)

/**
 * Both routes, served on the `HttpServer` in context (a runner of one machine: nothing else
 * on its port).
 *
 * @since 0.4.0
 * @category layers
 */
export const layer: Layer.Layer<never, never, HttpServer.HttpServer> = HttpLayerRouter.serve(Layer.mergeAll(healthz, metrics), {
  disableLogger: true,
  disableListenLog: true
})
