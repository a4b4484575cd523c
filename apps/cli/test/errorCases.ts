/**
 * Every documented way an export can fail on bad input or a bad answer: the table behind
 * `docs/errors.md`, `Errors.test.ts` (exit code, one line, no stack, no leftovers) and
 * `Secrets.test.ts` (the same cases, `--verbose`, grepped for the tokens). Cases run
 * in-process (`runCase`); a few, and those only a process can show, through the bundle
 * (`runSpawned`).
 *
 * Each case runs in a fresh directory `c.dir`. Unless `out` is false, an `export` case gets
 * `--out <dir>/runs.ndjson`, so every failure also proves it leaves no half file behind.
 */
import { Emulator } from "@steptrail/emulator"
import { Context, Effect, Layer } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { providers } from "../src/Providers.js"
import { BIN, type Result } from "./cli.js"
import * as InProcess from "./inProcess.js"
import * as Stub from "./stub.js"

/** Recognizable secrets: the valid token, a wrong one, a password inside a base URL. */
export const TOKEN = "SECRET-tok-7f3e9a1c5b2d"
export const WRONG_TOKEN = "SECRET-wrong-4b8d2e6f0a"
export const URL_PASSWORD = "SECRET-pw-9c1e3a5b7d"
export const SECRETS = [TOKEN, WRONG_TOKEN, URL_PASSWORD] as const

/** The emulator's Onepin 426 answer names this version. */
export const REQUIRED_VERSION = "9.4.1"

export type FaultKind = "serverError" | "tooManyRequests" | "contentType" | "malformed" | "truncated" | "reset" | "slow"

export interface Servers {
  /** Healthy: small data, no faults. */
  readonly main: Emulator.Info
  /** One emulator per fault, each answering every API request with it. */
  readonly faults: Readonly<Record<FaultKind, Emulator.Info>>
  /** Onepin answers 426 (requires REQUIRED_VERSION). */
  readonly upgrade: Emulator.Info
  readonly stub: Stub.Stub
  readonly closedPort: number
}

export class ServersTag extends Context.Tag("steptrail/test/Servers")<ServersTag, Servers>() {}

const small = { cloudflare: { instances: 3, live: 1 }, orchestra: { runs: 3, live: 1 }, onepin: { runs: 3, live: 1 } }

const faultOptions: Record<FaultKind, Emulator.Options["faults"]> = {
  serverError: { serverError: 1 },
  tooManyRequests: { tooManyRequests: 1, retryAfter: 1 },
  contentType: { contentType: 1 },
  malformed: { malformed: 1 },
  truncated: { truncated: 1 },
  reset: { reset: 1 },
  slow: { slow: 1, slowMs: 2500 }
}

/** Every server the cases need, all on 127.0.0.1, all stopped with the layer. */
export const serversLayer: Layer.Layer<ServersTag, Emulator.EmulatorError> = Layer.scoped(
  ServersTag,
  Effect.gen(function*() {
    const start = (options: Emulator.Options) => Emulator.start({ token: TOKEN, seed: 3, ...small, ...options })
    const main = yield* start({})
    const faults = {} as Record<FaultKind, Emulator.Info>
    for (const kind of Object.keys(faultOptions) as Array<FaultKind>) {
      faults[kind] = (yield* start({ faults: faultOptions[kind] })).info
    }
    const upgrade = yield* start({ onepin: { ...small.onepin, requiredVersion: REQUIRED_VERSION } })
    const stub = yield* Stub.start
    const closedPort = yield* Stub.closedPort
    return { main: main.info, faults, upgrade: upgrade.info, stub, closedPort }
  })
)

export interface Ctx extends Servers {
  /** A fresh, empty directory for this case. */
  readonly dir: string
}

export type Group = "usage" | "ids" | "credentials" | "answers" | "bodies" | "outputs" | "network"

export interface ErrorCase {
  readonly id: string
  readonly group: Group
  readonly title: string
  readonly args: (c: Ctx) => ReadonlyArray<string>
  readonly env: (c: Ctx) => Readonly<Record<string, string>>
  /** Creates files in `c.dir` before the run (they are expected to stay). */
  readonly setup?: (c: Ctx) => void
  readonly code: number
  /** The one stderr line (a function where it names the case's workflow). */
  readonly stderr: RegExp | string | ((c: Ctx) => RegExp | string)
  /** Add `--out <dir>/runs.ndjson` (default: yes for `export` commands). */
  readonly out?: boolean
  /** stdout goes to `/dev/full` instead of a pipe. */
  readonly stdoutFull?: boolean
  /** Run under `ulimit -f` with this many 512-byte blocks: files cannot grow past it. */
  readonly fileSizeLimitBlocks?: number
  /** Extra checks after the run. */
  readonly after?: (c: Ctx) => void
}

// ---------------------------------------------------------------------------------------------
// command builders: `--retries 1` everywhere keeps the retried cases to about a second

const cfAt = (info: Emulator.Info, ...more: Array<string>) => [
  "export", "cloudflare", "--base-url", info.cloudflare.baseUrl, "--account-id", info.cloudflare.accountId,
  "--workflow", info.cloudflare.workflow, "--retries", "1", ...more
]
const orAt = (info: Emulator.Info, ...more: Array<string>) => [
  "export", "orchestra", "--base-url", info.orchestra.baseUrl, "--workflow", info.orchestra.workflow, "--retries", "1", ...more
]
const opAt = (info: Emulator.Info, ...more: Array<string>) => [
  "export", "onepin", "--base-url", info.onepin.baseUrl, "--workflow", info.onepin.workflow, "--retries", "1", ...more
]
const cf = (c: Ctx, ...more: Array<string>) => cfAt(c.main, ...more)
const or = (c: Ctx, ...more: Array<string>) => orAt(c.main, ...more)
const op = (c: Ctx, ...more: Array<string>) => opAt(c.main, ...more)

