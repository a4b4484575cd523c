/**
 * The emulator's options checked and filled with defaults, once, before the
 * server starts (and for `Emulator.fixtures`, which needs no server).
 *
 * @internal
 */
import * as Either from "effect/Either"
import * as Faults from "../Faults.js"
import * as Latency from "../Latency.js"
import type * as RateLimit from "../RateLimit.js"
import * as Storm from "../Storm.js"
import * as Clock from "./clock.js"
import type * as Cloudflare from "./cloudflare/model.js"
import * as CloudflareModel from "./cloudflare/model.js"
import type * as Onepin from "./onepin/plan.js"
import * as OnepinPlan from "./onepin/plan.js"
import type * as Orchestra from "./orchestra/plan.js"
import * as OrchestraPlan from "./orchestra/plan.js"
import type * as Temporal from "./temporal/model.js"
import * as TemporalModel from "./temporal/model.js"

/** The emulator's options (`Emulator.Options`, declared here so that this module does not import the public one). */
export interface Options {
  /** Default 0 (ephemeral). The emulator always binds 127.0.0.1. */
  readonly port?: number
  /** Default `steptrail-emulator-token`; valid for every provider. */
  readonly token?: string
  /** More tokens, each valid for every provider like `token` (credential labels `"1"`, `"2"`, ...). */
  readonly tokens?: ReadonlyArray<string>
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
  readonly temporal?: {
    /** Historic `OrderWorkflow` runs, default 150 (their children and continuations come on top). */
    readonly runs?: number
    /** Live runs whose history grows with the virtual clock, default 2. */
    readonly live?: number
    /** The one namespace served, default `steptrail-emulator.a1b2c`. */
    readonly namespace?: string
    /** `required` (default): a Bearer API key, like Temporal Cloud; `none`: no check, like a local dev server. */
    readonly auth?: "required" | "none"
  }
  readonly faults?: Faults.Options
  /** Per provider and credential; see the RateLimit module. */
  readonly rateLimit?: RateLimit.Options
  /** A delay before every provider answer; see the Latency module. */
  readonly latency?: Latency.Options
  /** A period of 429s for every provider request; see the Storm module. */
  readonly storm?: Storm.Options
  /** Virtual milliseconds the clock runs per real millisecond from startup, on top of `advance`; default 0 (still). */
  readonly clockSpeed?: number
  /** The real time the server paces itself by (rate limit, storm, latency, slow faults, clock speed); default the process's. */
  readonly wallClock?: Clock.WallClock
}


export interface Resolved {
  readonly port: number
  readonly seed: number
  /** `token` first, then the extra tokens. */
  readonly tokens: ReadonlyArray<string>
  readonly cloudflare: Cloudflare.Config
  readonly orchestra: Orchestra.Config
  readonly onepin: Onepin.Config
  readonly temporal: Temporal.Config
  readonly faults: Faults.Options
  readonly rateLimit: RateLimit.Options | undefined
  readonly latency: Latency.Options | undefined
  readonly storm: Storm.Options | undefined
  readonly clockSpeed: number
  readonly wallClock: Clock.WallClock
}

export const defaults = {
  token: "steptrail-emulator-token",
  seed: 1,
  cloudflare: { instances: 150, outputBytes: 2048, live: 2, stepBody: "envelope" as const, perPage: CloudflareModel.DEFAULT_PER_PAGE },
  orchestra: { runs: 150, live: 2, limit: OrchestraPlan.DEFAULT_LIMIT },
  onepin: { runs: 150, live: 2, workspaceId: OnepinPlan.DEFAULT_WORKSPACE_ID, limit: OnepinPlan.DEFAULT_LIMIT },
  temporal: {
    runs: 150,
    live: 2,
    namespace: TemporalModel.DEFAULT_NAMESPACE,
    auth: "required" as const,
    pageSize: TemporalModel.DEFAULT_PAGE_SIZE,
    historyPageSize: TemporalModel.DEFAULT_HISTORY_PAGE_SIZE
  }
} as const

