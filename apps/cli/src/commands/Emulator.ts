import { Command, Options } from "@effect/cli"
import { Effect, Either, Option } from "effect"
import { Stdio } from "../Stdio.js"
import { usage } from "./Common.js"

/**
 * `Emulator.defaults`, spelt here so that help shows them without loading the emulator
 * (`Help.test.ts` checks that they agree).
 */
export const DEFAULTS = { token: "steptrail-emulator-token", instances: 150, outputBytes: 2048, runs: 150, live: 2 } as const

const port = Options.integer("port").pipe(Options.withDescription("Port on 127.0.0.1, 0 to 65535 (0: any free port)."), Options.withDefault(0))
const token = Options.text("token").pipe(
  Options.withDescription("The API token/key every emulated API accepts."),
  Options.withPseudoName("TOKEN"),
  Options.withDefault(DEFAULTS.token)
)
const extraTokens = Options.text("extra-token").pipe(
  Options.withDescription("Another token every emulated API accepts (repeatable); stats name it by its index, 1, 2, ..."),
  Options.withPseudoName("TOKEN"),
  Options.repeated
)
const seed = Options.integer("seed").pipe(Options.withDescription("Seed of the generated data and faults."), Options.withDefault(1))
/** The least value of each count; the command refuses less, naming the flag. */
const LEAST = { instances: 0, steps: 1, "output-bytes": 1, runs: 0, live: 0 } as const

const count = (name: keyof typeof LEAST, description: string, placeholder = "N") =>
  Options.integer(name).pipe(Options.withDescription(description), Options.withPseudoName(placeholder))

const instances = count("instances", "Cloudflare instances in the main workflow, besides the live ones.").pipe(Options.withDefault(DEFAULTS.instances))
const steps = count("steps", "Steps of every Cloudflare instance, 1 or more (default: varied).").pipe(Options.optional)
const outputBytes = count("output-bytes", "Approximate size of large step outputs.", "BYTES").pipe(Options.withDefault(DEFAULTS.outputBytes))
const runs = count("runs", "Runs of the Orchestra and Onepin workflows and of the Temporal workflow type, besides the live ones.").pipe(Options.withDefault(DEFAULTS.runs))
const live = count("live", "Runs per provider that progress with the virtual clock.").pipe(Options.withDefault(DEFAULTS.live))
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
const latency = Options.text("latency").pipe(
  Options.withDescription("Delay every provider answer by MIN-MAX milliseconds (seeded), e.g. 20-150, or a fixed 50."),
  Options.withPseudoName("MIN-MAX"),
  Options.optional
)
const storm = Options.text("storm").pipe(
  Options.withDescription("Answer every provider request 429 for a while, e.g. 20s,after=10s,retry-after=5 (after: from the first request)."),
  Options.withPseudoName("SPEC"),
  Options.optional
)
const clockSpeed = Options.float("clock-speed").pipe(
  Options.withDescription("Virtual milliseconds per real millisecond: live runs progress and new ones appear by themselves."),
  Options.withDefault(0)
)

const orUndefined = Option.getOrUndefined

/** Parses an optional flag's text, or fails with a usage error naming the flag. */
const parsed = <A>(flag: string, text: Option.Option<string>, parse: (text: string) => Either.Either<A, string>) =>
  Option.isNone(text)
    ? Effect.succeed(undefined)
    : Either.match(parse(text.value), {
      onLeft: (message) => usage(`--${flag}: ${message}`),
      onRight: (value) => Effect.succeed(value)
    })

export const emulator = Command.make(
  "emulator",
  { port, token, extraTokens, seed, instances, steps, outputBytes, runs, live, faults, rateLimit, latency, storm, clockSpeed },
  (flags) =>
    Effect.gen(function*() {
      if (flags.port < 0 || flags.port > 65535) {
        return yield* usage(`--port must be between 0 and 65535, got ${flags.port}`)
      }
      if (!(Number.isFinite(flags.clockSpeed) && flags.clockSpeed >= 0)) {
        return yield* usage("--clock-speed: must be a number >= 0")
      }
      // named as the flags, before the emulator would name its options (`cloudflare.instances`)
      const counts = { instances: flags.instances, steps: orUndefined(flags.steps), "output-bytes": flags.outputBytes, runs: flags.runs, live: flags.live }
      for (const [flag, value] of Object.entries(counts)) {
        const least = LEAST[flag as keyof typeof LEAST]
        if (value !== undefined && value < least) return yield* usage(`--${flag} must be ${least} or more, got ${value}`)
      }
      if (flags.token === "") return yield* usage("--token must not be empty")
      const repeated = [flags.token, ...flags.extraTokens].find((t, i, all) => t === "" || all.indexOf(t) !== i)
      if (repeated !== undefined) {
        return yield* usage(repeated === "" ? "--extra-token must not be empty" : `--extra-token must differ from --token and from each other, got ${JSON.stringify(repeated)} twice`)
      }
      // loaded here, not at start-up: no other command evaluates the emulator
      const { Emulator, Faults, Latency, RateLimit, Storm } = yield* Effect.promise(() => import("@steptrail/emulator"))
      const { live, runs } = flags
      const emu = yield* Emulator.start({
        port: flags.port,
        token: flags.token,
        tokens: flags.extraTokens,
        seed: flags.seed,
        cloudflare: { instances: flags.instances, steps: orUndefined(flags.steps), outputBytes: flags.outputBytes, live },
        orchestra: { runs, live },
        onepin: { runs, live },
        temporal: { runs, live },
        faults: yield* parsed("faults", flags.faults, Faults.parse),
        rateLimit: yield* parsed("rate-limit", flags.rateLimit, RateLimit.parse),
        latency: yield* parsed("latency", flags.latency, Latency.parse),
        storm: yield* parsed("storm", flags.storm, Storm.parse),
        clockSpeed: flags.clockSpeed
      })
      const { stdout } = yield* Stdio
      stdout.write(Emulator.startupLine(emu.info) + "\n")
      return yield* Effect.never
    }).pipe(Effect.scoped)
).pipe(
  Command.withDescription(
    "Serve local emulators of the Cloudflare Workflows, Arcee Orchestra, Onepin and Temporal APIs on 127.0.0.1 with seeded data. " +
      "Prints one JSON line (token, base URLs, a workflow of each) to stdout once listening, then serves until stopped.\n\n" +
      "Examples:\n  steptrail emulator --port 8787 --instances 500 --faults 5xx=0.1,429=0.05\n" +
      "  steptrail emulator --rate-limit 40/60s --latency 20-150 --extra-token second --storm 20s,retry-after=5"
  )
)
