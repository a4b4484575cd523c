/**
 * A progress line: runs and steps done, rate, ETA where the total is known, retries so far
 * and requests held back by a rate budget. Drawn through the platform's `Terminal`.
 *
 * On a terminal the line is redrawn in place, cut to the terminal's width; elsewhere a plain
 * line is printed every few seconds, so logs of a cron job stay readable. Progress belongs on
 * stderr (stdout carries the records), and the platform's Node terminal displays on stdout, so
 * `stderr` makes a `Terminal` over a stream of your choice (standard error by default).
 *
 * @since 0.1.0
 */
import { Terminal } from "@effect/platform"
import { Metrics, RateBudget, Timestamp } from "@steptrail/core"
import { Clock, Duration, Effect, Exit, Mailbox, Metric, Schedule } from "effect"
import * as Summary from "./Summary.js"
import * as TerminalText from "./TerminalText.js"

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
  /** Of the elapsed time, how long budgets and 429 pauses held requests back. */
  readonly heldMillis?: number | undefined
  /** Of `heldMillis`, how long 429 pauses did: the provider limits what the budget does not know. */
  readonly pausedMillis?: number | undefined
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
 * When the remaining runs can be done: the latest of three estimates, each of which alone
 * would be too early in some export.
 *
 * - The rate so far, waits included, where 429s have paused requests or no budget is known:
 *   a provider's own limit recurs at the rate seen. Under a budget alone it is left out: the
 *   budget's windows are counted exactly below, and late in a long export this rate would put
 *   the last runs minutes after the window that lets them all through.
 * - The hold under way (a 429's pause or the budget), then the remaining runs at the rate seen
 *   while nothing held requests back: a first pause does not yet show in the rate so far.
 * - The budget: when it allows the requests the remaining runs need (the remaining runs times
 *   the requests per run so far), a window at a time.
 */
const etaMillis = (s: Snapshot): number | undefined => {
  if (s.totalRuns === undefined || s.runs >= s.totalRuns) return undefined
  const left = s.totalRuns - s.runs
  const holding = s.budget?.nextInMillis ?? 0
  const estimates: Array<number> = []
  const budgetAlone = s.budget?.budget !== undefined && (s.pausedMillis ?? 0) === 0
  if (s.runs > 0 && s.elapsedMillis > 0) {
    if (!budgetAlone) estimates.push((left * s.elapsedMillis) / s.runs)
    const active = s.elapsedMillis - Math.min(s.elapsedMillis, s.heldMillis ?? 0)
    estimates.push(holding + (left * active) / s.runs)
  }
  const limit = s.budget?.budget
  if (limit !== undefined && s.requests !== undefined) {
    const perRun = s.runs > 0 ? s.requests / s.runs : 1
    const requests = Math.ceil(left * perRun)
    estimates.push(holding + (Math.ceil(requests / limit.limit) - 1) * Duration.toMillis(limit.window))
  }
  return estimates.length === 0 ? undefined : Math.max(...estimates)
}

const seconds = Timestamp.formatDuration

/**
 * A piece of the progress line; when the line is too wide for the terminal, pieces of a
 * higher `rank` go first, then the `short` wordings are used.
 */
interface Part {
  readonly text: string
  readonly short?: string
  readonly rank: number
}

const parts = (s: Snapshot): ReadonlyArray<Part> => {
  const rate = s.elapsedMillis > 0 ? (s.runs * 1000) / s.elapsedMillis : 0
  const result: Array<Part> = [{ text: s.totalRuns === undefined ? Summary.count(s.runs, "run") : `${s.runs}/${Summary.count(s.totalRuns, "run")}`, rank: 0 }]
  const held = s.budget?.nextInMillis
  if (held != null) {
    const next = seconds(held)
    result.push(
      s.budget!.paused
        ? { text: `paused by a 429 from the provider, next request in ${next}`, short: `429 pause, next in ${next}`, rank: 0 }
        : {
          text: `waiting for the rate budget (${RateBudget.format(s.budget!.budget)}), next request in ${next}`,
          short: `budget ${RateBudget.format(s.budget!.budget)}, next in ${next}`,
          rank: 0
        }
    )
  } else {
    result.push({ text: Summary.count(s.steps, "step"), rank: 1 }, { text: `${rate.toFixed(1)} runs/s`, rank: 1 })
  }
  const eta = etaMillis(s)
  if (eta !== undefined) result.push({ text: `ETA ${seconds(eta)}`, rank: 0 })
  result.push({ text: `elapsed ${seconds(s.elapsedMillis)}`, rank: 2 })
  if (s.retries > 0) result.push({ text: `${s.retries} retries`, short: `${s.retries}r`, rank: 1 })
  return result
}

/** Columns a text takes (one per code point: the line is ASCII but for `·` and `…`). */
const widthOf = (text: string): number => {
  let n = 0
  for (const _ of text) n++
  return n
}

/**
 * The progress line, its text escaped (`TerminalText.line`), and fitted to `columns` when
 * given: less important pieces are left out, then shorter wordings used, and what still does
 * not fit is cut with `…`.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (s: Snapshot, columns?: number): string => {
  const all = parts(s)
  const join = (rank: number, short: boolean) =>
    all.filter((p) => p.rank <= rank).map((p) => TerminalText.line(short ? p.short ?? p.text : p.text)).join(" · ")
  const full = join(2, false)
  if (columns === undefined || widthOf(full) <= columns) return full
  for (const line of [join(1, false), join(0, false), join(1, true), join(0, true)]) {
    if (widthOf(line) <= columns) return line
  }
  return [...join(0, true)].slice(0, Math.max(0, columns - 1)).join("") + "…"
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
  /**
   * Runs the export will write, where known; read at every redraw (it may become known later:
   * give a `Ref`'s `get` that another fiber sets).
   */
  readonly totalRuns?: number | Effect.Effect<number | undefined> | (() => number | undefined) | undefined
  /** Between plain lines when not a terminal; default 5 seconds. */
  readonly every?: Duration.DurationInput | undefined
}

