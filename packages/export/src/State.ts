/**
 * The state file: what earlier exports saw of each run (for incremental exports), and what
 * the export in progress has durably written (for resume after a crash).
 *
 * Written atomically (temp file, fsync, rename, fsync of the directory), so a crash leaves
 * either the previous state or the new one, never a torn file. The format is versioned and
 * documented in `docs/state.md`.
 *
 * @since 0.1.0
 */
import { Effect, Either, ParseResult, Schema } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"

/**
 * @since 0.1.0
 * @category constants
 */
export const VERSION = 1 as const

/**
 * What the last finished export saw of a run.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RunMark = Schema.Struct({
  /** The provider's status word (or the normalized status where it has none). */
  status: Schema.String,
  terminal: Schema.Boolean,
  steps: Schema.Int,
  /** The run's version when it was written (see `RunRef.version`), where the provider has one. */
  version: Schema.optional(Schema.NullOr(Schema.String))
})
/**
 * @since 0.1.0
 * @category models
 */
export type RunMark = typeof RunMark.Type

/**
 * The export in progress.
 *
 * @since 0.1.0
 * @category schemas
 */
export const Pending = Schema.Struct({
  /** Absolute path of `--out`, or `"stdout"`. */
  output: Schema.String,
  /** Bytes of the output known to be durable; anything after them is cut on resume. */
  bytes: Schema.Int,
  /** Runs whose records are within those bytes, per source, with what was seen of them. */
  done: Schema.Record({ key: Schema.String, value: Schema.Record({ key: Schema.String, value: RunMark }) }),
  /** Set once the export wrote its last record: only the final rename may be missing. */
  finished: Schema.Boolean,
  started_at: Schema.String
})
/**
 * @since 0.1.0
 * @category models
 */
export type Pending = typeof Pending.Type

/**
 * @since 0.1.0
 * @category schemas
 */
export const State = Schema.Struct({
  version: Schema.Literal(VERSION),
  /** Per source (`provider/account/workflow`): run id → what was seen. */
  sources: Schema.Record({ key: Schema.String, value: Schema.Record({ key: Schema.String, value: RunMark }) }),
  pending: Schema.NullOr(Pending)
})
/**
 * @since 0.1.0
 * @category models
 */
export type State = typeof State.Type

/**
 * @since 0.1.0
 * @category errors
 */
export class StateError extends Schema.TaggedError<StateError>()("StateError", {
  path: Schema.String,
  reason: Schema.Literal("read", "invalid", "write"),
  detail: Schema.String
}) {
  override get message() {
    const what = this.reason === "invalid" ? "is not a steptrail state file" : `cannot ${this.reason}`
    return `state file ${this.path} ${what}: ${this.detail}`
  }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const empty: State = { version: VERSION, sources: {}, pending: null }

/**
 * The key a source's runs are kept under.
 *
 * @since 0.1.0
 * @category keys
 */
export const sourceKey = (provider: string, account: string | null, workflow: string): string =>
  `${provider}/${account ?? "-"}/${workflow}`

const decode = Schema.decodeUnknownEither(State)
const encode = Schema.encodeSync(State)

/**
 * Reads the state file; a missing file is the empty state.
 *
 * @since 0.1.0
 * @category io
 */
export const load = (file: string): Effect.Effect<State, StateError> =>
  Effect.gen(function*() {
    const text = yield* Effect.try({
      try: () => (fs.existsSync(file) ? fs.readFileSync(file, "utf8") : undefined),
      catch: (e) => new StateError({ path: file, reason: "read", detail: (e as NodeJS.ErrnoException).code ?? String(e) })
    })
    if (text === undefined) return empty
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      return yield* Effect.fail(new StateError({ path: file, reason: "invalid", detail: "not valid JSON" }))
    }
    const version = (json as { version?: unknown } | null)?.version
    if (typeof version === "number" && version !== VERSION) {
      return yield* Effect.fail(
        new StateError({ path: file, reason: "invalid", detail: `version ${version}; this steptrail reads version ${VERSION}` })
      )
    }
    const result = decode(json)
    if (Either.isLeft(result)) {
      const issue = ParseResult.ArrayFormatter.formatErrorSync(result.left)[0]
      return yield* Effect.fail(
        new StateError({ path: file, reason: "invalid", detail: `${issue?.path.join(".") ?? ""}: ${issue?.message ?? ""}`.replace(/\s+/g, " ") })
      )
    }
    return result.right
  })

/**
 * Replaces the state file atomically and durably.
 *
 * @since 0.1.0
 * @category io
 */
export const save = (file: string, state: State): Effect.Effect<void, StateError> =>
  Effect.try({
    try: () => {
      const dir = path.dirname(path.resolve(file))
      const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`)
      const fd = fs.openSync(temp, "w", 0o600)
      try {
        fs.writeSync(fd, JSON.stringify(encode(state)) + "\n")
        fs.fsyncSync(fd)
      } finally {
        fs.closeSync(fd)
      }
      fs.renameSync(temp, file)
      syncDir(dir)
    },
    catch: (e) => new StateError({ path: file, reason: "write", detail: (e as NodeJS.ErrnoException).code ?? String(e) })
  })

/**
 * Makes a rename in `dir` durable.
 *
 * @since 0.1.0
 * @category io
 */
export const syncDir = (dir: string): void => {
  try {
    const fd = fs.openSync(dir, "r")
    try {
      fs.fsyncSync(fd)
    } finally {
      fs.closeSync(fd)
    }
  } catch {
    // not every platform can fsync a directory; the data itself is already durable
  }
}
