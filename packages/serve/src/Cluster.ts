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
import { Database } from "@steptrail/database"
import { Duration, Effect, Layer, Option } from "effect"
import * as Endpoints from "./Endpoints.js"

/**
 * The cluster's tables (runners, shard locks, messages), made once before the storage layers
 * that would make them, under `Database.exclusively`: runners started together would
 * otherwise race PostgreSQL's catalog, and the one that lost would die.
 */
const tables = Layer.effectDiscard(
  Database.exclusively(Effect.scoped(Layer.build(Layer.merge(SqlMessageStorage.layer, SqlRunnerStorage.layer)))).pipe(Effect.orDie)
)

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
    Layer.provide(tables),
    Layer.provide(ShardingConfig.layer(config)),
    Layer.orDie
  )

/**
 * The failover settings of a cluster of runners. Shards are owned through PostgreSQL advisory
 * locks, which a runner killed outright loses as soon as its connections close; its shards
 * move once the others count it out: they ping each other every 3 s (a refused ping is
 * retried for 2.5 s) and read the runners' table every 3 s, so a killed runner's shards are
 * taken over in about 6 s, and within about 15 s when the runner that died was the one
 * running the health checks (a runner whose heartbeat is 12 s old leaves the table). The
 * library's defaults take 35 s and more. A runner checks every 4 s that it still holds its
 * locks, and gives that check 4 s (a third of the expiry): with the 2 s of a first trial, a
 * loaded machine whose check was slower gave up every shard and took them back
 * ("Shard lock storage is unhealthy"), which costs a pass but loses nothing.
 *
 * @since 0.4.0
 * @category settings
 */
export const failover = {
  shardLockRefreshInterval: Duration.seconds(4),
  shardLockExpiration: Duration.seconds(12),
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
    Layer.provide(tables),
    Layer.provide(ShardingConfig.layer({
      ...failover,
      ...config,
      runnerAddress: Option.some(RunnerAddress.make(address.host, address.port))
    })),
    Layer.provide(RpcSerialization.layerMsgPack),
    Layer.orDie
  )
}