/** Back to the line's first column and erase it. */
const CLEAR = "\r\u001b[2K"

/**
 * What erases the line drawn before, `drawn` columns wide, on a terminal now `columns` wide.
 * A terminal made narrower rewraps that line onto more rows (tmux and most terminals do), so
 * the cursor goes up to the first of them and everything below is erased.
 */
const erase = (drawn: number, columns: number): string => {
  const rows = columns > 0 && drawn > columns ? Math.ceil(drawn / columns) - 1 : 0
  return rows > 0 ? `\r\u001b[${rows}A\u001b[J` : CLEAR
}

/**
 * Reports the summary's progress until interrupted; on a terminal, clears its line when done.
 * `summary` reads a snapshot of it each time the line is drawn: a `Ref` (or `SubscriptionRef`)
 * the export counts into is one.
 *
 * On a terminal the line is cut to its width (one column spare, so the cursor never wraps)
 * and redrawn four times a second at the width of the moment, so a resized terminal shows
 * one line again at its next redraw. Text in the line is escaped (`format`): the only control
 * sequences written are the reporter's own.
 *
 * @since 0.1.0
 * @category running
 */
export const report = (summary: Effect.Effect<Summary.Summary>, options: Options = {}): Effect.Effect<never> =>
  Effect.gen(function*() {
    const terminal = options.terminal ?? stderr()
    const tty = options.tty ?? (yield* terminal.isTTY)
    const show = (text: string) => Effect.ignore(terminal.display(text))
    const start = yield* Clock.currentTimeMillis
    const retriesAtStart = (yield* Metric.value(Metrics.retries)).count
    const requestsAtStart = (yield* Metric.value(Metrics.requests)).count
    const budgets = yield* RateBudget.Budgets
    const statuses = Effect.flatMap(budgets.entries, Effect.forEach((entry) => Effect.map(entry.budget.status, (status) => [entry.budget, status] as const)))
    // budgets are shared by the process: only what they held this export back counts
    const atStart = yield* statuses
    const waitedAtStart = new Map(atStart.map(([budget, status]) => [budget, status.waitedMillis]))
    const pausedAtStart = new Map(atStart.map(([budget, status]) => [budget, status.pausedMillis]))
    const snapshot = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      const current = yield* statuses
      const counted = yield* summary
      return {
        runs: counted.runs,
        steps: counted.steps,
        totalRuns: Effect.isEffect(options.totalRuns)
          ? yield* options.totalRuns
          : typeof options.totalRuns === "function"
          ? options.totalRuns()
          : options.totalRuns,
        elapsedMillis: now - start,
        retries: (yield* Metric.value(Metrics.retries)).count - retriesAtStart,
        requests: (yield* Metric.value(Metrics.requests)).count - requestsAtStart,
        budget: budgetSnapshot(current.map(([, status]) => status), now),
        heldMillis: current.reduce((sum, [budget, status]) => sum + status.waitedMillis - (waitedAtStart.get(budget) ?? 0), 0),
        pausedMillis: current.reduce((sum, [budget, status]) => sum + status.pausedMillis - (pausedAtStart.get(budget) ?? 0), 0)
      } satisfies Snapshot
    })
    // columns the line on screen takes; 0 when none is drawn
    let drawn = 0
    const redraw = Effect.gen(function*() {
      const columns = yield* terminal.columns
      const line = format(yield* snapshot, columns > 1 ? columns - 1 : undefined)
      yield* show(erase(drawn, columns) + line)
      drawn = [...line].length
    })
    const clear = Effect.gen(function*() {
      if (drawn > 0) yield* show(erase(drawn, yield* terminal.columns))
      drawn = 0
    })
    const print = Effect.flatMap(snapshot, (s) => show(`steptrail: ${format(s)}\n`))
    // off a terminal the first line comes after one interval: a short export prints none
    const loop = tty
      ? Effect.repeat(redraw, Schedule.spaced(Duration.millis(250)))
      : Effect.forever(Effect.zipRight(Effect.sleep(options.every ?? "5 seconds"), print))
    return yield* loop.pipe(Effect.zipRight(Effect.never), Effect.ensuring(tty ? clear : Effect.void))
  })
