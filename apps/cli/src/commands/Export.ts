import { Command, Options } from "@effect/cli"
import type { HttpClient } from "@effect/platform"
import { Cloudflare } from "@steptrail/cloudflare"
import { WorkflowProvider } from "@steptrail/core"
import { Onepin } from "@steptrail/onepin"
import { Orchestra } from "@steptrail/orchestra"
import { Effect, type Layer, Option } from "effect"
import { withCompletionValues } from "../CommandTree.js"
import * as SourcesConfig from "../SourcesConfig.js"
import {
  checkEnvBaseUrl,
  common,
  type CommonFlags,
  connection,
  parseInstant,
  refuseEmptyIds,
  runExport,
  usage
} from "./Common.js"

const workflow = (what: string, placeholder: string) =>
  Options.text("workflow").pipe(Options.withDescription(what), Options.withPseudoName(placeholder))
const runIds = (name: string, what: string) =>
  Options.text(name).pipe(Options.withDescription(what), Options.withPseudoName("ID"), Options.repeated)

/** Builds the provider from its layer, then exports the one source. */
const exportWith = <E>(
  layer: Layer.Layer<WorkflowProvider.WorkflowProvider, E, HttpClient.HttpClient>,
  source: { readonly workflow: string; readonly runIds: ReadonlyArray<string>; readonly filter?: WorkflowProvider.RunFilter },
  flags: CommonFlags,
  fullOutput = false
) =>
  Effect.gen(function*() {
    const provider = yield* WorkflowProvider.WorkflowProvider
    return yield* runExport([{ provider, ...source }], flags, { fullOutput })
  }).pipe(Effect.provide(layer))

const cloudflare = Command.make(
  "cloudflare",
  {
    ...common,
    accountId: Options.text("account-id").pipe(
      Options.withDescription("Cloudflare account id (or CLOUDFLARE_ACCOUNT_ID)."),
      Options.withPseudoName("ID"),
      Options.optional
    ),
    workflow: workflow("Workflow name.", "NAME"),
    instance: runIds("instance", "Export only this instance (repeatable)."),
    status: Options.text("status").pipe(
      Options.withDescription("Only instances in this status (queued, running, paused, errored, terminated, complete, waitingForPause, waiting)."),
      Options.withPseudoName("STATUS"),
      Options.optional,
      withCompletionValues(["queued", "running", "paused", "errored", "terminated", "complete", "waitingForPause", "waiting"])
    ),
    since: Options.text("since").pipe(Options.withDescription("Only instances created at or after this ISO 8601 time."), Options.withPseudoName("TIME"), Options.optional),
    until: Options.text("until").pipe(Options.withDescription("Only instances created before this ISO 8601 time."), Options.withPseudoName("TIME"), Options.optional),
    fullOutput: Options.boolean("full-output").pipe(
      Options.withDescription("Fetch the full, untruncated output of every step whose logged output is only a preview.")
    )
  },
  (flags) =>
    Effect.gen(function*() {
      const conn = yield* connection(flags)
      yield* refuseEmptyIds("--instance")
      if (Option.isNone(flags.baseUrl)) yield* checkEnvBaseUrl(["CLOUDFLARE_API_BASE_URL", "CLOUDFLARE_BASE_URL"], flags.allowInsecure)
      const since = yield* parseInstant("--since", flags.since)
      const until = yield* parseInstant("--until", flags.until)
      const layer = Cloudflare.layerConfig({ ...conn, accountId: Option.getOrUndefined(flags.accountId) })
      const filter = { status: Option.toArray(flags.status), since, until }
      return yield* exportWith(layer, { workflow: flags.workflow, runIds: flags.instance, filter }, flags, flags.fullOutput)
    })
).pipe(
  Command.withDescription(
    "Export the step logs of Cloudflare Workflows instances.\n\n" +
      "Examples:\n" +
      "  steptrail export cloudflare --account-id 0123456789abcdef0123456789abcdef --workflow order-pipeline --out runs.ndjson\n" +
      "  steptrail export cloudflare --workflow order-pipeline --status errored --since 2026-01-01 --full-output | jq .error"
  )
)

