/**
 * The signals that end an export, and the exit code each leaves: 129 for SIGHUP (a closed
 * terminal or ssh session), 130 for SIGINT, 143 for SIGTERM (128 + the signal's number, as a
 * shell reports a process the signal killed). Each interrupts the main fiber, so an export
 * keeps what it keeps on any interruption (docs/errors.md): a follow's file committed, a gzip
 * member closed, the locks released. `NodeRuntime.runMain` listens to SIGINT and SIGTERM
 * only; left to Node, SIGHUP would end the process with no cleanup at all.
 */
import { Runtime } from "@effect/platform"

const SIGNALS = { SIGHUP: 129, SIGINT: 130, SIGTERM: 143 } as const

type Signal = keyof typeof SIGNALS

let received: Signal | undefined

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
  const onSignal = (signal: Signal) => {
    received ??= signal
    removeAll()
    // the terminal is gone: what is left to say on stderr cannot reach anyone, and must not
    // turn the cleanup into a crash
    if (signal === "SIGHUP") process.stderr.on("error", () => {})
    fiber.unsafeInterruptAsFork(fiber.id())
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
