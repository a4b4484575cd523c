/**
 * Runs the CLI in this process, as `bin.ts` would run it in its own: `Main.run` with streams
 * that capture what it writes (stdout as bytes, with backpressure like a pipe's) and an
 * environment of its own, read through Effect `Config` exactly as the process's would be.
 * Nothing of this process (its environment, its streams) is read or changed, so any number
 * of runs may go at once.
 *
 * What only a process shows (exit codes through the bundle, signals, closed pipes, a full
 * disk as stdout, file size limits) is tested by spawning the bundle (`cli.ts`).
 */
import type { ProviderDescriptor } from "@steptrail/core"
import { Clock, Effect } from "effect"
import { Writable } from "node:stream"
import type * as Launch from "../src/Launch.js"
import * as Main from "../src/Main.js"

export interface Captured {
  readonly code: number
  readonly stdout: string
  /** stdout as written, byte for byte (gzip, for instance). */
  readonly stdoutBytes: Buffer
  readonly stderr: string
}

export interface Options {
  /** The environment (default: none at all, as `cli.ts` gives a child only PATH and HOME). */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** stdout is a terminal (default: a pipe). */
  readonly isTTY?: boolean
  readonly columns?: number
  /** The providers offered (default: the registry, `Providers.ts`). */
  readonly providers?: ReadonlyArray<ProviderDescriptor.Descriptor>
  /** Where stdout goes instead of being captured (a stream on `/dev/full`, say). */
  readonly stdout?: NodeJS.WritableStream
}

/** A stream that keeps what is written to it, and says what kind of terminal it pretends to be. */
export class Capture extends Writable implements Launch.Stream {
  readonly chunks: Array<Buffer> = []
  constructor(readonly isTTY = false, readonly columns: number | undefined = undefined) {
    super()
  }
  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void) {
    this.chunks.push(chunk)
    callback()
  }
  bytes(): Buffer {
    return Buffer.concat(this.chunks)
  }
  text(): string {
    return this.bytes().toString("utf8")
  }
}

/** An `Io` over two `Capture` streams (or the stdout given). */
export const io = (options: Options = {}) => {
  const stdout = new Capture(options.isTTY ?? false, options.columns)
  const stderr = new Capture()
  const io: Launch.Io = {
    stdout: (options.stdout as Launch.Stream | undefined) ?? stdout,
    stderr,
    env: options.env ?? {}
  }
  return { io, stdout, stderr }
}

/**
 * Runs `argv` to its exit code; what it wrote, once it has ended. With the live clock, as a
 * process has, also inside a test that runs on the `TestClock`.
 */
export const run = (argv: ReadonlyArray<string>, options: Options = {}): Effect.Effect<Captured> =>
  Effect.suspend(() => {
    const captured = io(options)
    const exit = Effect.withClock(Main.run(argv, captured.io, { providers: options.providers }), Clock.make())
    return Effect.map(exit, (code) => ({
      code,
      stdout: captured.stdout.text(),
      stdoutBytes: captured.stdout.bytes(),
      stderr: captured.stderr.text()
    }))
  })

/** `run` with these variables as the whole environment. */
export const runWithEnv = (argv: ReadonlyArray<string>, env: Readonly<Record<string, string>> = {}): Effect.Effect<Captured> =>
  run(argv, { env })

export { lines, stderrLines } from "./cli.js"
