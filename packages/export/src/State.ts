/**
 * The state file: per source, a watermark and the runs the next export must look at again
 * (for incremental exports), and where the export in progress stands (for resume after a
 * crash). Its size is set by the runs that are not terminal and the runs created within the
 * lateness margin of the watermark, not by every run ever exported.
 *
 * Written with the platform's `FileSystem`, atomically (temporary file, fsync, rename, fsync
 * of the directory): a crash leaves the previous state or the new one, never a torn file.
 * The format is versioned and documented in `docs/state.md`; a version-1 file is migrated
 * when it is read.
 *
 * @since 0.1.0
 */
import { FileSystem } from "@effect/platform"
import { Effect, Either, ParseResult, Schema } from "effect"
import * as path from "node:path"
import * as Durable from "./internal/durable.js"
import * as SystemError from "./internal/systemError.js"

/**
 * @since 0.1.0
 * @category constants
 */
export const VERSION = 2 as const

/**
 * What the last export saw of a run that was not terminal.
 *
 * @since 0.1.0
 * @category schemas
 */
export const RunMark = Schema.Struct({
  /**
   * The provider's status word (or the normalized status where it has none); the normalized
   * status its records were fetched in when the run had moved since it was listed.
   */
  status: Schema.String,
  steps: Schema.Int,
  /** The run's version when it was written (see `RunRef.version`), where the provider has one. */
  version: Schema.optional(Schema.NullOr(Schema.String)),
  /** When the run was created (ISO), where the provider says. */
  created: Schema.optional(Schema.NullOr(Schema.String)),
  /** The run's locator (`RunRef.locator`), where the provider needs one to find the run again. */
  locator: Schema.optional(Schema.String)
})
/**
 * @since 0.1.0
 * @category models
 */
export type RunMark = typeof RunMark.Type

/**
 * What the next incremental export of a source needs.
 *
 * @since 0.2.0
 * @category schemas
 */
export const SourceState = Schema.Struct({
  /** The latest creation time (ISO) of a run an export handled; null before the first. */
  watermark: Schema.NullOr(Schema.String),
  /** Runs not terminal when last exported: exported again unless unchanged (the same version, or the same status word and count of records). */
  open: Schema.Record({ key: Schema.String, value: RunMark }),
  /** Terminal runs created within the lateness margin of the watermark (run id → creation time): listed again, not exported again. */
  recent: Schema.Record({ key: Schema.String, value: Schema.NullOr(Schema.String) })
})
/**
 * @since 0.2.0
 * @category models
 */
export type SourceState = typeof SourceState.Type

/**
 * Where one source of the export in progress stands.
 *
 * @since 0.2.0
 * @category schemas
 */
export const Progress = Schema.Struct({
  /** The source's key, to check that a resumed export has the same sources. */
  key: Schema.String,
  /** Runs handled (written, or skipped as unchanged) in order, from the first. */
  passed: Schema.Int,
  /** The id of the last of them. */
  last: Schema.NullOr(Schema.String),
  /** Every run of the source is handled. */
  done: Schema.Boolean,
  /** The source's next state as far as it is known (null for explicit run ids). */
  next: Schema.NullOr(SourceState)
})
/**
 * @since 0.2.0
 * @category models
 */
export type Progress = typeof Progress.Type

/**
 * The export in progress (to a file: an export to stdout keeps none, see `docs/state.md`).
 *
 * @since 0.1.0
 * @category schemas
 */
export const Pending = Schema.Struct({
  /** Absolute path of `--out`. */
  output: Schema.String,
  /** Bytes of the output known to be durable; anything after them is cut on resume. */
  bytes: Schema.Int,
  /** Per source, in the export's order. */
  sources: Schema.Array(Progress),
  /** Set once the export wrote its last record and `sources` holds the new state. */
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
  /** Per source (`provider/account/workflow`). */
  sources: Schema.Record({ key: Schema.String, value: SourceState }),
  pending: Schema.NullOr(Pending)
})
/**
 * @since 0.1.0
 * @category models
 */
export type State = typeof State.Type

/**
 * `open`: the state file cannot be created or locked (a missing directory); `read`: it exists
 * but cannot be read; `invalid`: it is not a steptrail state file; `write`: saving it failed
 * (a full disk). `detail` is in words (`no such directory`, `permission denied`).
 *
 * @since 0.1.0
 * @category errors
 */
