import { Effect, Either, Option } from "effect"
import { type Declaration, option } from "../Declared.js"
import { Stdio } from "../Stdio.js"
import { usage } from "../Failure.js"

/**
 * `Emulator.defaults`, spelt here so that help shows them without loading the emulator
 * (`Help.test.ts` checks that they agree).
 */
export const DEFAULTS = { token: "steptrail-emulator-token", instances: 150, outputBytes: 2048, runs: 150, live: 2 } as const

/** The least value of each count; the command refuses less, naming the flag. */
const LEAST = { instances: 0, steps: 1, "output-bytes": 1, runs: 0, live: 0 } as const

const count = (name: keyof typeof LEAST, description: string, fields: { readonly default?: number; readonly placeholder?: string } = {}) =>
  option(name, "integer", { description, ...fields })

const options = [
  option("port", "integer", { description: "Port on 127.0.0.1, 0 to 65535 (0: any free port).", default: 0 }),
  option("token", "text", { description: "The API token/key every emulated API accepts.", placeholder: "TOKEN", default: DEFAULTS.token }),
  option("extra-token", "text", {
    description: "Another token every emulated API accepts (repeatable); stats name it by its index, 1, 2, ...",
    placeholder: "TOKEN",
    repeated: true,
    key: "extraTokens"
  }),
  option("seed", "integer", { description: "Seed of the generated data and faults.", default: 1 }),
  count("instances", "Cloudflare instances in the main workflow, besides the live ones.", { default: DEFAULTS.instances }),
  count("steps", "Steps of every Cloudflare instance, 1 or more (default: varied)."),
  count("output-bytes", "Approximate size of large step outputs.", { default: DEFAULTS.outputBytes, placeholder: "BYTES" }),
  count("runs", "Runs of the Orchestra and Onepin workflows and of the Temporal workflow type, besides the live ones.", { default: DEFAULTS.runs }),
  count("live", "Runs per provider that progress with the virtual clock.", { default: DEFAULTS.live }),
  option("faults", "text", {
    description: "Fault rates, e.g. 5xx=0.1,429=0.05,reset=0.02,malformed=0.01,seed=7 (see docs/emulator.md).",
    placeholder: "SPEC"
  }),
  option("rate-limit", "text", {
    description: "Enforce a request budget like the provider does, e.g. 100/5s (429 once exceeded).",
    placeholder: "N/DURATION"
  }),
  option("latency", "text", {
    description: "Delay every provider answer by MIN-MAX milliseconds (seeded), e.g. 20-150, or a fixed 50.",
    placeholder: "MIN-MAX"
  }),
  option("storm", "text", {
    description: "Answer every provider request 429 for a while, e.g. 20s,after=10s,retry-after=5 (after: from the first request).",
    placeholder: "SPEC"
  }),
  option("clock-speed", "float", {
    description: "Virtual milliseconds per real millisecond: live runs progress and new ones appear by themselves.",
    default: 0
  })
]

interface Flags {
  readonly port: number
  readonly token: string
  readonly extraTokens: ReadonlyArray<string>
  readonly seed: number
  readonly instances: number
  readonly steps: Option.Option<number>
  readonly outputBytes: number
  readonly runs: number
  readonly live: number
  readonly faults: Option.Option<string>
  readonly rateLimit: Option.Option<string>
  readonly latency: Option.Option<string>
  readonly storm: Option.Option<string>
  readonly clockSpeed: number
}

const orUndefined = Option.getOrUndefined

/** Parses an optional flag's text, or fails with a usage error naming the flag. */
const parsed = <A>(flag: string, text: Option.Option<string>, parse: (text: string) => Either.Either<A, string>) =>
  Option.isNone(text)
    ? Effect.succeed(undefined)
    : Either.match(parse(text.value), {
      onLeft: (message) => usage(`--${flag}: ${message}`),
      onRight: (value) => Effect.succeed(value)
    })

const run = (flags: Flags) =>
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

export const emulator: Declaration = {
  name: "emulator",
  description:
    "Serve local emulators of the Cloudflare Workflows, Arcee Orchestra, Onepin and Temporal APIs on 127.0.0.1 with seeded data. " +
    "Prints one JSON line (token, base URLs, a workflow of each) to stdout once listening, then serves until stopped.\n\n" +
    "Examples:\n  steptrail emulator --port 8787 --instances 500 --faults 5xx=0.1,429=0.05\n" +
    "  steptrail emulator --rate-limit 40/60s --latency 20-150 --extra-token second --storm 20s,retry-after=5",
  options,
  handler: (flags) => run(flags as unknown as Flags)
}
