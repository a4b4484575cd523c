/**
 * A progress line: runs and steps done, rate, ETA where the total is known, retries so far
 * and requests held back by a rate budget. Drawn through the platform's `Terminal`.
 *
 * On a terminal the line is redrawn in place; elsewhere a plain line is printed every few
 * seconds, so logs of a cron job stay readable. Progress belongs on stderr (stdout carries
 * the records), and the platform's Node terminal displays on stdout, so `stderr` makes a
 * `Terminal` over a stream of your choice (standard error by default).
 *
 * @since 0.1.0
 */
import { Terminal } from "@effect/platform"
import { Metrics, RateBudget, Timestamp } from "@steptrail/core"
import { Clock, Duration, Effect, Exit, Mailbox, Metric, Schedule } from "effect"
import type * as Summary from "./Summary.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface Snapshot {
  readonly runs: number
  readonly steps: number
  readonly totalRuns: number | undefined
  readonly elapsedMillis: number
  readonly retries: number
  /** Requests sent so far (to estimate how many the remaining runs need). */
  readonly requests?: number | undefined
  /** The budget holding requests back now, if any; otherwise the budget in use, if it has a limit. */
  readonly budget?: BudgetSnapshot | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface BudgetSnapshot {
  readonly budget: RateBudget.Budget | undefined
  /** Until the next request may start; null when nothing is held back. */
  readonly nextInMillis: number | null
  /** Held back by a 429's pause rather than by the budget itself. */
  readonly paused: boolean
}

/**
 * The budget a progress line talks about: the one holding requests back longest, else one
 * with a limit.
 *
 * @since 0.1.0
 * @category constructors
 */
export const budgetSnapshot = (statuses: ReadonlyArray<RateBudget.Status>, now: number): BudgetSnapshot | undefined => {
  let best: BudgetSnapshot | undefined
  for (const status of statuses) {
    const nextInMillis = status.nextAt === null ? null : Math.max(0, status.nextAt - now)
    const snapshot = { budget: status.budget, nextInMillis, paused: status.pausedUntil > now }
    if (nextInMillis !== null && (best?.nextInMillis ?? -1) < nextInMillis) best = snapshot
    else if (best === undefined && status.budget !== undefined) best = snapshot
  }
  return best
}

/**
 * When the remaining runs can be done: when the budget allows the requests they need (the
 * remaining runs times the requests per run so far), and, while it does not hold them back,
 * no sooner than the rate so far.
 */
const etaMillis = (s: Snapshot, rate: number): number | undefined => {
  if (s.totalRuns === undefined || s.runs >= s.totalRuns) return undefined
  const left = s.totalRuns - s.runs
  const byRate = rate > 0 ? (left / rate) * 1000 : undefined
  const limit = s.budget?.budget
  if (limit === undefined || s.requests === undefined) return byRate
  const perRun = s.runs > 0 ? s.requests / s.runs : 1
  const requests = Math.ceil(left * perRun)
  const held = s.budget!.nextInMillis
  const byBudget = (held ?? 0) + (Math.ceil(requests / limit.limit) - 1) * Duration.toMillis(limit.window)
  // while the budget holds requests back, the rate so far (waits included) says nothing more
  return held !== null ? byBudget : Math.max(byRate ?? 0, byBudget)
}

const seconds = Timestamp.formatDuration

/**
 * @since 0.1.0
 * @category formatting
 */
export const format = (s: Snapshot): string => {
  const rate = s.elapsedMillis > 0 ? (s.runs * 1000) / s.elapsedMillis : 0
  const runs = s.totalRuns === undefined ? `${s.runs} runs` : `${s.runs}/${s.totalRuns} runs`
  const parts = [runs]
  const held = s.budget?.nextInMillis
  if (held != null) {
    const why = s.budget!.paused ? "paused by a 429 from the provider" : `waiting for the rate budget (${RateBudget.format(s.budget!.budget)})`
    parts.push(`${why}, next request in ${seconds(held)}`)
  } else {
    parts.push(`${s.steps} steps`, `${rate.toFixed(1)} runs/s`)
  }
  const eta = etaMillis(s, rate)
  if (eta !== undefined) parts.push(`ETA ${seconds(eta)}`)
  parts.push(`elapsed ${seconds(s.elapsedMillis)}`)
  if (s.retries > 0) parts.push(`${s.retries} retries`)
  return parts.join(" · ")
}