const orchestra = Command.make(
  "orchestra",
  { ...common, workflow: workflow("Workflow id.", "ID"), run: runIds("run", "Export only this run (repeatable).") },
  (flags) =>
    Effect.gen(function*() {
      const conn = yield* connection(flags)
      yield* refuseEmptyIds("--run")
      if (Option.isNone(flags.baseUrl)) yield* checkEnvBaseUrl(["ORCHESTRA_BASE_URL"], flags.allowInsecure)
      return yield* exportWith(Orchestra.layerConfig(conn), { workflow: flags.workflow, runIds: flags.run }, flags)
    })
).pipe(
  Command.withDescription(
    "Export the executed nodes of Arcee Orchestra workflow runs.\n\n" +
      "Example:\n  ORCHESTRA_API_KEY=... steptrail export orchestra --workflow 6f1c... --out runs.ndjson"
  )
)

const onepin = Command.make(
  "onepin",
  {
    ...common,
    workflow: workflow("Workflow id (a UUID).", "ID"),
    run: runIds("run", "Export only this run (repeatable)."),
    status: Options.text("status").pipe(
      Options.withDescription("Only runs in these statuses, comma-separated (pending, running, completed, failed, cancelled, paused)."),
      Options.withPseudoName("STATUS[,STATUS...]"),
      Options.optional,
      withCompletionValues(["pending", "running", "completed", "failed", "cancelled", "paused"])
    ),
    workspace: Options.text("workspace").pipe(
      Options.withDescription("Workspace id sent as X-Workspace-Id (or ONEPIN_WORKSPACE_ID); must match the API key's."),
      Options.withPseudoName("ID"),
      Options.optional
    )
  },
  (flags) =>
    Effect.gen(function*() {
      const conn = yield* connection(flags)
      yield* refuseEmptyIds("--run")
      if (Option.isNone(flags.baseUrl)) yield* checkEnvBaseUrl(["ONEPIN_BASE_URL"], flags.allowInsecure)
      const layer = Onepin.layerConfig({ ...conn, workspaceId: Option.getOrUndefined(flags.workspace) })
      // sent to the server as given (a comma list); a word it does not know is its 422
      const filter = { status: Option.toArray(flags.status).flatMap((s) => s.split(",").map((w) => w.trim())) }
      return yield* exportWith(layer, { workflow: flags.workflow, runIds: flags.run, filter }, flags)
    })
).pipe(
  Command.withDescription(
    "Export the node executions of Onepin workflow runs.\n\n" +
      "Example:\n  ONEPIN_API_KEY=op_live_... steptrail export onepin --workflow 3fa85f64-5717-4562-b3fc-2c963f66afa6 --status failed --out failed.ndjson"
  )
)

const config = Options.file("config").pipe(
  Options.withDescription("A JSON file of sources (provider, account or workspace, workflow, filters, credential variables, rate limit) exported into one output; see docs/config.md."),
  Options.optional
)

export const exportCommand = Command.make("export", { ...common, config }, (flags) =>
  Effect.gen(function*() {
    if (Option.isNone(flags.config)) {
      return yield* usage("export needs a provider (cloudflare, orchestra, onepin) or --config FILE")
    }
    const file = yield* SourcesConfig.load(flags.config.value)
    const conn = yield* connection(flags)
    const shared = { retry: conn.retry, timeout: conn.timeout, allowInsecure: flags.allowInsecure }
    const sources = yield* Effect.forEach(file.sources, (source, i) => SourcesConfig.toSource(source, i, shared))
    const merged = {
      ...flags,
      out: Option.orElse(flags.out, () => Option.fromNullable(file.out)),
      concurrency: file.concurrency !== undefined && flags.concurrency === 4 ? file.concurrency : flags.concurrency
    }
    return yield* runExport(sources, merged, {})
  })).pipe(
    Command.withDescription(
      "Export step records of workflow runs as NDJSON to stdout or --out FILE: one provider (subcommand), or several sources from a config file.\n\n" +
        "Example:\n  steptrail export --config steptrail.json --out all.ndjson --state all.state.json"
    ),
    Command.withSubcommands([cloudflare, orchestra, onepin])
  )
