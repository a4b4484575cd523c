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
import type * as SqlClient from "@effect/sql/SqlClient"
import { Layer } from "effect"

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
