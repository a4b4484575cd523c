/**
 * A local emulator of the Cloudflare Workflows, Arcee Orchestra, Onepin and
 * Temporal (HTTP) APIs, on one 127.0.0.1 port. Tests, benchmarks and the demo run against it;
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
import * as Clock from "./internal/clock.js"
import { accountIdOf, Codes } from "./internal/cloudflare/bodies.js"
import * as Cloudflare from "./internal/cloudflare/model.js"
import type * as Credentials from "./internal/credentials.js"
import * as Fixtures_ from "./internal/fixtures.js"
import * as Onepin from "./internal/onepin/plan.js"
import * as Options_ from "./internal/options.js"
import * as Orchestra from "./internal/orchestra/plan.js"
import * as Server from "./internal/server.js"
import * as Temporal from "./internal/temporal/model.js"
import type * as Stats_ from "./internal/stats.js"

/**
 * @since 0.1.0
 * @category models
 */
export type Options = Options_.Options

/**
 * Real time as the emulator sees it. Tests pass a manual one to step time
 * without waiting.
 *
 * @since 0.1.0
 * @category models
 */
export type WallClock = Clock.WallClock

/**
 * The contract's startup line, plus `onepin.workspaceId`, `adminUrl` and
 * every accepted token.
 *
 * @since 0.1.0
 * @category models
 */
export interface Info {
  readonly token: string
  readonly cloudflare: { readonly baseUrl: string; readonly accountId: string; readonly workflow: string }
  readonly orchestra: { readonly baseUrl: string; readonly workflow: string }
  readonly onepin: { readonly baseUrl: string; readonly workflow: string; readonly workspaceId: string }
  /** `baseUrl` is the HTTP API's address: paths go on with `/api/v1/namespaces/{namespace}/...`; `workflow` is a workflow type. */
  readonly temporal: { readonly baseUrl: string; readonly namespace: string; readonly workflow: string }
  readonly adminUrl: string
  /** `token`, then the extra tokens; a credential's label is its index here. */
  readonly tokens: ReadonlyArray<string>
}

/**
 * Request counts per provider and route (by status), 429s, injected faults,
 * and per-credential counts.
 *
 * @since 0.1.0
 * @category models
 */
export type Stats = Stats_.Stats

/**
 * What one credential did on one provider.
 *
 * @since 0.1.0
 * @category models
 */
export type CredentialStats = Credentials.CredentialStats

/**
 * @since 0.1.0
 * @category models
 */
export type ProviderName = Credentials.ProviderName

/**
 * Which requests `peakInWindow` counts: those the storm and the rate limit
 * let through, or every one that arrived.
 *
 * @since 0.1.0
 * @category models
 */
export type Counted = Credentials.Counted

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
  /**
   * The most requests a credential made to a provider within any window of
   * `windowMs` real milliseconds, counted when they arrived: those the storm
   * and the rate limit let through (default), or every one (`"arrived"`).
   * `credential` is a label (`"0"`, `"anonymous"`...), a token, or a token's
   * index in `info.tokens`. Since the last `resetStats`.
   */
  readonly peakInWindow: (
    provider: ProviderName,
    credential: string | number,
    windowMs: number,
    counted?: Counted
  ) => Effect.Effect<number>
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
export const defaults = Options_.defaults

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
    codes: Codes
  },
  temporal: {
    workflow: Temporal.MAIN_TYPE,
    childWorkflow: Temporal.CHILD_TYPE,
    emptyWorkflow: Temporal.EMPTY_TYPE,
    taskQueue: Temporal.TASK_QUEUE
  }
} as const

/**
 * The ids and step names of the seeded special cases, as a pure function of
 * the options (no server needed). Entries are `null` when the configured data
 * is too small to hold them (fewer instances/runs than the fixture's index).
 *
 * @since 0.1.0
 * @category models
 */
export type Fixtures = Fixtures_.Fixtures

/**
 * A live run: listed once the virtual clock reaches `createdAt`, terminal
 * (complete) once it reaches `settledAt` (both ISO).
 *
 * @since 0.1.0
 * @category models
 */
