/**
 * A local emulator of the Cloudflare Workflows, Arcee Orchestra and Onepin
 * APIs, on one 127.0.0.1 port. Tests, benchmarks and the demo run against it;
 * its bodies are written from the provider documents alone and share no code
 * with steptrail's clients, so a misreading cannot hide on both sides.
 *
 * @since 0.1.0
 */
import * as Context from "effect/Context"
import * as Effect from "effect/Effect"
import * as Either from "effect/Either"
import * as Layer from "effect/Layer"
import * as Schema from "effect/Schema"
import type * as Scope from "effect/Scope"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as Faults from "./Faults.js"
import type * as RateLimit from "./RateLimit.js"
import * as Clock from "./internal/clock.js"
import * as Cloudflare from "./internal/cloudflare.js"
import * as Onepin from "./internal/onepin.js"
import * as Orchestra from "./internal/orchestra.js"
import * as Server from "./internal/server.js"
import type * as Stats_ from "./internal/stats.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Default 0 (ephemeral). The emulator always binds 127.0.0.1. */
  readonly port?: number
  /** Default `steptrail-emulator-token`; one token is valid for all three providers. */
  readonly token?: string
  /** Default 1. All data is a pure function of (seed, options, virtual clock). */
  readonly seed?: number
  readonly cloudflare?: {
    /** Historic instances of the main workflow, default 150 (live ones come on top). */
    readonly instances?: number
    /** When set, every settled instance has exactly this many log entries (>= 1). */
    readonly steps?: number
    /** Approximate serialized size of large step outputs, default 2048 (> the 1024 preview cut). */
    readonly outputBytes?: number
    /** Live instances whose state follows the virtual clock, default 2. */
    readonly live?: number
    /** `/step` success body: the envelope (default), the bare result, or alternating per step. */
    readonly stepBody?: "envelope" | "flat" | "mixed"
  }
  readonly orchestra?: { readonly runs?: number; readonly live?: number }
  readonly onepin?: {
    readonly runs?: number
    readonly live?: number
    /** The workspace the token belongs to; default `7d0c5e2a-3b4f-4c61-9a8e-1f2d3c4b5a69`. */
    readonly workspaceId?: string
    /** When set, every Onepin request is answered 426 with `X-OnePin-Required-Version`. */
    readonly requiredVersion?: string
  }
  readonly faults?: Faults.Options
  /** Per provider and credential; see the RateLimit module. */
  readonly rateLimit?: RateLimit.Options
}

/**
 * The contract's startup line, plus `onepin.workspaceId` and `adminUrl`.
 *
 * @since 0.1.0
 * @category models
 */
export interface Info {
  readonly token: string
  readonly cloudflare: { readonly baseUrl: string; readonly accountId: string; readonly workflow: string }
  readonly orchestra: { readonly baseUrl: string; readonly workflow: string }
  readonly onepin: { readonly baseUrl: string; readonly workflow: string; readonly workspaceId: string }
  readonly adminUrl: string
}

/**
 * Request counts per provider and route (by status), 429s and injected faults.
 *
 * @since 0.1.0
 * @category models
 */
export type Stats = Stats_.Stats

/**
 * @since 0.1.0
 * @category models
 */
export interface Emulator {
  readonly info: Info
  /** Ids and step names of the seeded special cases. */
  readonly fixtures: Fixtures
  /** Moves the virtual clock forward (negative values are ignored). */
  readonly advance: (ms: number) => Effect.Effect<void>
  /** The virtual now, epoch milliseconds. */
  readonly now: Effect.Effect<number>
  readonly stats: Effect.Effect<Stats>
  readonly resetStats: Effect.Effect<void>
}

/**
 * @since 0.1.0
 * @category errors
 */
export class EmulatorError extends Schema.TaggedError<EmulatorError>()("EmulatorError", {
  reason: Schema.Literal("PortInUse", "ListenFailed", "InvalidOptions"),
  message: Schema.String
}) {}

/**
 * Defaults, exported so tests and docs name them rather than repeat them.
 *
 * @since 0.1.0
 * @category constants
 */
export const defaults = {
  token: "steptrail-emulator-token",
  seed: 1,
  cloudflare: { instances: 150, outputBytes: 2048, live: 2, stepBody: "envelope" as const, perPage: Cloudflare.DEFAULT_PER_PAGE },
  orchestra: { runs: 150, live: 2, limit: Orchestra.DEFAULT_LIMIT },
  onepin: { runs: 150, live: 2, workspaceId: Onepin.DEFAULT_WORKSPACE_ID, limit: Onepin.DEFAULT_LIMIT }
} as const