const cfEnv = () => ({ CLOUDFLARE_API_TOKEN: TOKEN })
const orEnv = () => ({ ORCHESTRA_API_KEY: TOKEN })
const opEnv = () => ({ ONEPIN_API_KEY: TOKEN })
const allEnv = () => ({ ...cfEnv(), ...orEnv(), ...opEnv() })

const NIL_UUID = "00000000-0000-4000-8000-000000000000"
const OTHER_ACCOUNT = "0123456789abcdef0123456789abcdef"

export const cases: ReadonlyArray<ErrorCase> = [
  // ---- usage: flags the CLI refuses before any request --------------------------------------
  {
    id: "usage.unknown-flag",
    group: "usage",
    title: "an unknown flag",
    args: (c) => cf(c, "--bogus"),
    env: cfEnv,
    code: 2,
    stderr: "steptrail: unknown option --bogus for export cloudflare; see steptrail export cloudflare --help"
  },
  {
    id: "usage.misspelt-flag",
    group: "usage",
    title: "a misspelt flag",
    args: (c) => ["export", "cloudflare", "--base-url", c.main.cloudflare.baseUrl, "--acount-id", c.main.cloudflare.accountId, "--workflow", "w"],
    env: cfEnv,
    code: 2,
    stderr: "steptrail: unknown option --acount-id for export cloudflare; did you mean --account-id?"
  },
  {
    id: "usage.missing-workflow",
    group: "usage",
    title: "--workflow missing",
    args: (c) => ["export", "cloudflare", "--base-url", c.main.cloudflare.baseUrl, "--account-id", c.main.cloudflare.accountId],
    env: cfEnv,
    code: 2,
    stderr: "steptrail: export cloudflare needs --workflow NAME; see steptrail export cloudflare --help"
  },
  {
    id: "usage.unknown-provider",
    group: "usage",
    title: "an unknown provider subcommand",
    args: () => ["export", "airflow", "--workflow", "w"],
    env: allEnv,
    code: 2,
    stderr: `steptrail: unknown provider "airflow" for export; use one of ${providers.map((p) => p.name).join(", ")}`
  },
  {
    id: "usage.misspelt-provider",
    group: "usage",
    title: "a misspelt provider",
    args: () => ["export", "cloudfare", "--workflow", "w"],
    env: allEnv,
    code: 2,
    stderr: `steptrail: unknown provider "cloudfare" for export; did you mean cloudflare?`
  },
  {
    id: "usage.concurrency-not-integer",
    group: "usage",
    title: "--concurrency that is not a number",
    args: (c) => or(c, "--concurrency", "many"),
    env: orEnv,
    code: 2,
    stderr: `steptrail: --concurrency must be a whole number, got "many"`
  },
  {
    id: "usage.concurrency-range",
    group: "usage",
    title: "--concurrency out of 1..64",
    args: (c) => cf(c, "--concurrency", "0"),
    env: cfEnv,
    code: 2,
    stderr: "steptrail: --concurrency must be between 1 and 64, got 0"
  },
  {
    id: "usage.retries-range",
    group: "usage",
    title: "--retries out of 0..20",
    args: (c) => ["export", "onepin", "--base-url", c.main.onepin.baseUrl, "--workflow", c.main.onepin.workflow, "--retries", "21"],
    env: opEnv,
    code: 2,
    stderr: "steptrail: --retries must be between 0 and 20, got 21"
  },
  {
    id: "usage.timeout-range",
    group: "usage",
    title: "--timeout out of 1..3600",
    args: (c) => cf(c, "--timeout", "0"),
    env: cfEnv,
    code: 2,
    stderr: "steptrail: --timeout must be between 1 and 3600 seconds, got 0"
  },
  {
    id: "usage.rate-limit",
    group: "usage",
    title: "--rate-limit not N/DURATION",
    args: (c) => or(c, "--rate-limit", "lots"),
    env: orEnv,
    code: 2,
    stderr: `steptrail: --rate-limit must look like 1200/5m or 100/5s, got "lots"`
  },
  {
    id: "usage.since",
    group: "usage",
    title: "--since not an ISO 8601 time",
    args: (c) => cf(c, "--since", "yesterday"),
    env: cfEnv,
    code: 2,
    stderr: /^steptrail: --since must be an ISO 8601 date or time, .*; got "yesterday"$/
  },
  {
    id: "usage.until",
    group: "usage",
    title: "--until an impossible date",
    args: (c) => cf(c, "--until", "2026-13-45"),
    env: cfEnv,
    code: 2,
    stderr: /^steptrail: --until must be an ISO 8601 date or time, .*; got "2026-13-45"$/
  },
  {
    id: "usage.since-before-credentials",
    group: "usage",
    title: "--since not an ISO 8601 time, and no credentials: the usage error first",
    args: (c) => or(c, "--since", "soon 1"),
    env: () => ({}),
    code: 2,
    stderr: /^steptrail: --since must be an ISO 8601 date or time, .*; got "soon 1"$/
  },
  {
    id: "usage.base-url-unparseable",
    group: "usage",
    title: "--base-url that is not a URL (credentials in it are not echoed)",
    args: (c) => ["export", "orchestra", "--base-url", `https://me:${URL_PASSWORD}@orchestra example/api`, "--workflow", c.main.orchestra.workflow],
    env: orEnv,
    code: 2,
    stderr: `steptrail: orchestra: invalid request [base_url]: base URL "https://***@orchestra example/api" is not a URL`
  },
  {
    id: "usage.base-url-scheme",
    group: "usage",
    title: "--base-url that is not http(s)",
    args: (c) => ["export", "cloudflare", "--base-url", "ftp://api.cloudflare.com/client/v4", "--account-id", c.main.cloudflare.accountId, "--workflow", "w"],
    env: cfEnv,
    code: 2,
    stderr: "steptrail: cloudflare: invalid request [base_url]: base URL must be http(s), got ftp:"
  },
  {
    id: "usage.base-url-credentials",
    group: "usage",
    title: "--base-url with user:password in it",
    args: (c) => ["export", "onepin", "--base-url", `https://me:${URL_PASSWORD}@api.onepin.ai/api/v1`, "--workflow", c.main.onepin.workflow],
    env: opEnv,
    code: 2,
    stderr: "steptrail: onepin: invalid request [base_url]: base URL must not carry credentials; use the environment variables"
  },
  {
    id: "usage.insecure-base-url",
    group: "usage",
    title: "--base-url with plain http to a non-loopback host",
    args: (c) => ["export", "cloudflare", "--base-url", "http://api.cloudflare.example/client/v4", "--account-id", c.main.cloudflare.accountId, "--workflow", "w"],
    env: cfEnv,
    code: 2,
    stderr: "steptrail: cloudflare: invalid request [base_url]: base URL uses plain http to api.cloudflare.example: credentials would travel unencrypted; use https or pass --allow-insecure"
  },
  {
    id: "usage.insecure-env-base-url",
    group: "usage",
    title: "CLOUDFLARE_API_BASE_URL with plain http to a non-loopback host",
    args: (c) => ["export", "cloudflare", "--account-id", c.main.cloudflare.accountId, "--workflow", "order-pipeline"],
    env: () => ({ ...cfEnv(), CLOUDFLARE_API_BASE_URL: "http://10.1.2.3/client/v4" }),
    code: 2,
    stderr: "steptrail: cloudflare: invalid request [base_url]: base URL uses plain http to 10.1.2.3: credentials would travel unencrypted; use https or pass --allow-insecure"
  },
  {
    id: "usage.insecure-env-onepin",
    group: "usage",
    title: "ONEPIN_BASE_URL with plain http to a non-loopback host",
    args: (c) => ["export", "onepin", "--workflow", c.main.onepin.workflow],
    env: () => ({ ...opEnv(), ONEPIN_BASE_URL: "http://onepin.internal/api/v1" }),
    code: 2,
    stderr: "steptrail: onepin: invalid request [base_url]: base URL uses plain http to onepin.internal: credentials would travel unencrypted; use https or pass --allow-insecure"
  },
  {
    id: "usage.state-not-state",
    group: "usage",
    title: "--state naming a JSON file that is not a state file",
    setup: (c) => fs.writeFileSync(path.join(c.dir, "config.json"), `{"hello": "world"}\n`),
    args: (c) => cf(c, "--state", path.join(c.dir, "config.json")),
    env: cfEnv,
    code: 2,
    stderr: /^steptrail: state file .*config\.json is not a steptrail state file: version: is missing$/
  },
  {
    id: "usage.state-not-json",
    group: "usage",
    title: "--state naming a file that is not JSON",
    setup: (c) => fs.writeFileSync(path.join(c.dir, "notes.txt"), "remember the milk\n"),
    args: (c) => or(c, "--state", path.join(c.dir, "notes.txt")),
    env: orEnv,
    code: 2,
    stderr: /^steptrail: state file .*notes\.txt is not a steptrail state file: not valid JSON$/
  },
  {
    id: "usage.state-directory",
    group: "usage",
    title: "--state naming a directory",
    setup: (c) => fs.mkdirSync(path.join(c.dir, "state.d")),
    args: (c) => op(c, "--state", path.join(c.dir, "state.d")),
    env: opEnv,
    code: 2,
    stderr: /^steptrail: --state: .*state\.d is not a regular file$/
  },
  {
    id: "usage.out-is-state",
    group: "usage",
    title: "--out and --state naming one file (compared resolved), refused before any lock",
    out: false,
    args: (c) => cf(c, "--out", path.join(c.dir, "same.json"), "--state", `${c.dir}/./same.json`),
    env: cfEnv,
    code: 2,
    stderr: (c) =>
      `steptrail: --out and --state name the same file (${path.join(c.dir, "same.json")}): the records would overwrite the state; give each its own file`
  },
  {
    id: "usage.state-missing-directory",
    group: "usage",
    title: "--state in a directory that does not exist",
    args: (c) => cf(c, "--state", path.join(c.dir, "missing", "s.json")),
    env: cfEnv,
    code: 2,
    stderr: /^steptrail: cannot create state file .*\/missing\/s\.json: no such directory$/
  },
  {
    id: "usage.since-after-until",
    group: "usage",
    title: "--since after --until: no run can match",
    args: (c) => or(c, "--since", "2026-02-01", "--until", "2026-01-01T12:00:00Z"),
    env: orEnv,
    code: 2,
    stderr: "steptrail: --since 2026-02-01T00:00:00.000Z must be before --until 2026-01-01T12:00:00.000Z: no run was created in between"
  },
  {
    id: "usage.config-missing",
    group: "usage",
    title: "--config naming a file that does not exist",
    args: (c) => ["export", "--config", path.join(c.dir, "nope.json")],
    env: allEnv,
    code: 2,
    stderr: /^steptrail: config .*\/nope\.json: cannot read: no such file$/
  },
  {
    id: "usage.config-same-source",
    group: "usage",
    title: "a config file listing one source twice where a state is kept",
    setup: (c) =>
      fs.writeFileSync(
        path.join(c.dir, "twice.json"),
        JSON.stringify({ sources: ["first", "again"].map((name) => ({ name, provider: "orchestra", workflow: "wf" })) })
      ),
    args: (c) => ["export", "--config", path.join(c.dir, "twice.json"), "--state", path.join(c.dir, "s.json")],
    env: orEnv,
    code: 2,
    stderr: /^steptrail: config .*\/twice\.json: again is the same source as first \(orchestra\/-\/wf\); list it once$/
  },
  {
    id: "usage.gzip-name",
    group: "usage",
    title: "--gzip with an --out not ending in .gz",
    args: (c) => cf(c, "--gzip"),
    env: cfEnv,
    code: 2,
    stderr: /^steptrail: --gzip writes gzip: name the output FILE\.gz, not ".*\/runs\.ndjson" \(or drop --gzip\)$/
  },
  {
    id: "usage.emulator-port",
    group: "usage",
    title: "emulator --port outside 0..65535",
    args: () => ["emulator", "--port", "99999"],
    env: () => ({}),
    code: 2,
    stderr: "steptrail: --port must be between 0 and 65535, got 99999"
  },
  {
    id: "usage.emulator-count",
    group: "usage",
    title: "an emulator count below its least value, named as the flag",
    args: () => ["emulator", "--instances", "-1"],
    env: () => ({}),
    code: 2,
    stderr: "steptrail: --instances must be 0 or more, got -1"
  },

  // ---- ids ----------------------------------------------------------------------------------
  {
    id: "ids.dot-dot",
    group: "ids",
    title: "an instance id `..`",
    args: (c) => cf(c, "--instance", ".."),
    env: cfEnv,
    code: 2,
    stderr: (c) =>
      `steptrail: cloudflare: invalid request: path segment ".." is not a valid id (workflow ${c.main.cloudflare.workflow}, run ..)`
  },
  {
    id: "ids.dot",
    group: "ids",
    title: "a run id `.`",
    args: (c) => or(c, "--run", "."),
    env: orEnv,
    code: 2,
    stderr: (c) =>
      `steptrail: orchestra: invalid request: path segment "." is not a valid id (workflow ${c.main.orchestra.workflow}, run .)`
  },
  {
    id: "ids.empty",
    group: "ids",
    title: "an empty --instance",
    args: (c) => cf(c, "--instance", ""),
    env: cfEnv,
    code: 2,
    stderr: "steptrail: --instance must not be empty"
  },
  {
    id: "ids.too-long",
    group: "ids",
    title: "an instance id of 101 characters",
    args: (c) => cf(c, "--instance", "x".repeat(101)),
    env: cfEnv,
    code: 2,
    stderr: /^steptrail: cloudflare: invalid request \[instance_id\]: instance id must be 1 to 100 characters, got 101: "x{101}"$/
  },
  {
    id: "ids.onepin-run-not-uuid",
    group: "ids",
    title: "an Onepin run id that is not a UUID",
    args: (c) => op(c, "--run", "run-42"),
    env: opEnv,
    code: 2,
    stderr: `steptrail: onepin: invalid request [run_id]: run id "run-42" is not a UUID (run run-42)`
  },
  {
    id: "ids.onepin-workflow-not-uuid",
    group: "ids",
    title: "an Onepin workflow id that is not a UUID",
    args: (c) => ["export", "onepin", "--base-url", c.main.onepin.baseUrl, "--workflow", "../workflows", "--retries", "1"],
    env: opEnv,
    code: 2,
    stderr: `steptrail: onepin: invalid request [workflow_id]: workflow id "../workflows" is not a UUID`
  },
  {
    id: "ids.account",
    group: "ids",
    title: "a Cloudflare account id that is not 32 hex characters",
    args: (c) => ["export", "cloudflare", "--base-url", c.main.cloudflare.baseUrl, "--account-id", "my-account", "--workflow", "w"],
    env: cfEnv,
    code: 2,
    stderr: `steptrail: cloudflare: invalid request [account_id]: account id must be 32 hexadecimal characters, got "my-account"`
  },
  // ids that are encoded into one path segment: the emulator's getInstance / getRun answers 404
  {
    id: "ids.slash",
    group: "ids",
    title: "an instance id with `/` (one encoded segment: the instance is unknown)",
    args: (c) => cf(c, "--instance", "a/../../b"),
    env: cfEnv,
    code: 4,
    stderr: (c) =>
      `steptrail: cloudflare: not found (HTTP 404): Instance not found [10201] (workflow ${c.main.cloudflare.workflow}, run a/../../b)`
  },
  {
    id: "ids.encoded-slash",
    group: "ids",
    title: "an instance id `%2F` (sent as `%252F`, never decoded into a `/`)",
    args: (c) => cf(c, "--instance", "%2F"),
    env: cfEnv,
    code: 4,
    stderr: (c) =>
      `steptrail: cloudflare: not found (HTTP 404): Instance not found [10201] (workflow ${c.main.cloudflare.workflow}, run %2F)`
  },
  {
    id: "ids.question-mark",
    group: "ids",
    title: "a run id with `?` (no query string is made of it)",
    args: (c) => or(c, "--run", "r?limit=1"),
    env: orEnv,
    code: 4,
    stderr: (c) =>
      `steptrail: orchestra: not found (HTTP 404): Run not found (workflow ${c.main.orchestra.workflow}, run r?limit=1)`
  },
  {
    id: "ids.space",
    group: "ids",
    title: "an instance id with a space",
    args: (c) => cf(c, "--instance", "my instance"),
    env: cfEnv,
    code: 4,
    stderr: (c) =>
      `steptrail: cloudflare: not found (HTTP 404): Instance not found [10201] (workflow ${c.main.cloudflare.workflow}, run my instance)`
  },
  {
    id: "ids.workflow-slash",
    group: "ids",
    title: "a workflow name climbing the path (`../../x`)",
    args: (c) => ["export", "cloudflare", "--base-url", c.main.cloudflare.baseUrl, "--account-id", c.main.cloudflare.accountId, "--workflow", "../../x", "--retries", "1"],
    env: cfEnv,
    code: 4,
    stderr: "steptrail: cloudflare: not found (HTTP 404): Workflow not found [10200] (workflow ../../x)"
  },

  // ---- credentials --------------------------------------------------------------------------
  {
    id: "credentials.cloudflare-missing",
    group: "credentials",
    title: "no Cloudflare credentials",
    args: (c) => cf(c),
    env: () => ({}),
    code: 3,
    stderr: "steptrail: cloudflare: not authorized: no credentials: set CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY"
  },
  {
    id: "credentials.config-missing",
    group: "credentials",
    title: "a credentials variable a --config file names is not set",
    setup: (c) =>
      fs.writeFileSync(
        path.join(c.dir, "steptrail.json"),
        JSON.stringify({
          sources: [{ name: "prod", provider: "orchestra", workflow: c.main.orchestra.workflow, base_url: c.main.orchestra.baseUrl, credentials: { key_env: "ORCH_PROD_KEY" } }]
        })
      ),
    args: (c) => ["export", "--config", path.join(c.dir, "steptrail.json")],
    env: orEnv,
    code: 3,
    stderr: "steptrail: source prod: credentials variable ORCH_PROD_KEY is not set"
  },
  {
    id: "credentials.cloudflare-empty",
    group: "credentials",
    title: "CLOUDFLARE_API_TOKEN set but empty",
    args: (c) => cf(c),
    env: () => ({ CLOUDFLARE_API_TOKEN: "" }),
    code: 3,
    stderr: "steptrail: cloudflare: not authorized: no credentials: set CLOUDFLARE_API_TOKEN, or CLOUDFLARE_EMAIL and CLOUDFLARE_API_KEY"
  },
  {
    id: "credentials.cloudflare-wrong",
    group: "credentials",
    title: "a wrong Cloudflare token (401)",
    args: (c) => cf(c),
    env: () => ({ CLOUDFLARE_API_TOKEN: WRONG_TOKEN }),
    code: 3,
    stderr: (c) =>
      `steptrail: cloudflare: not authorized (HTTP 401): Authentication error [10000] (workflow ${c.main.cloudflare.workflow})`
  },
  {
    id: "credentials.cloudflare-wrong-key",
    group: "credentials",
    title: "a wrong Cloudflare global API key with an email (401)",
    args: (c) => cf(c),
    env: () => ({ CLOUDFLARE_EMAIL: "me@example.com", CLOUDFLARE_API_KEY: WRONG_TOKEN }),
    code: 3,
    stderr: (c) =>
      `steptrail: cloudflare: not authorized (HTTP 401): Authentication error [10000] (workflow ${c.main.cloudflare.workflow})`
  },
  {
    id: "credentials.cloudflare-other-account",
    group: "credentials",
    title: "a valid Cloudflare token on another account id (403)",
    args: (c) => ["export", "cloudflare", "--base-url", c.main.cloudflare.baseUrl, "--account-id", OTHER_ACCOUNT, "--workflow", c.main.cloudflare.workflow, "--retries", "1"],
    env: cfEnv,
    code: 3,
    stderr: (c) =>
      `steptrail: cloudflare: not authorized (HTTP 403): Unauthorized to access requested resource [9109] (workflow ${c.main.cloudflare.workflow})`
  },
  {
    id: "credentials.cloudflare-newline",
    group: "credentials",
    title: "a token with a pasted newline (cannot be sent as a header)",
    args: (c) => cf(c),
    env: () => ({ CLOUDFLARE_API_TOKEN: `${TOKEN}\nX-Injected: 1` }),
    code: 3,
    stderr: (c) =>
      `steptrail: cloudflare: not authorized: the credential sent as authorization contains characters an HTTP header cannot carry (a pasted newline?) (workflow ${c.main.cloudflare.workflow})`
  },
  {
    id: "credentials.orchestra-empty",
    group: "credentials",
    title: "ORCHESTRA_API_KEY set but empty",
    args: (c) => or(c),
    env: () => ({ ORCHESTRA_API_KEY: "" }),
    code: 3,
    stderr: "steptrail: orchestra: not authorized: no credentials: set ORCHESTRA_API_KEY"
  },
  {
    id: "credentials.orchestra-wrong",
    group: "credentials",
    title: "a wrong Orchestra key (401)",
    args: (c) => or(c),
    env: () => ({ ORCHESTRA_API_KEY: WRONG_TOKEN }),
    code: 3,
    stderr: (c) =>
      `steptrail: orchestra: not authorized (HTTP 401): Invalid or missing API key (workflow ${c.main.orchestra.workflow})`
  },
  {
    id: "credentials.onepin-missing",
    group: "credentials",
    title: "no ONEPIN_API_KEY",
    args: (c) => op(c),
    env: () => ({}),
    code: 3,
    stderr: "steptrail: onepin: not authorized: no credentials: set ONEPIN_API_KEY"
  },
  {
    id: "credentials.onepin-wrong",
    group: "credentials",
    title: "a wrong Onepin key (401)",
    args: (c) => op(c),
    env: () => ({ ONEPIN_API_KEY: WRONG_TOKEN }),
    code: 3,
    stderr: (c) =>
      `steptrail: onepin: not authorized (HTTP 401): Invalid or missing API key (unauthorized) (workflow ${c.main.onepin.workflow})`
  },
  {
    id: "credentials.onepin-workspace",
    group: "credentials",
    title: "an Onepin key used with another workspace (403)",
    args: (c) => op(c, "--workspace", NIL_UUID),
    env: opEnv,
    code: 3,
    stderr: (c) =>
      `steptrail: onepin: not authorized (HTTP 403): The API key does not belong to the workspace named by X-Workspace-Id (forbidden) (workflow ${c.main.onepin.workflow})`
  },

  // ---- provider answers ---------------------------------------------------------------------
  {
    id: "answers.cloudflare-workflow-404",
    group: "answers",
    title: "an unknown Cloudflare workflow (404)",
    args: (c) => ["export", "cloudflare", "--base-url", c.main.cloudflare.baseUrl, "--account-id", c.main.cloudflare.accountId, "--workflow", "no-such-pipeline", "--retries", "1"],
    env: cfEnv,
    code: 4,
    stderr: "steptrail: cloudflare: not found (HTTP 404): Workflow not found [10200] (workflow no-such-pipeline)"
  },
  {
    id: "answers.cloudflare-instance-404",
    group: "answers",
    title: "an unknown Cloudflare instance (404)",
    args: (c) => cf(c, "--instance", "no-such-instance"),
    env: cfEnv,
    code: 4,
    stderr: (c) =>
      `steptrail: cloudflare: not found (HTTP 404): Instance not found [10201] (workflow ${c.main.cloudflare.workflow}, run no-such-instance)`
  },
  {
    id: "answers.orchestra-run-404",
    group: "answers",
    title: "an unknown Orchestra run (404)",
    args: (c) => or(c, "--run", NIL_UUID),
    env: orEnv,
    code: 4,
    stderr: (c) =>
      `steptrail: orchestra: not found (HTTP 404): Run not found (workflow ${c.main.orchestra.workflow}, run ${NIL_UUID})`
  },
  {
    id: "answers.onepin-workflow-404",
    group: "answers",
    title: "an unknown Onepin workflow (404)",
    args: (c) => ["export", "onepin", "--base-url", c.main.onepin.baseUrl, "--workflow", NIL_UUID, "--retries", "1"],
    env: opEnv,
    code: 4,
    stderr: `steptrail: onepin: not found (HTTP 404): Workflow not found (not_found) (workflow ${NIL_UUID})`
  },
  {
    id: "answers.cloudflare-400",
    group: "answers",
    title: "a --status Cloudflare rejects (400)",
    args: (c) => cf(c, "--status", "bogus"),
    env: cfEnv,
    code: 2,
    stderr: /^steptrail: cloudflare: invalid request \(HTTP 400\): status must be one of queued, .* \[10400\] \(workflow [^,)]+\)$/
  },
  {
    id: "answers.onepin-422",
    group: "answers",
    title: "a --status Onepin rejects (422, Onepin's error shape)",
    args: (c) => op(c, "--status", "bogus"),
    env: opEnv,
    code: 2,
    stderr: (c) =>
      `steptrail: onepin: invalid request (HTTP 422) [status]: status: unknown status bogus; expected one of pending, running, completed, failed, cancelled, paused (workflow ${c.main.onepin.workflow})`
  },
  {
    id: "answers.onepin-422-fastapi",
    group: "answers",
    title: "a run id Onepin rejects (422, FastAPI's shape; the echoed token is redacted)",
    args: (c) => ["export", "onepin", "--base-url", `${c.stub.url}/onepin-fastapi/api/v1`, "--workflow", NIL_UUID, "--run", NIL_UUID, "--retries", "1"],
    env: opEnv,
    code: 2,
    stderr: `steptrail: onepin: invalid request (HTTP 422) [run_id]: run_id: Input should be a valid UUID, got [redacted] (workflow ${NIL_UUID})`
  },
  {
    id: "answers.onepin-426",
    group: "answers",
    title: "Onepin requires a newer client (426)",
    args: (c) => opAt(c.upgrade),
    env: opEnv,
    code: 1,
    stderr: (c) =>
      `steptrail: onepin: unexpected HTTP 426: this client is too old for the Onepin API (it requires version ${REQUIRED_VERSION}) (workflow ${c.main.onepin.workflow})`
  },
  {
    id: "answers.cloudflare-5xx",
    group: "answers",
    title: "Cloudflare answers 5xx, after retries",
    args: (c) => cfAt(c.faults.serverError),
    env: cfEnv,
    code: 5,
    stderr: /^steptrail: cloudflare: unavailable \(HTTP 50[023]\): Internal server error \[10001\] \(workflow [^,)]+\)$/
  },
  {
    id: "answers.orchestra-5xx",
    group: "answers",
    title: "Orchestra answers 5xx, after retries",
    args: (c) => orAt(c.faults.serverError),
    env: orEnv,
    code: 5,
    stderr: /^steptrail: orchestra: unavailable \(HTTP 50[023]\): .+ \(workflow [^,)]+\)$/
  },
  {
    id: "answers.onepin-5xx",
    group: "answers",
    title: "Onepin answers 5xx, after retries",
    args: (c) => opAt(c.faults.serverError),
    env: opEnv,
    code: 5,
    stderr: /^steptrail: onepin: unavailable \(HTTP 50[023]\): .+ \(internal_error\) \(workflow [^,)]+\)$/
  },
  {
    id: "answers.cloudflare-429",
    group: "answers",
    title: "Cloudflare answers 429 for longer than --rate-limit-patience",
    args: (c) => cfAt(c.faults.tooManyRequests, "--rate-limit-patience", "2"),
    env: cfEnv,
    code: 5,
    stderr: (c) =>
      `steptrail: cloudflare: rate limited (HTTP 429, retry after 1s): Please wait and consider throttling your request speed [971] (workflow ${c.main.cloudflare.workflow})`
  },
  {
    id: "answers.onepin-429",
    group: "answers",
    title: "Onepin answers 429 for longer than --rate-limit-patience",
    args: (c) => opAt(c.faults.tooManyRequests, "--rate-limit-patience", "2"),
    env: opEnv,
    code: 5,
    stderr: (c) => `steptrail: onepin: rate limited (HTTP 429, retry after 1s): Too many requests (rate_limited) (workflow ${c.main.onepin.workflow})`
  },

  // ---- bodies -------------------------------------------------------------------------------
  {
    id: "bodies.html",
    group: "bodies",
    title: "an HTML page instead of JSON, after retries",
    args: (c) => cfAt(c.faults.contentType),
    env: cfEnv,
    code: 1,
    stderr: (c) =>
      `steptrail: cloudflare: unexpected response from GET /cloudflare/client/v4/accounts/${c.main.cloudflare.accountId}/workflows/${c.main.cloudflare.workflow}/instances at $: expected JSON, got text/html; charset=utf-8 (workflow ${c.main.cloudflare.workflow})`
  },
  {
    id: "bodies.truncated-json",
    group: "bodies",
    title: "JSON cut in the middle (well framed), after retries",
    args: (c) => orAt(c.faults.malformed),
    env: orEnv,
    code: 1,
    stderr: /^steptrail: orchestra: unexpected response from GET \/orchestra\/api\/v1\/workflow\/workflows\/[0-9a-f-]+\/runs at \$: body is not valid JSON \(.+\) \(workflow [0-9a-f-]+\)$/
  },
  {
    id: "bodies.cut-connection",
    group: "bodies",
    title: "a body cut short by a closed connection, after retries",
    args: (c) => opAt(c.faults.truncated),
    env: opEnv,
    code: 5,
    stderr: (c) =>
      `steptrail: onepin: unavailable: the connection closed before the body was complete (workflow ${c.main.onepin.workflow})`
  },
  {
    id: "bodies.huge-declared",
    group: "bodies",
    title: "a body declaring 300 MB: refused from its Content-Length, not retried",
    args: (c) => ["export", "orchestra", "--base-url", `${c.stub.url}/huge-declared`, "--workflow", "w", "--retries", "3"],
    env: orEnv,
    code: 1,
    stderr: "steptrail: orchestra: unexpected response from GET /huge-declared/workflows/w/runs at $: body of 314572803 bytes exceeds the 67108864-byte limit (workflow w)",
    after: (c) => {
      if (c.stub.requests.get("huge-declared") !== 1) throw new Error(`huge-declared was requested ${c.stub.requests.get("huge-declared")} times`)
    }
  },
  {
    id: "bodies.huge-streamed",
    group: "bodies",
    // --quiet: reading 64 MiB on a loaded machine can pass five seconds, when a progress line is due
    title: "a 300 MB body without a length: reading stops at the 64 MiB limit, not retried",
    args: (c) => ["export", "orchestra", "--base-url", `${c.stub.url}/huge-stream`, "--workflow", "w", "--retries", "3", "--quiet"],
    env: orEnv,
    code: 1,
    stderr: "steptrail: orchestra: unexpected response from GET /huge-stream/workflows/w/runs at $: body exceeds the 67108864-byte limit (workflow w)",
    after: (c) => {
      if (c.stub.requests.get("huge-stream") !== 1) throw new Error(`huge-stream was requested ${c.stub.requests.get("huge-stream")} times`)
      const sent = c.stub.bytesSent.get("huge-stream") ?? 0
      if (sent >= Stub.HUGE_BYTES) throw new Error(`the whole ${sent}-byte body was sent: the client read it all`)
    }
  },

  {
    id: "bodies.cursor-repeats",
    group: "bodies",
    title: "a listing whose empty pages carry a cursor that comes back: followed, then refused rather than looping",
    args: (c) => ["export", "cloudflare", "--base-url", `${c.stub.url}/cf-cursor-loop`, "--account-id", OTHER_ACCOUNT, "--workflow", "w"],
    env: cfEnv,
    code: 1,
    stderr: "steptrail: cloudflare: unexpected response at $.result_info.cursor: cursor \"c-1\" came back twice; the listing would never end (workflow w)"
  },

  // ---- outputs ------------------------------------------------------------------------------
  {
    id: "outputs.missing-directory",
    group: "outputs",
    title: "--out in a directory that does not exist",
    out: false,
    args: (c) => cf(c, "--out", path.join(c.dir, "missing", "runs.ndjson")),
    env: cfEnv,
    code: 2,
    stderr: /^steptrail: cannot create .*\/missing\/runs\.ndjson: no such directory$/
  },
  {
    id: "outputs.directory",
    group: "outputs",
    title: "--out naming a directory",
    out: false,
    setup: (c) => fs.mkdirSync(path.join(c.dir, "runs")),
    args: (c) => or(c, "--out", path.join(c.dir, "runs")),
    env: orEnv,
    code: 2,
    stderr: /^steptrail: --out: .*\/runs is not a regular file$/
  },
  {
    id: "outputs.device",
    group: "outputs",
    title: "--out naming a device (/dev/full), not a regular file",
    out: false,
    args: (c) => op(c, "--out", "/dev/full"),
    env: opEnv,
    code: 2,
    stderr: "steptrail: --out: /dev/full is not a regular file"
  },
  {
    id: "outputs.stdout-full",
    group: "outputs",
    title: "stdout on a full disk (redirected to /dev/full)",
    out: false,
    stdoutFull: true,
    args: (c) => cf(c),
    env: cfEnv,
    code: 1,
    stderr: "steptrail: cannot write stdout: no space left on device"
  },
  {
    id: "outputs.file-too-large",
    group: "outputs",
    title: "--out hits a file size limit mid-export (ulimit -f 8: the write fails as on a full disk)",
    fileSizeLimitBlocks: 8,
    args: (c) => cf(c),
    env: cfEnv,
    code: 1,
    stderr: /^steptrail: cannot write .*\/runs\.ndjson: file too large$/
  },

  // ---- network ------------------------------------------------------------------------------
  {
    id: "network.reset",
    group: "network",
    title: "every connection reset, after retries",
    args: (c) => cfAt(c.faults.reset),
    env: cfEnv,
    code: 5,
    stderr: (c) =>
      `steptrail: cloudflare: unavailable: the connection was closed by the server (UND_ERR_SOCKET) (workflow ${c.main.cloudflare.workflow})`
  },
  {
    id: "network.refused",
    group: "network",
    title: "nothing listening at the base URL, after retries",
    args: (c) => ["export", "orchestra", "--base-url", `http://127.0.0.1:${c.closedPort}/api/v1/workflow`, "--workflow", "w", "--retries", "1"],
    env: orEnv,
    code: 5,
    stderr: "steptrail: orchestra: unavailable: connection refused (ECONNREFUSED) (workflow w)"
  },
  {
    id: "network.timeout",
    group: "network",
    title: "no answer within --timeout, after retries",
    args: (c) => [...opAt(c.faults.slow), "--timeout", "1"],
    env: opEnv,
    code: 5,
    stderr: (c) =>
      `steptrail: onepin: unavailable: no complete answer within 1s (workflow ${c.main.onepin.workflow})`
  }
]

