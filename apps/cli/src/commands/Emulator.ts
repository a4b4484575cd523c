import { Command, Options } from "@effect/cli"
import { Effect, Either, Option } from "effect"
import { UsageError } from "../Failure.js"

const port = Options.integer("port").pipe(Options.withDescription("Port on 127.0.0.1, 0 to 65535 (0: any free port)."), Options.withDefault(0))
const token = Options.text("token").pipe(Options.withDescription("The API token/key all three APIs accept."), Options.withPseudoName("TOKEN"), Options.optional)
const seed = Options.integer("seed").pipe(Options.withDescription("Seed of the generated data and faults."), Options.withDefault(1))
const instances = Options.integer("instances").pipe(Options.withDescription("Cloudflare instances in the main workflow."), Options.optional)
const steps = Options.integer("steps").pipe(Options.withDescription("Steps of every Cloudflare instance (default: varied)."), Options.optional)
const outputBytes = Options.integer("output-bytes").pipe(Options.withDescription("Approximate size of large step outputs."), Options.withPseudoName("BYTES"), Options.optional)
const runs = Options.integer("runs").pipe(Options.withDescription("Runs of the Orchestra and Onepin workflows."), Options.optional)
const live = Options.integer("live").pipe(Options.withDescription("Runs per provider that progress with the virtual clock."), Options.optional)
const faults = Options.text("faults").pipe(
  Options.withDescription("Fault rates, e.g. 5xx=0.1,429=0.05,reset=0.02,malformed=0.01,seed=7 (see docs/emulator.md)."),
  Options.withPseudoName("SPEC"),
  Options.optional
)
const rateLimit = Options.text("rate-limit").pipe(
  Options.withDescription("Enforce a request budget like the provider does, e.g. 100/5s (429 once exceeded)."),
  Options.withPseudoName("N/DURATION"),
  Options.optional
)

const orUndefined = Option.getOrUndefined

export const emulator = Command.make(
  "emulator",
  { port, token, seed, instances, steps, outputBytes, runs, live, faults, rateLimit },
  (flags) =>
    Effect.gen(function*() {
      if (flags.port < 0 || flags.port > 65535) {
        return yield* new UsageError({ message: `--port must be between 0 and 65535, got ${flags.port}` })
      }
      // loaded here, not at start-up: no other command evaluates the emulator
      const { Emulator, Faults, RateLimit } = yield* Effect.promise(() => import("@steptrail/emulator"))
      const parsedFaults = Option.isSome(flags.faults) ? Faults.parse(flags.faults.value) : Either.right(undefined)
      if (Either.isLeft(parsedFaults)) return yield* new UsageError({ message: `--faults: ${parsedFaults.left}` })
      const parsedRate = Option.isSome(flags.rateLimit) ? RateLimit.parse(flags.rateLimit.value) : Either.right(undefined)
      if (Either.isLeft(parsedRate)) return yield* new UsageError({ message: `--rate-limit: ${parsedRate.left}` })
      const live = orUndefined(flags.live)
      const runs = orUndefined(flags.runs)
      const emu = yield* Emulator.start({
        port: flags.port,
        token: orUndefined(flags.token),
        seed: flags.seed,
        cloudflare: { instances: orUndefined(flags.instances), steps: orUndefined(flags.steps), outputBytes: orUndefined(flags.outputBytes), live },
        orchestra: { runs, live },
        onepin: { runs, live },
        faults: parsedFaults.right,
        rateLimit: parsedRate.right
      })
      process.stdout.write(Emulator.startupLine(emu.info) + "\n")
      return yield* Effect.never
    }).pipe(Effect.scoped)
).pipe(
  Command.withDescription(
    "Serve local emulators of the Cloudflare Workflows, Arcee Orchestra and Onepin APIs on 127.0.0.1 with seeded data. " +
      "Prints one JSON line (token, base URLs, a workflow of each) to stdout once listening, then serves until stopped.\n\n" +
      "Example:\n  steptrail emulator --port 8787 --instances 500 --faults 5xx=0.1,429=0.05"
  )
)
