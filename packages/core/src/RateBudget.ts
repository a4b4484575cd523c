/**
 * A provider's request budget, shared by every fiber that uses one credential.
 *
 * A sliding-window log: a request may start only when fewer than `limit` requests started in
 * the last `window`. Unlike a token bucket or a fixed window, it can never exceed the budget
 * in any window however the server aligns its own, so a budget the server enforces the same
 * way is used fully with no 429. A 429 pauses every request until its `Retry-After` passed.
 *
 * Budgets belong to the credential, not to a provider instance: `Registry` hands out one
 * budget per provider, API host and credential, so two sources (or two layers) on one token
 * share it.
 *
 * @since 0.1.0
 */
import { Context, Duration, Effect, Hash, Layer, Metric, Option, RcMap, type Scope } from "effect"
import * as Metrics from "./Metrics.js"
import * as Timestamp from "./Timestamp.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Budget {
  readonly limit: number
  readonly window: Duration.Duration
}

/**
 * What a progress display reads: how the budget holds requests back right now.
 *
 * @since 0.1.0
 * @category models
 */
export interface Status {
  readonly budget: Budget | undefined
  /** Requests waiting for their turn. */
  readonly queued: number
  /** When the first of them may start (epoch millis); null when none is held back. */
  readonly nextAt: number | null
  /** Total time requests were held back (by the budget or a 429 pause), in milliseconds, the wait under way included. */
  readonly waitedMillis: number
  /** Of that, the time held back by 429 pauses. */
  readonly pausedMillis: number
  /** Requests started so far. */
  readonly started: number
  /** Until when a 429 pauses every request (epoch millis; in the past when none does). */
  readonly pausedUntil: number
}

/**
 * @since 0.1.0
 * @category models
 */
export interface RateBudget {
  readonly budget: Budget | undefined
  /**
   * Waits until a request may start, then counts it. Run the returned function's effect when
   * the answer arrives: the request is then counted from that later instant. With `true`, the
   * request was abandoned in flight (interrupted): a server may still count it after the
   * abort, so it is counted from `ABANDONED` after now.
   */
  readonly take: Effect.Effect<(abandoned?: boolean) => Effect.Effect<void>>
  /** Holds every request back for `millis` (a 429's `Retry-After`). */
  readonly pause: (millis: number) => Effect.Effect<void>
  readonly status: Effect.Effect<Status>
  /**
   * The log as it stands: when each of the last `limit` requests started (or was answered),
   * and the 429 pause. What a process hands to the next one that uses the credential.
   */
  readonly snapshot: Effect.Effect<Snapshot>
  /**
   * Counts the requests of a snapshot taken elsewhere (another process that used the
   * credential) as if made here: the newest `limit` of both logs are kept (a time both hold,
   * as often as the one holding it more often), the later pause wins.
   */
  readonly restore: (snapshot: Snapshot) => Effect.Effect<void>
}

/**
 * A budget's log, as `snapshot` gives it and `restore` takes it (epoch milliseconds).
 *
 * @since 0.4.0
 * @category models
 */
export interface Snapshot {
  /** Start (or answer) times of the last requests, oldest first. */
  readonly starts: ReadonlyArray<number>
  readonly pausedUntil: number
}

/**
 * A request counts from when its answer arrived, by which time the server has counted it;
 * this small slack per window only covers clock granularity.
 *
 * @since 0.1.0
 * @category constants
 */
export const SLACK = Duration.millis(10)

/**
 * How long after an abort a request abandoned in flight still counts: the server may have it
 * queued (read, not yet answered) and count it when it gets to it.
 *
 * @since 0.4.0
 * @category constants
 */
export const ABANDONED = Duration.seconds(1)

/**
 * Cloudflare's documented budget: 1,200 requests per 5 minutes per token.
 *
 * @since 0.1.0
 * @category constants
 */
export const cloudflare: Budget = { limit: 1200, window: Duration.minutes(5) }