/**
 * The virtual clock's starting point, `2026-01-01T00:00:00.000Z`.
 *
 * @since 0.1.0
 * @category constants
 */
export const epoch: Date = new Date(Clock.EPOCH_MS)

/**
 * Workflow names and error codes the emulator uses.
 *
 * @since 0.1.0
 * @category constants
 */
export const constants = {
  cloudflare: {
    workflow: Cloudflare.MAIN_WORKFLOW,
    emptyWorkflow: Cloudflare.EMPTY_WORKFLOW,
    previewLimit: Cloudflare.PREVIEW_LIMIT,
    truncationMarker: Cloudflare.TRUNCATION_MARKER,
    redacted: Cloudflare.REDACTED,
    codes: Cloudflare.Codes
  }
} as const

const resolve = (options: Options): Either.Either<Server.Resolved, string> => {
  const seed = options.seed ?? defaults.seed
  const token = options.token ?? defaults.token
  const cf = options.cloudflare ?? {}
  const or = options.orchestra ?? {}
  const op = options.onepin ?? {}
  const count = (name: string, value: number | undefined, fallback: number, min = 0): number | string => {
    const v = value ?? fallback
    return Number.isInteger(v) && v >= min ? v : `${name} must be an integer >= ${min}`
  }
  const checks = {
    port: count("port", options.port, 0),
    instances: count("cloudflare.instances", cf.instances, defaults.cloudflare.instances),
    steps: cf.steps === undefined ? undefined : count("cloudflare.steps", cf.steps, 1, 1),
    outputBytes: count("cloudflare.outputBytes", cf.outputBytes, defaults.cloudflare.outputBytes, 1),
    cfLive: count("cloudflare.live", cf.live, defaults.cloudflare.live),
    orRuns: count("orchestra.runs", or.runs, defaults.orchestra.runs),
    orLive: count("orchestra.live", or.live, defaults.orchestra.live),
    opRuns: count("onepin.runs", op.runs, defaults.onepin.runs),
    opLive: count("onepin.live", op.live, defaults.onepin.live)
  }
  for (const v of Object.values(checks)) if (typeof v === "string") return Either.left(v)
  const n = checks as { [K in keyof typeof checks]: Exclude<(typeof checks)[K], string> }
  if (n.port > 65535) return Either.left("port must be <= 65535")
  if (!Number.isInteger(seed)) return Either.left("seed must be an integer")
  if (token === "") return Either.left("token must not be empty")
  const stepBody = cf.stepBody ?? defaults.cloudflare.stepBody
  if (!["envelope", "flat", "mixed"].includes(stepBody)) return Either.left("cloudflare.stepBody must be envelope, flat or mixed")
  const workspaceId = op.workspaceId ?? defaults.onepin.workspaceId
  const faults = Faults.validate(options.faults ?? {})
  if (Either.isLeft(faults)) return Either.left(faults.left)
  const rl = options.rateLimit
  if (rl !== undefined && !(Number.isInteger(rl.limit) && rl.limit >= 1 && rl.windowMs > 0)) {
    return Either.left("rateLimit needs an integer limit >= 1 and a positive windowMs")
  }
  return Either.right({
    port: n.port,
    seed,
    token,
    cloudflare: { seed, token, instances: n.instances, steps: n.steps, outputBytes: n.outputBytes, live: n.cfLive, stepBody },
    orchestra: { seed, token, runs: n.orRuns, live: n.orLive },
    onepin: { seed, token, runs: n.opRuns, live: n.opLive, workspaceId, requiredVersion: op.requiredVersion },
    faults: faults.right,
    rateLimit: rl
  })
}

/**
 * The ids and step names of the seeded special cases, as a pure function of
 * the options (no server needed). Entries are `null` when the configured data
 * is too small to hold them (fewer instances/runs than the fixture's index).
 *
 * @since 0.1.0
 * @category models
 */
