/**
 * A progress line for stderr: runs and steps done, rate, ETA where the total is known,
 * retries so far and requests held back by a rate budget.
 *
 * On a terminal the line is redrawn in place (with Node's own `readline` cursor helpers);
 * elsewhere a plain line is printed every few seconds, so logs of a cron job stay readable.
 *
 * @since 0.1.0
 */
import { Metrics } from "@steptrail/core"
import { Clock, Duration, Effect, Metric, Schedule } from "effect"
import * as readline from "node:readline"
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
 * @since 0.1.0
 * @category models
 */
export interface Options {
  /** Redraw in place (a terminal) or print a line now and then. */
  readonly tty: boolean
  readonly stream?: NodeJS.WritableStream | undefined
  /** Runs the export will write, where known; read at every redraw (it may become known later). */
  readonly totalRuns?: number | (() => number | undefined) | undefined
  /** Between plain lines when not a terminal; default 5 seconds. */
  readonly every?: Duration.DurationInput | undefined
}

/**
 * Reports the summary's progress until interrupted; on a terminal, clears its line when done.
 *
 * @since 0.1.0
 * @category running
 */
export const report = (summary: Summary.Summary, options: Options): Effect.Effect<never> =>
  Effect.gen(function*() {
    const stream = options.stream ?? process.stderr
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
    const draw = options.tty
      ? Effect.flatMap(snapshot, (line) =>
        Effect.sync(() => {
          readline.cursorTo(stream, 0)
          readline.clearLine(stream, 0)
          stream.write(line)
        }))
      : Effect.flatMap(snapshot, (line) => Effect.sync(() => stream.write(`steptrail: ${line}\n`)))
    const every = options.tty ? Duration.millis(250) : Duration.decode(options.every ?? "5 seconds")
    const clear = options.tty
      ? Effect.sync(() => {
        readline.cursorTo(stream, 0)
        readline.clearLine(stream, 0)
      })
      : Effect.void
    // off a terminal the first line comes after one interval: a short export prints none
    const loop = options.tty
      ? Effect.repeat(draw, Schedule.spaced(every))
      : Effect.forever(Effect.zipRight(Effect.sleep(every), draw))
    return yield* loop.pipe(Effect.zipRight(Effect.never), Effect.ensuring(clear))
  })