/** `export` commands write to `--out` in the case's directory unless the case says otherwise. */
export const argsOf = (kase: ErrorCase, c: Ctx): Array<string> => {
  const args = [...kase.args(c)]
  const out = kase.out ?? args[0] === "export"
  return out ? [...args, "--out", path.join(c.dir, "runs.ndjson")] : args
}

export const matches = (expected: ErrorCase["stderr"], line: string, c: Ctx): boolean => {
  const e = typeof expected === "function" ? expected(c) : expected
  return typeof e === "string" ? line === e : e.test(line)
}

/** A fresh directory for one case. */
export const caseDir = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-err-"))

/** A case only a process can show: a file size limit is the process's own (`ulimit -f`). */
export const needsProcess = (kase: ErrorCase): boolean => kase.fileSizeLimitBlocks !== undefined

/**
 * Runs one case in-process (`Main.run`) with only the case's variables as its environment;
 * stdout on `/dev/full` is a stream opened on it.
 */
export const runCase = (kase: ErrorCase, c: Ctx, extraArgs: ReadonlyArray<string> = []): Effect.Effect<Result> => {
  if (needsProcess(kase)) return Effect.dieMessage(`${kase.id} can only run as a process: use runSpawned`)
  const args = [...argsOf(kase, c), ...extraArgs]
  if (kase.stdoutFull !== true) return InProcess.run(args, { env: kase.env(c) })
  return Effect.acquireUseRelease(
    Effect.sync(() => fs.createWriteStream("/dev/full")),
    (stdout) => InProcess.run(args, { env: kase.env(c), stdout }),
    (stdout) => Effect.sync(() => stdout.destroy())
  )
}

