/**
 * Durability of renames: what the state file and the atomic file outputs both need, so
 * neither takes it from the other.
 */
import { FileSystem } from "@effect/platform"
import { Effect } from "effect"

/** Makes a rename in `dir` durable (an fsync of the directory); best effort where a platform cannot. */
export const syncDir = (dir: string): Effect.Effect<void, never, FileSystem.FileSystem> =>
  FileSystem.FileSystem.pipe(
    Effect.flatMap((fs) => Effect.scoped(Effect.flatMap(fs.open(dir, { flag: "r" }), (handle) => handle.sync))),
    Effect.ignore
  )
