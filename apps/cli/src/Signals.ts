/**
 * Which signal ended the process, for its exit code: 130 for SIGINT, 143 for SIGTERM (128 +
 * the signal's number, as a shell reports a process the signal killed). The runtime turns
 * either signal into an interruption, and what an export keeps then is its own business
 * (docs/errors.md); this module only remembers which one it was.
 */

let received: "SIGINT" | "SIGTERM" | undefined

/**
 * Starts listening. Each listener removes itself on its first signal, as the runtime's do,
 * so a second Ctrl-C still ends a process whose cleanup hangs.
 */
export const install = (): void => {
  for (const signal of ["SIGINT", "SIGTERM"] as const) {
    process.once(signal, () => {
      received ??= signal
    })
  }
}

/** The exit code of an interrupted run. */
export const exitCode = (): number => (received === "SIGTERM" ? 143 : 130)