/**
 * A budget; without a `Budget` it never waits (the 429 pause still applies).
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (budget: Budget | undefined): Effect.Effect<RateBudget> => Effect.sync(() => unsafeMake(budget))

const unsafeMake = (budget: Budget | undefined): RateBudget => {
  const lock = Effect.unsafeMakeSemaphore(1)
  const limit = budget?.limit ?? 0
  const windowMs = budget ? Duration.toMillis(budget.window) + Duration.toMillis(SLACK) : 0
  // ring of the times of the last `limit` requests: when each started, then when it was answered
  const starts: Array<number> = []
  let head = 0
  let pausedUntil = 0
  let queued = 0
  let nextAt: number | null = null
  let waitedMillis = 0
  let pausedMillis = 0
  let started = 0
  // the wait under way: since when, and until when a 429 pause explains it
  let sleepingSince: number | null = null
  let sleepingPaused = 0

  // The lock holder is the only fiber that sleeps here, so its sleeps add up to the wall
  // time during which the budget held requests back.
  const waitTurn: Effect.Effect<number> = Effect.gen(function*() {
    for (;;) {
      const now = yield* Effect.clockWith((c) => c.currentTimeMillis)
      const paused = pausedUntil
      let until = paused
      if (limit > 0 && starts.length === limit) until = Math.max(until, starts[head]! + windowMs)
      if (until <= now) {
        nextAt = null
        started++
        if (limit === 0) return -1
        if (starts.length < limit) return starts.push(now) - 1
        const slot = head
        starts[slot] = now
        head = (head + 1) % limit
        return slot
      }
      nextAt = until
      sleepingSince = now
      sleepingPaused = Math.min(paused, until)
      yield* Effect.sleep(Duration.millis(until - now)).pipe(Effect.ensuring(Effect.sync(() => {
        sleepingSince = null
      })))
      waitedMillis += until - now
      if (paused > now) pausedMillis += Math.min(paused, until) - now
    }
  })

  const settle = (slot: number) => (abandoned?: boolean) =>
    slot < 0 ? Effect.void : Effect.clockWith((c) =>
      c.currentTimeMillis.pipe(Effect.map((now) => {
        starts[slot] = Math.max(starts[slot]!, now + (abandoned === true ? Duration.toMillis(ABANDONED) : 0))
      }))
    )

  return {
    budget,
    take: Effect.suspend(() => {
      queued++
      return Metric.incrementBy(Metrics.waiting, 1).pipe(
        Effect.zipRight(lock.withPermits(1)(waitTurn)),
        Effect.ensuring(Effect.zipRight(
          Effect.sync(() => {
            queued--
            if (queued === 0) nextAt = null
          }),
          Metric.incrementBy(Metrics.waiting, -1)
        )),
        Effect.map(settle)
      )
    }),
    pause: (millis) =>
      Effect.clockWith((c) => c.currentTimeMillis).pipe(
        Effect.map((now) => {
          pausedUntil = Math.max(pausedUntil, now + Math.max(0, millis))
        })
      ),
    snapshot: Effect.sync(() => ({ starts: [...starts.slice(head), ...starts.slice(0, head)], pausedUntil })),
    restore: (snapshot) =>
      lock.withPermits(1)(Effect.sync(() => {
        pausedUntil = Math.max(pausedUntil, snapshot.pausedUntil)
        if (limit === 0) return
        // each request once: a time in both logs counts as often as the log holding it more
        // often does, so a budget given back its own snapshot (the credential returned to the
        // process that held it) is unchanged
        const counts = new Map<number, number>()
        for (const t of starts) counts.set(t, (counts.get(t) ?? 0) + 1)
        const theirs = new Map<number, number>()
        for (const t of snapshot.starts) if (Number.isFinite(t)) theirs.set(t, (theirs.get(t) ?? 0) + 1)
        for (const [t, n] of theirs) counts.set(t, Math.max(counts.get(t) ?? 0, n))
        const merged = [...counts].flatMap(([t, n]) => Array.from({ length: n }, () => t)).sort((a, b) => a - b).slice(-limit)
        starts.length = 0
        starts.push(...merged)
        // oldest first: the next to be replaced is at 0. A request in flight may now settle
        // another slot than its own, which only ever makes the log later (stricter)
        head = 0
      })),
    // a progress display reads the wait under way too, so a long pause counts while it lasts
    status: Effect.clockWith((c) =>
      c.currentTimeMillis.pipe(Effect.map((now) => {
        const since = sleepingSince
        const waited = since === null ? 0 : Math.max(0, now - since)
        const paused = since === null ? 0 : Math.max(0, Math.min(now, sleepingPaused) - since)
        return { budget, queued, nextAt, waitedMillis: waitedMillis + waited, pausedMillis: pausedMillis + paused, started, pausedUntil }
      }))
    )
  } satisfies RateBudget
}

/**
 * Who a budget belongs to. The credential is never kept: only a hash of it, so a key can be
 * logged or compared without carrying the secret.
 *
 * @since 0.1.0
 * @category models
 */
export interface Key {
  readonly provider: string
  /** The API host (`api.cloudflare.com`), port included where not the default. */
  readonly host: string
  /** `hashCredential(secret)`. */
  readonly credential: string
}

/**
 * A short, stable, non-reversible label of a credential.
 *
 * @since 0.1.0
 * @category keys
 */
export const hashCredential = (secret: string): string =>
  (Hash.string(secret) >>> 0).toString(16).padStart(8, "0") +
  (Hash.string(`${secret.length}:${secret}`) >>> 0).toString(16).padStart(8, "0")

const keyString = (key: Key) => `${key.provider} ${key.host} ${key.credential}`

/**
 * A budget as a registry lists it.
 *
 * @since 0.1.0
 * @category models
 */
export interface Entry {
  readonly key: Key
  readonly budget: RateBudget
}

/**
 * One budget per key, shared by everything that asks with that key. The first to ask sets
 * the limit; a later request with another limit gets the existing budget (and a warning).
 *
 * @since 0.1.0
 * @category models
 */
export interface Registry {
  readonly get: (key: Key, budget: Budget | undefined) => Effect.Effect<RateBudget, never, Scope.Scope>
  /** Every budget in use, for progress displays. */
  readonly entries: Effect.Effect<ReadonlyArray<Entry>>
}

