/**
 * `GET /healthz` follows the cluster's gauge of the shards this runner holds: 503 while it
 * holds none (starting, or stopping after it released them), 200 once it holds some.
 */
import * as ClusterMetrics from "@effect/cluster/ClusterMetrics"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import { describe, expect, it } from "@effect/vitest"
import { Endpoints } from "@steptrail/serve"
import { Effect, Metric } from "effect"

describe("GET /healthz", () => {
  it.effect("503 while the runner holds no shard, 200 once it holds some, 503 again once it released them", () =>
    Effect.gen(function*() {
      const { dispose, handler } = HttpLayerRouter.toWebHandler(Endpoints.healthz, { disableLogger: true })
      yield* Effect.addFinalizer(() => Effect.promise(dispose))
      // the gauge is the process's: leave it as it was found
      const before = (yield* Metric.value(ClusterMetrics.shards)).value
      yield* Effect.addFinalizer(() => Metric.set(ClusterMetrics.shards, before))
      const ask = Effect.promise(async () => {
        const response = await handler(new Request("http://127.0.0.1/healthz"))
        return { status: response.status, body: await response.text() }
      })
      yield* Metric.set(ClusterMetrics.shards, 0n)
      expect(yield* ask).toEqual({ status: 503, body: "starting: no shards held yet\n" })
      yield* Metric.set(ClusterMetrics.shards, 300n)
      expect(yield* ask).toEqual({ status: 200, body: "ok\n" })
      yield* Metric.set(ClusterMetrics.shards, 0n)
      expect((yield* ask).status).toBe(503)
    }).pipe(Effect.scoped))
})