export class StateError extends Schema.TaggedError<StateError>()("StateError", {
  path: Schema.String,
  reason: Schema.Literal("open", "read", "invalid", "write"),
  detail: Schema.String
}) {
  override get message() {
    switch (this.reason) {
      case "invalid":
        return `state file ${this.path} is not a steptrail state file: ${this.detail}`
      case "open":
        return `cannot create state file ${this.path}: ${this.detail}`
      default:
        return `cannot ${this.reason} state file ${this.path}: ${this.detail}`
    }
  }
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const empty: State = { version: VERSION, sources: {}, pending: null }

/**
 * @since 0.2.0
 * @category constructors
 */
export const emptySource: SourceState = { watermark: null, open: {}, recent: {} }

/**
 * The key a source's state is kept under.
 *
 * @since 0.1.0
 * @category keys
 */
export const sourceKey = (provider: string, account: string | null, workflow: string): string =>
  `${provider}/${account ?? "-"}/${workflow}`

const decode = Schema.decodeUnknownEither(State)

const V1Mark = Schema.Struct({
  status: Schema.String,
  terminal: Schema.Boolean,
  steps: Schema.Int,
  version: Schema.optional(Schema.NullOr(Schema.String))
})
const V1 = Schema.Struct({
  version: Schema.Literal(1),
  sources: Schema.Record({ key: Schema.String, value: Schema.Record({ key: Schema.String, value: V1Mark }) }),
  pending: Schema.NullOr(Schema.Struct({ output: Schema.String, bytes: Schema.Int, finished: Schema.Boolean, started_at: Schema.String }))
})
const decodeV1 = Schema.decodeUnknownEither(V1)

/**
 * A version-1 state as version 2. Its runs have no creation time, so the first export after
 * it lists every run (as version 1 did) and keeps only what version 2 keeps. An unfinished
 * export is dropped (the next one starts over: to a file nothing of it was committed, to
 * stdout its records are sent again); a finished one keeps only its final rename to do.
 *
 * @since 0.2.0
 * @category migration
 */
export const fromV1 = (v1: typeof V1.Type): State => {
  const sources: Record<string, SourceState> = {}
  for (const [key, runs] of Object.entries(v1.sources)) {
    const open: Record<string, RunMark> = {}
    const recent: Record<string, string | null> = {}
    for (const [id, mark] of Object.entries(runs)) {
      if (mark.terminal) recent[id] = null
      else open[id] = { status: mark.status, steps: mark.steps, version: mark.version ?? null, created: null }
    }
    sources[key] = { watermark: null, open, recent }
  }
  const p = v1.pending
  const pending = p !== null && p.finished && p.output !== "stdout"
    ? { output: p.output, bytes: p.bytes, sources: [], finished: true, started_at: p.started_at }
    : null
  return { version: VERSION, sources, pending }
}

const invalid = (file: string, detail: string) => new StateError({ path: file, reason: "invalid", detail })

const firstIssue = (file: string, error: ParseResult.ParseError) => {
  const issue = ParseResult.ArrayFormatter.formatErrorSync(error)[0]
  return invalid(file, `${issue?.path.join(".") ?? ""}: ${issue?.message ?? ""}`.replace(/\s+/g, " "))
}

/**
 * A state from its JSON text (a state file, or the value of a Singer `STATE` message).
 *
 * @since 0.2.0
 * @category decoding
 */
export const parse = (file: string, text: string): Either.Either<State, StateError> => {
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    return Either.left(invalid(file, "not valid JSON"))
  }
  const version = (json as { version?: unknown } | null)?.version
  if (version === 1) return Either.map(Either.mapLeft(decodeV1(json), (e) => firstIssue(file, e)), fromV1)
  if (typeof version === "number" && version !== VERSION) {
    return Either.left(invalid(file, `version ${version}; this steptrail reads versions 1 and ${VERSION}`))
  }
  return Either.mapLeft(decode(json), (e) => firstIssue(file, e))
}

/**
 * Reads the state file; a missing file is the empty state.
 *
 * @since 0.1.0
 * @category io
 */
export const load = (file: string): Effect.Effect<State, StateError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const text = yield* fs.readFileString(file).pipe(
      Effect.map((text): string | undefined => text),
      Effect.catchIf((e) => e._tag === "SystemError" && e.reason === "NotFound", () => Effect.succeed(undefined)),
      Effect.mapError((e) => new StateError({ path: file, reason: "read", detail: SystemError.describe(e, "no such file") }))
    )
    return text === undefined ? empty : yield* parse(file, text)
  })

/**
 * Replaces the state file atomically and durably, without blocking the event loop. A failed
 * save (a full disk) leaves the state file as it was and no temporary file beside it.
 *
 * @since 0.1.0
 * @category io
 */
export const save = (file: string, state: State): Effect.Effect<void, StateError, FileSystem.FileSystem> =>
  Effect.gen(function*() {
    const fs = yield* FileSystem.FileSystem
    const dir = path.dirname(path.resolve(file))
    const temp = path.join(dir, `.${path.basename(file)}.${process.pid}.tmp`)
    // the Schema has no transformations: the value is its own encoding
    const text = JSON.stringify(state) + "\n"
    yield* Effect.gen(function*() {
      yield* Effect.scoped(Effect.gen(function*() {
        const handle = yield* fs.open(temp, { flag: "w", mode: 0o600 })
        yield* handle.writeAll(Buffer.from(text, "utf8"))
        yield* handle.sync
      }))
      yield* fs.rename(temp, file)
    }).pipe(Effect.tapError(() => Effect.ignore(fs.remove(temp))))
    yield* Durable.syncDir(dir)
  }).pipe(Effect.mapError((e) => new StateError({ path: file, reason: "write", detail: SystemError.describe(e) })))

/**
 * Makes a rename in `dir` durable.
 *
 * @since 0.1.0
 * @category io
 * @deprecated not part of the state file's API (the state file and the file outputs share it internally); kept for callers of 0.1
 */
export const syncDir: (dir: string) => Effect.Effect<void, never, FileSystem.FileSystem> = Durable.syncDir
