/**
 * Runs the CLI in this process, as `bin.ts` would, with its output captured: the exit code,
 * stdout and stderr as written through `Launch.Io`, and the terminal it pretends to write to.
 */
import { Effect } from "effect"
import * as Launch from "../src/Launch.js"
import * as Main from "../src/Main.js"

export interface Captured {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

export interface Terminal {
  /** stdout is a terminal (default: a pipe). */
  readonly isTTY?: boolean
  readonly columns?: number
  /** What help reads of the environment (`NO_COLOR`, `TERM`); the commands read `process.env`. */
  readonly env?: Readonly<Record<string, string>>
}

export const io = (terminal: Terminal = {}) => {
  const out: Array<string> = []
  const err: Array<string> = []
  const io: Launch.Io = {
    stdout: { write: (text) => out.push(text), isTTY: terminal.isTTY ?? false, columns: terminal.columns },
    stderr: { write: (text) => err.push(text), isTTY: false },
    env: terminal.env ?? {}
  }
  return { io, stdout: () => out.join(""), stderr: () => err.join("") }
}

export const run = (argv: ReadonlyArray<string>, terminal: Terminal = {}): Effect.Effect<Captured> =>
  Effect.suspend(() => {
    const captured = io(terminal)
    return Effect.map(Main.run(argv, captured.io), (code) => ({ code, stdout: captured.stdout(), stderr: captured.stderr() }))
  })

/** Runs `self` with these variables set in `process.env`, restored after. */
export const withEnv = <A, E, R>(vars: Readonly<Record<string, string | undefined>>, self: Effect.Effect<A, E, R>) =>
  Effect.acquireUseRelease(
    Effect.sync(() => {
      const saved = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]))
      for (const [k, v] of Object.entries(vars)) {
        if (v === undefined) delete process.env[k]
        else process.env[k] = v
      }
      return saved
    }),
    () => self,
    (saved) =>
      Effect.sync(() => {
        for (const [k, v] of Object.entries(saved)) {
          if (v === undefined) delete process.env[k]
          else process.env[k] = v
        }
      })
  )