const sameBudget = (a: Budget | undefined, b: Budget | undefined) =>
  a === b || (a !== undefined && b !== undefined && a.limit === b.limit && Duration.equals(a.window, b.window))

/**
 * Describes a budget as flags write it: `1200/5m`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (budget: Budget | undefined): string => {
  if (budget === undefined) return "unlimited"
  const ms = Duration.toMillis(budget.window)
  const unit = ms % 3_600_000 === 0 ? [3_600_000, "h"] : ms % 60_000 === 0 ? [60_000, "m"] : ms % 1000 === 0 ? [1000, "s"] : [1, "ms"]
  return `${budget.limit}/${ms / (unit[0] as number)}${unit[1]}`
}

const warnMismatch = (key: Key, asked: Budget | undefined, kept: Budget | undefined) =>
  sameBudget(asked, kept) ? Effect.void : Effect.logWarning(
    `${key.provider}: a budget of ${format(asked)} was asked for a credential that already has ${format(kept)}; keeping ${format(kept)}`
  )

/**
 * A registry that lives as long as the process: what every provider uses unless a program
 * provides its own (`layer`).
 *
 * @since 0.1.0
 * @category constructors
 */
export const unsafeMakeGlobal = (): Registry => {
  const budgets = new Map<string, Entry>()
  return {
    get: (key, budget) =>
      Effect.suspend(() => {
        const known = budgets.get(keyString(key))
        if (known !== undefined) return Effect.as(warnMismatch(key, budget, known.budget.budget), known.budget)
        const made = unsafeMake(budget)
        budgets.set(keyString(key), { key, budget: made })
        return Effect.succeed(made)
      }),
    entries: Effect.sync(() => [...budgets.values()])
  }
}

/**
 * The budgets of a program. By default one registry for the whole process, so any two
 * provider layers built with one credential share a budget; `layer` gives a program (or a
 * test) its own.
 *
 * @since 0.1.0
 * @category tags
 */
export class Budgets extends Context.Reference<Budgets>()("@steptrail/core/RateBudget/Budgets", {
  defaultValue: unsafeMakeGlobal
}) {}

/**
 * A scoped registry: a budget lives while some provider holds it, and `idleTimeToLive` after.
 *
 * @since 0.1.0
 * @category layers
 */
export const layer = (options: { readonly idleTimeToLive?: Duration.DurationInput } = {}): Layer.Layer<Budgets> =>
  Layer.scoped(
    Budgets,
    Effect.gen(function*() {
      const limits = new Map<string, Budget | undefined>()
      const live = new Map<string, Entry>()
      const map = yield* RcMap.make({
        lookup: (k: string) =>
          Effect.acquireRelease(
            make(limits.get(k)),
            () => Effect.sync(() => live.delete(k))
          ),
        idleTimeToLive: options.idleTimeToLive ?? Duration.minutes(10)
      })
      return {
        get: (key, budget) =>
          Effect.gen(function*() {
            const k = keyString(key)
            if (limits.has(k)) yield* warnMismatch(key, budget, limits.get(k))
            else limits.set(k, budget)
            const made = yield* RcMap.get(map, k)
            live.set(k, { key, budget: made })
            return made
          }),
        entries: Effect.sync(() => [...live.values()])
      } satisfies Registry
    })
  )

/**
 * The budget of a key from the program's registry.
 *
 * @since 0.1.0
 * @category accessors
 */
export const get = (key: Key, budget: Budget | undefined): Effect.Effect<RateBudget, never, Scope.Scope> =>
  Effect.flatMap(Budgets, (registry) => registry.get(key, budget))

/**
 * One line for a summary: how long a budget held the export back, or undefined if it never did.
 *
 * @since 0.1.0
 * @category formatting
 */
export const formatWaited = (status: Status): string | undefined => {
  if (status.waitedMillis < 1000) return undefined
  const waited = Timestamp.formatDuration(status.waitedMillis)
  if (status.budget === undefined) return `waited ${waited} for the provider's 429 pauses`
  const paused = status.pausedMillis >= 1000 ? `, ${Timestamp.formatDuration(status.pausedMillis)} of it paused by 429s` : ""
  return `waited ${waited} for the rate budget (${format(status.budget)})${paused}`
}

const units: Record<string, number> = { ms: 1, s: 1000, sec: 1000, m: 60_000, min: 60_000, h: 3_600_000 }

/**
 * Parses `N/DURATION`, e.g. `1200/5m`, `100/5s`, `10/s`.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (text: string): Option.Option<Budget> => {
  const m = /^\s*(\d+)\s*\/\s*(\d+(?:\.\d+)?)?\s*(ms|s|sec|m|min|h)\s*$/.exec(text)
  if (m === null) return Option.none()
  const limit = Number(m[1])
  const amount = m[2] === undefined ? 1 : Number(m[2])
  const ms = amount * units[m[3]!]!
  if (!Number.isSafeInteger(limit) || limit < 1 || !(ms > 0)) return Option.none()
  return Option.some({ limit, window: Duration.millis(ms) })
}