export interface Fixtures {
  readonly cloudflare: {
    readonly accountId: string
    readonly workflow: string
    readonly emptyWorkflow: string
    /** Instance ids by fixture name; historic ordinals 0..10, oldest first. */
    readonly instances: { readonly [K in Cloudflare.FixtureName]: string | null }
    /** Step names inside `instances.showcase` (valid when `steps` is unset or >= 14). */
    readonly showcaseSteps: typeof Cloudflare.ShowcaseSteps
    /** `instances.errored`: the step that exhausted its retries and the rollbacks after it. */
    readonly erroredSteps: { readonly exhausted: string | null; readonly rollbacks: ReadonlyArray<string> } | null
    /** The in-flight step of `running`, `retrying`, `waitingForEvent`, `waitTimeout`, `waitingForPause`. */
    readonly inflightSteps: {
      readonly running: string | null
      readonly retrying: string | null
      readonly waitingForEvent: string | null
      readonly waitTimeout: string | null
      readonly waitingForPause: string | null
    }
    readonly live: ReadonlyArray<LiveRun>
  }
  readonly orchestra: {
    readonly workflow: string
    readonly emptyWorkflow: string
    readonly runs: { readonly seedLike: string | null; readonly failed: string | null; readonly multiModel: string | null }
    readonly failedNode: string | null
    readonly live: ReadonlyArray<LiveRun>
  }
  readonly onepin: {
    readonly workflow: string
    readonly emptyWorkflow: string
    readonly workspaceId: string
    readonly runs: { readonly iterations: string | null; readonly failed: string | null; readonly cancelled: string | null }
    /** Node ids of the loop body in `runs.iterations` (3 iterations each). */
    readonly iterationNodes: { readonly process: string; readonly save: string; readonly loop: string }
    readonly live: ReadonlyArray<LiveRun>
  }
}

/**
 * A live run: listed once the virtual clock reaches `createdAt`, terminal
 * (complete) once it reaches `settledAt` (both ISO).
 *
 * @since 0.1.0
 * @category models
 */
export interface LiveRun {
  readonly id: string
  readonly createdAt: string
  readonly settledAt: string
  /** True when it is listed at the epoch, false when it appears only after `advance`. */
  readonly visibleAtEpoch: boolean
}

const liveRun = (facts: { readonly id: string; readonly createdAt: number; readonly settledAt: number }): LiveRun => ({
  id: facts.id,
  createdAt: Clock.isoMillis(facts.createdAt),
  settledAt: Clock.isoMillis(facts.settledAt),
  visibleAtEpoch: facts.createdAt <= Clock.EPOCH_MS
})

const fixturesOf = (r: Server.Resolved): Fixtures => {
  const cf = r.cloudflare
  const cfFacts = (o: number) => (o < cf.instances ? Cloudflare.planFacts(cf, o) : null)
  const cfId = (o: number) => (o < cf.instances ? Cloudflare.instanceId(cf, o) : null)
  const instances = {} as { [K in Cloudflare.FixtureName]: string | null }
  for (const [name, o] of Object.entries(Cloudflare.Fixture)) instances[name as Cloudflare.FixtureName] = cfId(o)
  const errored = cfFacts(Cloudflare.Fixture.errored)
  const or = r.orchestra
  const orId = (o: number) => (o < or.runs ? Orchestra.runId(or, o) : null)
  const op = r.onepin
  const opId = (o: number) => (o < op.runs ? Onepin.runId(op, o) : null)
  const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i)
  return {
    cloudflare: {
      accountId: Cloudflare.accountIdOf(r.seed),
      workflow: Cloudflare.MAIN_WORKFLOW,
      emptyWorkflow: Cloudflare.EMPTY_WORKFLOW,
      instances,
      showcaseSteps: Cloudflare.ShowcaseSteps,
      erroredSteps: errored === null ? null : { exhausted: errored.failedStep, rollbacks: errored.rollbacks },
      inflightSteps: {
        running: cfFacts(Cloudflare.Fixture.running)?.lastStep ?? null,
        retrying: cfFacts(Cloudflare.Fixture.retrying)?.lastStep ?? null,
        waitingForEvent: cfFacts(Cloudflare.Fixture.waitingForEvent)?.lastStep ?? null,
        waitTimeout: cfFacts(Cloudflare.Fixture.waitTimeout)?.lastStep ?? null,
        waitingForPause: cfFacts(Cloudflare.Fixture.waitingForPause)?.lastStep ?? null
      },
      live: range(cf.instances, cf.live).map((o) => liveRun(Cloudflare.planFacts(cf, o)))
    },
    orchestra: {
      workflow: Orchestra.workflowIds(r.seed).main,
      emptyWorkflow: Orchestra.workflowIds(r.seed).empty,
      runs: { seedLike: orId(Orchestra.Fixture.seedLike), failed: orId(Orchestra.Fixture.failed), multiModel: orId(Orchestra.Fixture.multiModel) },
      failedNode: or.runs > Orchestra.Fixture.failed ? Orchestra.planFacts(or, Orchestra.Fixture.failed).failedNode : null,
      live: range(or.runs, or.live).map((o) => liveRun(Orchestra.planFacts(or, o)))
    },
    onepin: {
      workflow: Onepin.workflowIds(r.seed).main,
      emptyWorkflow: Onepin.workflowIds(r.seed).empty,
      workspaceId: op.workspaceId,
      runs: { iterations: opId(Onepin.Fixture.iterations), failed: opId(Onepin.Fixture.failed), cancelled: opId(Onepin.Fixture.cancelled) },
      iterationNodes: {
        process: Onepin.nodeIdFor(r.seed, "process")!,
        save: Onepin.nodeIdFor(r.seed, "save")!,
        loop: Onepin.nodeIdFor(r.seed, "loop")!
      },
      live: range(op.runs, op.live).map((o) => liveRun(Onepin.planFacts(op, o)))
    }
  }
}

