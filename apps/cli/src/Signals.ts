/**
 * The signals that end an export, and the exit code each leaves: 129 for SIGHUP (a closed
 * terminal or ssh session), 130 for SIGINT, 143 for SIGTERM (128 + the signal's number, as a
 * shell reports a process the signal killed). Each interrupts the main fiber, so an export
 * keeps what it keeps on any interruption (docs/errors.md): a follow's file committed, a gzip
 * member closed, the locks released. `NodeRuntime.runMain` listens to SIGINT and SIGTERM
 * only; left to Node, SIGHUP would end the process with no cleanup at all.
 *
 * A program may first wind down on the signal (`drainOnSignal`: `serve` lets its passes finish
 * the runs in hand and commit): the main fiber is interrupted once that is done, and the
 * process exits with the signal's code by a deadline whatever its cleanup is doing.
 */
import { Runtime } from "@effect/platform"
import { Duration, Effect, Runtime as EffectRuntime, type Scope } from "effect"

const SIGNALS = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const

type Signal = keyof typeof SIGNALS

let received: Signal | undefined

/** A wind-down registered by `drainOnSignal`. */
interface Drain {
  /** Starts it; `done` is called once it ends (or fails). Returns how to interrupt it. */
  readonly start: (done: () => void) => () => void
  readonly deadlineMillis: number
  /** Called (synchronously) when the deadline passes, just before the process exits. */
  readonly timedOut: () => void
}

const drains = new Set<Drain>()

/**
 * Runs `drain` on the first signal, before the main fiber is interrupted, for as long as the
 * scope lasts. The main fiber is interrupted when `drain` ends, or after half of `deadline`
 * if it has not; when `deadline` has passed since the signal, the process exits with the
 * signal's code even if its cleanup hangs (after `timedOut`, which should say so). A second
 * signal still ends the process at once. Programs that register nothing are interrupted at
 * the first signal, as before.
 */
export const drainOnSignal = (
  drain: Effect.Effect<void>,
  options: { readonly deadline: Duration.DurationInput; readonly timedOut?: Effect.Effect<void> | undefined }
): Effect.Effect<void, never, Scope.Scope> =>
  Effect.flatMap(Effect.runtime<never>(), (runtime) => {
    const entry: Drain = {
      start: (done) => {
        const fiber = EffectRuntime.runFork(runtime)(drain)
        fiber.addObserver(() => done())
        return () => fiber.unsafeInterruptAsFork(fiber.id())
      },
      deadlineMillis: Duration.toMillis(options.deadline),
      timedOut: () => {
        if (options.timedOut !== undefined) EffectRuntime.runSync(runtime)(Effect.ignore(options.timedOut))
      }
    }
    return Effect.acquireRelease(Effect.sync(() => drains.add(entry)), () => Effect.sync(() => drains.delete(entry)))
  })

/**
 * `NodeRuntime.runMain` with SIGHUP too. Every listener is removed on the first signal, as
 * the runtime's are, so a second one (a second Ctrl-C) still ends a process whose cleanup
 * hangs.
 */
export const runMain: Runtime.RunMain = Runtime.makeRunMain(({ fiber, teardown }) => {
  const keepAlive = setInterval(() => {}, 2 ** 31 - 1)
  const listeners = (Object.keys(SIGNALS) as Array<Signal>).map((signal) => [signal, () => onSignal(signal)] as const)
  const removeAll = () => {
    for (const [signal, listener] of listeners) process.removeListener(signal, listener)
  }
  let interrupted = false
  const interrupt = () => {
    if (interrupted) return
    interrupted = true
    fiber.unsafeInterruptAsFork(fiber.id())
  }
  const onSignal = (signal: Signal) => {
    received ??= signal
    removeAll()
    // the terminal is gone: what is left to say on stderr cannot reach anyone, and must not
    // turn the cleanup into a crash
    if (signal === "SIGHUP") process.stderr.on("error", () => {})
    const pending = [...drains]
    if (pending.length === 0) return interrupt()
    const deadline = Math.max(...pending.map((d) => d.deadlineMillis))
    setTimeout(() => {
      for (const d of pending) d.timedOut()
      process.exit(SIGNALS[received ?? signal])
    }, deadline).unref()
    let left = pending.length
    const stops = pending.map((d) => d.start(() => --left === 0 && interrupt()))
    // a wind-down that takes more than half the deadline leaves the rest to the interruption
    setTimeout(() => {
      for (const stop of stops) stop()
      interrupt()
    }, deadline / 2).unref()
  }
  for (const [signal, listener] of listeners) process.on(signal, listener)
  fiber.addObserver((exit) => {
    removeAll()
    clearInterval(keepAlive)
    teardown(exit, (code) => {
      if (received !== undefined || code !== 0) process.exit(code)
      // done: exit once what was written has been handed on, rather than when the event loop
      // drains (an HTTP client's idle connections would hold it a few hundred ms longer)
      else flushed(process.stdout, () => flushed(process.stderr, () => process.exit(0)))
    })
  })
})

/** Calls `then` once what was written to `stream` before is flushed (or cannot be). */
const flushed = (stream: NodeJS.WriteStream, then: () => void) => {
  if (stream.destroyed || !stream.writable) return then()
  stream.write("", () => then())
}

/** The exit code of an interrupted run: the signal's, else 130 (an interruption from within). */
export const exitCode = (): number => SIGNALS[received ?? "SIGINT"]
