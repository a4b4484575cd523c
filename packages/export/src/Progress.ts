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
import { Metrics } from "@steptrail/core"
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
  readonly waiting: number
}

const seconds = (ms: number) => {
  const s = Math.round(ms / 1000)
  return s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m${String(s % 60).padStart(2, "0")}s` : `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`
}

/**
 * @since 0.1.0
 * @category formatting
 */
export const format = (s: Snapshot): string => {
  const rate = s.elapsedMillis > 0 ? (s.runs * 1000) / s.elapsedMillis : 0
  const runs = s.totalRuns === undefined ? `${s.runs} runs` : `${s.runs}/${s.totalRuns} runs`
  const parts = [runs, `${s.steps} steps`, `${rate.toFixed(1)} runs/s`]
  if (s.totalRuns !== undefined && rate > 0 && s.runs < s.totalRuns) parts.push(`ETA ${seconds(((s.totalRuns - s.runs) / rate) * 1000)}`)
  parts.push(`elapsed ${seconds(s.elapsedMillis)}`)
  if (s.retries > 0) parts.push(`${s.retries} retries`)
  if (s.waiting > 0) parts.push(`${s.waiting} waiting on rate limit`)
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
    const snapshot = Effect.gen(function*() {
      const now = yield* Clock.currentTimeMillis
      return format({
        runs: summary.runs,
        steps: summary.steps,
        totalRuns: typeof options.totalRuns === "function" ? options.totalRuns() : options.totalRuns,
        elapsedMillis: now - start,
        retries: (yield* Metric.value(Metrics.retries)).count - retriesAtStart,
        waiting: (yield* Metric.value(Metrics.waiting)).value
      })
    })
    const draw = Effect.flatMap(snapshot, (line) => show(tty ? `${CLEAR}${line}` : `steptrail: ${line}\n`))
    // off a terminal the first line comes after one interval: a short export prints none
    const loop = tty
      ? Effect.repeat(draw, Schedule.spaced(Duration.millis(250)))
      : Effect.forever(Effect.zipRight(Effect.sleep(options.every ?? "5 seconds"), draw))
    return yield* loop.pipe(Effect.zipRight(Effect.never), Effect.ensuring(tty ? show(CLEAR) : Effect.void))
  })