const checkTokens = (token: string, extra: ReadonlyArray<string>): Either.Either<ReadonlyArray<string>, string> => {
  const tokens = [token, ...extra]
  if (tokens.some((t) => typeof t !== "string" || t === "")) return Either.left("tokens must not be empty")
  if (new Set(tokens).size !== tokens.length) return Either.left("tokens must be distinct (and differ from token)")
  return Either.right(tokens)
}

const checkTiming = (options: Options) => {
  const rl = options.rateLimit
  if (rl !== undefined && !(Number.isInteger(rl.limit) && rl.limit >= 1 && rl.windowMs > 0)) {
    return Either.left("rateLimit needs an integer limit >= 1 and a positive windowMs")
  }
  const latency = options.latency === undefined ? Either.right(undefined) : Latency.validate(options.latency)
  if (Either.isLeft(latency)) return Either.left(latency.left)
  const storm = options.storm === undefined ? Either.right(undefined) : Storm.validate(options.storm)
  if (Either.isLeft(storm)) return Either.left(storm.left)
  const clockSpeed = options.clockSpeed ?? 0
  if (!(Number.isFinite(clockSpeed) && clockSpeed >= 0)) return Either.left("clockSpeed must be a finite number >= 0")
  return Either.right({ rateLimit: rl, latency: latency.right, storm: storm.right, clockSpeed })
}

export const resolve = (options: Options): Either.Either<Resolved, string> => {
  const seed = options.seed ?? defaults.seed
  const cf = options.cloudflare ?? {}
  const or = options.orchestra ?? {}
  const op = options.onepin ?? {}
  const tm = options.temporal ?? {}
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
    opLive: count("onepin.live", op.live, defaults.onepin.live),
    tmRuns: count("temporal.runs", tm.runs, defaults.temporal.runs),
    tmLive: count("temporal.live", tm.live, defaults.temporal.live)
  }
  for (const v of Object.values(checks)) if (typeof v === "string") return Either.left(v)
  const n = checks as { [K in keyof typeof checks]: Exclude<(typeof checks)[K], string> }
  if (n.port > 65535) return Either.left("port must be <= 65535")
  if (!Number.isInteger(seed)) return Either.left("seed must be an integer")
  if ((options.token ?? defaults.token) === "") return Either.left("token must not be empty")
  const tokenList = checkTokens(options.token ?? defaults.token, options.tokens ?? [])
  if (Either.isLeft(tokenList)) return Either.left(tokenList.left)
  const stepBody = cf.stepBody ?? defaults.cloudflare.stepBody
  if (!["envelope", "flat", "mixed"].includes(stepBody)) return Either.left("cloudflare.stepBody must be envelope, flat or mixed")
  const auth = tm.auth ?? defaults.temporal.auth
  if (auth !== "required" && auth !== "none") return Either.left("temporal.auth must be required or none")
  const namespace = tm.namespace ?? defaults.temporal.namespace
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$/.test(namespace)) return Either.left("temporal.namespace must be letters, digits, '.', '_' or '-'")
  const faults = Faults.validate(options.faults ?? {})
  if (Either.isLeft(faults)) return Either.left(faults.left)
  const timing = checkTiming(options)
  if (Either.isLeft(timing)) return Either.left(timing.left)
  const tokens = new Set(tokenList.right)
  return Either.right({
    port: n.port,
    seed,
    tokens: tokenList.right,
    cloudflare: { seed, tokens, instances: n.instances, steps: n.steps, outputBytes: n.outputBytes, live: n.cfLive, stepBody },
    orchestra: { seed, tokens, runs: n.orRuns, live: n.orLive },
    onepin: {
      seed,
      tokens,
      runs: n.opRuns,
      live: n.opLive,
      workspaceId: op.workspaceId ?? defaults.onepin.workspaceId,
      requiredVersion: op.requiredVersion
    },
    temporal: { seed, tokens, runs: n.tmRuns, live: n.tmLive, namespace, auth },
    faults: faults.right,
    ...timing.right,
    wallClock: options.wallClock ?? Clock.system
  })
}
