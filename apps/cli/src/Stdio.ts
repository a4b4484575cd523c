/**
 * The standard streams and the command line a command runs with, as a service. Commands write
 * records to `stdout` and everything else to `stderr` through it, never through `process`,
 * so `Main.run` can run the CLI in a test with streams of its own and capture exactly what a
 * process would write (`apps/cli/test/inProcess.ts`).
 */
import { Context, Layer } from "effect"
import type * as Launch from "./Launch.js"

/**
 * @since 0.2.0
 * @category models
 */
export interface Service {
  /** Records only, with backpressure (a real `Writable`: a full pipe holds the export back). */
  readonly stdout: Launch.Stream
  /** The failure line, logs, progress and summary. */
  readonly stderr: Launch.Stream
  /** The arguments, without the executable, as given. */
  readonly argv: ReadonlyArray<string>
}

/**
 * @since 0.2.0
 * @category tags
 */
export class Stdio extends Context.Tag("@steptrail/cli/Stdio")<Stdio, Service>() {}

/**
 * @since 0.2.0
 * @category layers
 */
export const layer = (io: Launch.Io, argv: ReadonlyArray<string>): Layer.Layer<Stdio> =>
  Layer.succeed(Stdio, { stdout: io.stdout, stderr: io.stderr, argv })