/**
 * Runs one case against the built CLI: a child with only PATH, HOME and the case's variables,
 * in the case's directory, killed after `timeoutMs`.
 */
export const runSpawned = (
  kase: ErrorCase,
  c: Ctx,
  extraArgs: ReadonlyArray<string> = [],
  timeoutMs = 30_000
): Effect.Effect<Result> =>
  Effect.async<Result>((resume) => {
    const args = [...argsOf(kase, c), ...extraArgs]
    const env = { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...kase.env(c) }
    // STEPTRAIL_BIN: a private copy of the bundle, for runs beside someone rebuilding dist/
    const bin = process.env.STEPTRAIL_BIN ?? BIN
    const [command, argv] = kase.fileSizeLimitBlocks === undefined
      ? [process.execPath, [bin, ...args]]
      : ["/bin/sh", ["-c", `ulimit -f ${kase.fileSizeLimitBlocks} && exec "$0" "$@"`, process.execPath, bin, ...args]]
    const stdoutFd = kase.stdoutFull === true ? fs.openSync("/dev/full", "w") : undefined
    const child = spawn(command as string, argv as Array<string>, {
      env,
      cwd: c.dir,
      stdio: ["ignore", stdoutFd ?? "pipe", "pipe"]
    })
    if (stdoutFd !== undefined) fs.closeSync(stdoutFd)
    const out: Array<Buffer> = []
    const err: Array<Buffer> = []
    child.stdout?.on("data", (chunk: Buffer) => out.push(chunk))
    child.stderr?.on("data", (chunk: Buffer) => err.push(chunk))
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs)
    child.on("close", (code) => {
      clearTimeout(timer)
      resume(Effect.succeed({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }))
    })
    return Effect.sync(() => child.kill("SIGKILL"))
  })

/** Every file under `dir`, relative, sorted (what a case left behind). */
export const listFiles = (dir: string): Array<string> =>
  (fs.readdirSync(dir, { recursive: true }) as Array<string>).map(String).sort()
