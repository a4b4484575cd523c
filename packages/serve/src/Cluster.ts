/**
 * The `@effect/cluster` a `serve` process joins. Its settings are given here in full, never
 * read from the environment (`ShardingConfig.layerFromEnv` would read plain `HOST` and
 * `PORT`, which mean other things to other programs).
 *
 * @since 0.4.0
 */
import * as MessageStorage from "@effect/cluster/MessageStorage"
import * as RunnerHealth from "@effect/cluster/RunnerHealth"
import * as Runners from "@effect/cluster/Runners"
import * as Sharding from "@effect/cluster/Sharding"
import * as ShardingConfig from "@effect/cluster/ShardingConfig"
import * as SqlMessageStorage from "@effect/cluster/SqlMessageStorage"
import * as SqlRunnerStorage from "@effect/cluster/SqlRunnerStorage"
import * as HttpRunner from "@effect/cluster/HttpRunner"
import * as RunnerAddress from "@effect/cluster/RunnerAddress"
import * as HttpLayerRouter from "@effect/platform/HttpLayerRouter"
import type * as HttpServer from "@effect/platform/HttpServer"
import type * as Socket from "@effect/platform/Socket"
import * as RpcSerialization from "@effect/rpc/RpcSerialization"
import type * as SqlClient from "@effect/sql/SqlClient"
import { Duration, Layer, Option } from "effect"
import * as Endpoints from "./Endpoints.js"

/**
 * One runner that owns every shard, its runner and message storage in the database of the
 * `SqlClient` in context (the same database the records go to): `serve` on SQLite. What
 * `SingleRunner.layer` of `@effect/cluster` builds, with the settings given rather than read
 * from the environment.
 *
 * @since 0.4.0
 * @category layers
 */
export const single = (
  config: Partial<ShardingConfig.ShardingConfig["Type"]> = {}
): Layer.Layer<Sharding.Sharding | Runners.Runners | MessageStorage.MessageStorage, never, SqlClient.SqlClient> =>
  Sharding.layer.pipe(
    Layer.provideMerge(Runners.layerNoop),
    Layer.provideMerge(SqlMessageStorage.layer),
    Layer.provide([Layer.orDie(SqlRunnerStorage.layer), RunnerHealth.layerNoop]),
    Layer.provide(ShardingConfig.layer(config)),
    Layer.orDie
  )

/**
 * The failover settings of a cluster of runners: a runner refreshes its shard locks every
 * 2 s and a lock not refreshed for 8 s is free; runners check each other's health every 3 s.
 * A runner killed outright has its shards taken over within about 6 to 10 s (the library's
 * defaults take about 35 s). A rebalanced singleton is interrupted within
 * `entityTerminationTimeout`.
 *
 * @since 0.4.0
 * @category settings
 */
export const failover = {
  shardLockRefreshInterval: Duration.seconds(2),
  shardLockExpiration: Duration.seconds(8),
  runnerHealthCheckInterval: Duration.seconds(3),
  entityTerminationTimeout: Duration.seconds(10)
} as const

/**
 * A runner of a cluster of several (`serve` on PostgreSQL): its runner and message storage
 * in the database of the `SqlClient` in context, shards owned through its advisory locks, and
 * one port (the `HttpServer` in context) for the cluster's websocket traffic at `/` and
 * `GET /healthz` and `GET /metrics` beside it. `address` is where the other runners reach
 * this one (the server's own address).
 *
 * @since 0.4.0
 * @category layers
 */
export const runner = (
  address: { readonly host: string; readonly port: number },
  config: Partial<ShardingConfig.ShardingConfig["Type"]> = {}
): Layer.Layer<
  Sharding.Sharding | Runners.Runners | MessageStorage.MessageStorage,
  never,
  SqlClient.SqlClient | HttpServer.HttpServer | Socket.WebSocketConstructor
> => {
  const clientProtocol = HttpRunner.layerClientProtocolWebsocketDefault
  const health = RunnerHealth.layerPing.pipe(Layer.provide(Runners.layerRpc), Layer.provide(clientProtocol))
  return HttpLayerRouter.serve(
    Layer.mergeAll(HttpRunner.layerWebsocketOptions({ path: "/" }), Endpoints.healthz, Endpoints.metrics),
    { disableLogger: true, disableListenLog: true }
  ).pipe(
    Layer.provide(clientProtocol),
    Layer.provide(health),
    Layer.provideMerge(SqlMessageStorage.layer),
    Layer.provide(SqlRunnerStorage.layer),
    Layer.provide(ShardingConfig.layer({
      ...failover,
      ...config,
      runnerAddress: Option.some(RunnerAddress.make(address.host, address.port))
    })),
    Layer.provide(RpcSerialization.layerMsgPack),
    Layer.orDie
  )
}