/**
 * A `Terminal` that displays on `stream` (standard error by default). It reads nothing: its
 * input ends at once.
 *
 * @since 0.2.0
 * @category constructors
 */
export const stderr = (stream: NodeJS.WritableStream & { readonly isTTY?: boolean; readonly columns?: number; readonly rows?: number } = process.stderr): Terminal.Terminal =>
  Terminal.Terminal.of({
    columns: Effect.sync(() => stream.columns ?? 0),
    rows: Effect.sync(() => stream.rows ?? 0),
    isTTY: Effect.sync(() => stream.isTTY === true),
    readInput: Effect.tap(Mailbox.make<Terminal.UserInput>(), (mailbox) => mailbox.done(Exit.void)),
    readLine: Effect.fail(new Terminal.QuitException()),
    // a display that cannot be written (a closed stderr) is not worth failing an export for
    display: (text) =>
      Effect.async<void>((resume) => {
        stream.write(text, () => resume(Effect.void))
      })
  })

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Where to draw (default: `stderr()`). */
  readonly terminal?: Terminal.Terminal | undefined
  /** Redraw in place, or print a line now and then (default: whether the terminal is a TTY). */
  readonly tty?: boolean | undefined
  /** Runs the export will write, where known; read at every redraw (it may become known later). */
  readonly totalRuns?: number | (() => number | undefined) | undefined
  /** Between plain lines when not a terminal; default 5 seconds. */
  readonly every?: Duration.DurationInput | undefined
}

const CLEAR = "\r\u001b[2K"

/**
 * Reports the summary's progress until interrupted; on a terminal, clears its line when done.
 *
 * @since 0.1.0
 * @category running
 */
export const report = (summary: Summary.Summary, options: Options = {}): Effect.Effect<never> =>
  Effect.gen(function*() {
    const terminal = options.terminal ?? stderr()
    const tty = options.tty ?? (yield* terminal.isTTY)
    const show = (text: string) => Effect.ignore(terminal.display(text))
    const start = yield* Clock.currentTimeMillis
    const retriesAtStart = (yield* Metric.value(Metrics.retries)).count
    const requestsAtStart = (yield* Metric.value(Metrics.requests)).count
    const budgets = yield* RateBudget.Budgets
    const snapshot = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const statuses = yield* Effect.flatMap(budgets.entries, Effect.forEach((entry) => entry.budget.status))
      return format({
        runs: summary.runs,
        steps: summary.steps,
        totalRuns: typeof options.totalRuns === "function" ? options.totalRuns() : options.totalRuns,
        elapsedMillis: now - start,
        retries: (yield* Metric.value(Metrics.retries)).count - retriesAtStart,
        requests: (yield* Metric.value(Metrics.requests)).count - requestsAtStart,
        budget: budgetSnapshot(statuses, now)
      })
    })
    const draw = Effect.flatMap(snapshot, (line) => show(tty ? `${CLEAR}${line}` : `steptrail: ${line}\n`))
    // off a terminal the first line comes after one interval: a short export prints none
    const loop = tty
      ? Effect.repeat(draw, Schedule.spaced(Duration.millis(250)))
      : Effect.forever(Effect.zipRight(Effect.sleep(options.every ?? "5 seconds"), draw))
    return yield* loop.pipe(Effect.zipRight(Effect.never), Effect.ensuring(tty ? show(CLEAR) : Effect.void))
  })