export type LiveRun = Fixtures_.LiveRun

/**
 * The fixtures an emulator started with these options will serve.
 *
 * @since 0.1.0
 * @category constructors
 */
export const fixtures = (options: Options = {}): Fixtures => {
  const resolved = Options_.resolve(options)
  if (Either.isLeft(resolved)) throw new Error(resolved.left)
  return Fixtures_.fixturesOf(resolved.right)
}

const infoOf = (r: Options_.Resolved, port: number): Info => {
  const origin = `http://127.0.0.1:${port}`
  return {
    token: r.tokens[0]!,
    cloudflare: {
      baseUrl: `${origin}/${Server.PREFIX.cloudflare.join("/")}`,
      accountId: accountIdOf(r.seed),
      workflow: Cloudflare.MAIN_WORKFLOW
    },
    orchestra: { baseUrl: `${origin}/${Server.PREFIX.orchestra.join("/")}`, workflow: Orchestra.workflowIds(r.seed).main },
    onepin: {
      baseUrl: `${origin}/${Server.PREFIX.onepin.join("/")}`,
      workflow: Onepin.workflowIds(r.seed).main,
      workspaceId: r.onepin.workspaceId
    },
    temporal: { baseUrl: `${origin}/${Server.PREFIX.temporal.join("/")}`, namespace: r.temporal.namespace, workflow: Temporal.MAIN_TYPE },
    adminUrl: `${origin}/${Server.ADMIN_PREFIX}`,
    tokens: r.tokens
  }
}

const listen = (port: number, listener: http.RequestListener): Effect.Effect<http.Server, EmulatorError, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<http.Server, EmulatorError>((resume) => {
      const s = http.createServer({ keepAlive: true }, listener)
      s.keepAliveTimeout = 65_000
      s.headersTimeout = 66_000
      const onError = (error: NodeJS.ErrnoException) =>
        resume(
          Effect.fail(
            new EmulatorError({
              reason: error.code === "EADDRINUSE" ? "PortInUse" : "ListenFailed",
              message: error.code === "EADDRINUSE" ? `port ${port} is already in use` : error.message
            })
          )
        )
      s.once("error", onError)
      s.listen(port, "127.0.0.1", () => {
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

/**
 * Starts the emulator; it is listening when the effect succeeds and closed
 * (connections and waiting answers included) when the scope closes.
 *
 * @since 0.1.0
 * @category constructors
 */
export const start = (options: Options = {}): Effect.Effect<Emulator, EmulatorError, Scope.Scope> =>
  Effect.gen(function*() {
    const resolved = Options_.resolve(options)
    if (Either.isLeft(resolved)) return yield* new EmulatorError({ reason: "InvalidOptions", message: resolved.left })
    const r = resolved.right
    let info: Info | undefined
    const fixtures = Fixtures_.fixturesOf(r)
    const server = Server.make(r, { info: () => info, fixtures: () => fixtures })
    yield* Effect.addFinalizer(() => Effect.sync(server.close))
    const node = yield* listen(r.port, server.listener)
    info = infoOf(r, (node.address() as AddressInfo).port)
    return {
      info,
      fixtures,
      advance: (ms: number) => Effect.sync(() => server.clock.advance(ms)),
      now: Effect.sync(() => server.clock.now()),
      stats: Effect.sync(() => server.stats()),
      resetStats: Effect.sync(() => server.resetStats()),
      peakInWindow: (provider, credential, windowMs, counted = "accepted") =>
        Effect.sync(() => server.peak(provider, credential, windowMs, counted))
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
 * keys first (`token`, `cloudflare`, `orchestra`, `onepin`, `temporal`), then the extras
 * (`tokens` only when there is more than one).
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
    temporal: { baseUrl: info.temporal.baseUrl, namespace: info.temporal.namespace, workflow: info.temporal.workflow },
    adminUrl: info.adminUrl,
    ...(info.tokens !== undefined && info.tokens.length > 1 ? { tokens: info.tokens } : {})
  })