/**
 * The fixtures an emulator started with these options will serve.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fixtures = (options: Options = {}): Fixtures => {
  const resolved = resolve(options)
  if (Either.isLeft(resolved)) throw new Error(resolved.left)
  return fixturesOf(resolved.right)
}

const infoOf = (r: Server.Resolved, port: number): Info => {
  const origin = `http://127.0.0.1:${port}`
  return {
    token: r.token,
    cloudflare: {
      baseUrl: `${origin}/${Server.PREFIX.cloudflare.join("/")}`,
      accountId: Cloudflare.accountIdOf(r.seed),
      workflow: Cloudflare.MAIN_WORKFLOW
    },
    orchestra: { baseUrl: `${origin}/${Server.PREFIX.orchestra.join("/")}`, workflow: Orchestra.workflowIds(r.seed).main },
    onepin: {
      baseUrl: `${origin}/${Server.PREFIX.onepin.join("/")}`,
      workflow: Onepin.workflowIds(r.seed).main,
      workspaceId: r.onepin.workspaceId
    },
    adminUrl: `${origin}/${Server.ADMIN_PREFIX}`
  }
}

/**
 * Starts the emulator; it is listening when the effect succeeds and closed
 * (connections included) when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const start = (options: Options = {}): Effect.Effect<Emulator, EmulatorError, Scope.Scope> =>
  Effect.gen(function*() {
    const resolved = resolve(options)
    if (Either.isLeft(resolved)) return yield* new EmulatorError({ reason: "InvalidOptions", message: resolved.left })
    const r = resolved.right
    let info: Info | undefined
    const fixtures = fixturesOf(r)
    const server = Server.make(r, { info: () => info, fixtures: () => fixtures })
    const node = yield* Effect.acquireRelease(
      Effect.async<http.Server, EmulatorError>((resume) => {
        const s = http.createServer({ keepAlive: true }, server.listener)
        s.keepAliveTimeout = 65_000
        s.headersTimeout = 66_000
        const onError = (error: NodeJS.ErrnoException) =>
          resume(
            Effect.fail(
              new EmulatorError({
                reason: error.code === "EADDRINUSE" ? "PortInUse" : "ListenFailed",
                message: error.code === "EADDRINUSE" ? `port ${r.port} is already in use` : error.message
              })
            )
          )
        s.once("error", onError)
        s.listen(r.port, "127.0.0.1", () => {
          s.off("error", onError)
          resume(Effect.succeed(s))
        })
      }),
      (s) =>
        Effect.async<void>((resume) => {
          s.close(() => resume(Effect.void))
          s.closeAllConnections()
        })
    )
    const port = (node.address() as AddressInfo).port
    info = infoOf(r, port)
    return {
      info,
      fixtures,
      advance: (ms: number) =>
        Effect.sync(() => {
          if (ms > 0) server.clock.offsetMs += ms
        }),
      now: Effect.sync(() => Clock.now(server.clock)),
      stats: Effect.sync(() => server.counters.snapshot(Faults.kinds)),
      resetStats: Effect.sync(() => server.counters.reset())
    }
  })

/**
 * @since 0.1.0
 * @category tags
 */
export class EmulatorTag extends Context.Tag("@steptrail/emulator/Emulator")<EmulatorTag, Emulator>() {}

/**
 * A layer running an emulator for the layer's lifetime.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: Options = {}): Layer.Layer<EmulatorTag, EmulatorError> =>
  Layer.scoped(EmulatorTag, start(options))

/**
 * The one JSON line `steptrail emulator` prints once listening: the contract's
 * keys first (`token`, `cloudflare`, `orchestra`, `onepin`), then the extras.
 *
 * @since 0.1.0
 * @category formatting
 */
export const startupLine = (info: Info): string =>
  JSON.stringify({
    token: info.token,
    cloudflare: { baseUrl: info.cloudflare.baseUrl, accountId: info.cloudflare.accountId, workflow: info.cloudflare.workflow },
    orchestra: { baseUrl: info.orchestra.baseUrl, workflow: info.orchestra.workflow },
    onepin: { baseUrl: info.onepin.baseUrl, workflow: info.onepin.workflow, workspaceId: info.onepin.workspaceId },
    adminUrl: info.adminUrl
  })
