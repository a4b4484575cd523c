/**
 * Temporal as a `WorkflowProvider`: executions of a workflow type from the visibility listing,
 * and each execution's event history, paged, as records (activities, timers, signals, child
 * workflows, markers, updates, and how the execution closed).
 *
 * @since 0.3.0
 */
import type { HttpClient } from "@effect/platform"
import { Pagination, ProviderConfig, ProviderError, ProviderKit, type ProviderClient, WorkflowProvider } from "@steptrail/core"
import { Effect, Either, Option, type Redacted, Schema, type Scope, Stream } from "effect"
import * as mapping from "./internal/mapping.js"
import { DEFAULT_BASE_URL, DEFAULT_NAMESPACE, settings } from "./Settings.js"
import * as TemporalSchema from "./TemporalSchema.js"

/**
 * @since 0.3.0
 * @category models
 */
export interface Config extends ProviderKit.Config {
  /** `TEMPORAL_API_KEY`; a loopback address needs none. */
  readonly apiKey?: Redacted.Redacted<string> | undefined
  /** The HTTP API's base URL; `TEMPORAL_ADDRESS`. */
  readonly baseUrl?: string | undefined
  /** `TEMPORAL_NAMESPACE`; the records' `account`. */
  readonly namespace?: string | undefined
  /** A raw visibility list filter, ANDed with the others. */
  readonly query?: string | undefined
}

const provider = "temporal"

const decodeError = Schema.decodeEither(Schema.parseJson(TemporalSchema.ErrorStatus))

// grpc-gateway's `{code, message}`; no documented budget, and a 429 (RESOURCE_EXHAUSTED) pauses
const client: ProviderKit.ClientDefinition<Config> = {
  name: provider,
  defaultBaseUrl: DEFAULT_BASE_URL,
  auth: ProviderKit.bearer(provider, settings, (c: Config) => c.apiKey, {
    optional: (c) => ProviderConfig.isLoopback(c.baseUrl ?? DEFAULT_BASE_URL)
  }),
  describe: (answer) => ({ detail: Either.getOrElse(Either.map(decodeError(answer.body), (b) => b.message), () => `HTTP ${answer.status}`) })
}

const quote = (s: string) => `'${s.replace(/\\/g, "\\\\").replace(/'/g, "\\'")}'`

/**
 * The visibility query: the workflow type, the status, the start time window, the raw filter.
 *
 * @since 0.3.0
 * @category queries
 */
export const listQuery = (workflow: string, filter?: WorkflowProvider.RunFilter, raw?: string): string =>
  [
    `WorkflowType = ${quote(workflow)}`,
    ...(filter?.status ?? []).slice(0, 1).map((s) => `ExecutionStatus = ${quote(s)}`),
    ...(filter?.since === undefined ? [] : [`StartTime >= ${quote(filter.since.toISOString())}`]),
    ...(filter?.until === undefined ? [] : [`StartTime < ${quote(filter.until.toISOString())}`]),
    // parenthesized where an OR could otherwise widen the filters before it
    ...(raw === undefined || raw.trim() === "" ? [] : [/\bor\b/i.test(raw) ? `(${raw})` : raw.trim()])
  ].join(" AND ")

/**
 * `WORKFLOW_ID/RUN_ID` (the run id has no `/`, the workflow id may), or a workflow id alone
 * (its latest run).
 *
 * @since 0.3.0
 * @category runs
 */
export const parseAddress = (address: string): { readonly workflowId: string; readonly runId: string | undefined } => {
  const at = address.lastIndexOf("/")
  return at <= 0 ? { workflowId: address, runId: undefined } : { workflowId: address.slice(0, at), runId: address.slice(at + 1) }
}

const repeated = (workflow: string, run?: string) => (token: string): ProviderError.ProviderError =>
  new ProviderError.DecodeFailure({ provider, path: "$.nextPageToken", detail: `page token ${JSON.stringify(token.slice(0, 80))} came back twice`, workflow, run })

/**
 * Builds the provider; a missing key (off loopback) is `Unauthorized` and a bad address
 * `InvalidRequest`, here, before any request.
 *
 * @since 0.3.0
 * @category constructors
 */
export const make = (
  config: Config
): Effect.Effect<WorkflowProvider.Service, ProviderError.ProviderError, HttpClient.HttpClient | Scope.Scope> =>
  Effect.gen(function*() {
    const http: ProviderClient.ProviderClient = yield* ProviderKit.client(client, config)
    const namespace = config.namespace ?? DEFAULT_NAMESPACE
    const base = ["api", "v1", "namespaces", namespace, "workflows"]

    const runs = (workflow: string, filter?: WorkflowProvider.RunFilter) =>
      Pagination.cursor((token) =>
        http.json({
          path: base,
          query: { query: listQuery(workflow, filter, config.query), nextPageToken: Option.getOrUndefined(token) },
          workflow
        }, TemporalSchema.ListPage).pipe(Effect.map((page) => ({ items: page.executions ?? [], next: page.nextPageToken }))), repeated(workflow)).pipe(
          Stream.map((info) => mapping.toRunRef(namespace, workflow, info))
        )

    const describe = (workflow: string, id: string, address: string) => {
      const { runId, workflowId } = parseAddress(address)
      return http.json({ path: [...base, workflowId], query: { "execution.runId": runId }, workflow, run: id }, TemporalSchema.Describe).pipe(
        Effect.map((body) => mapping.toRunRef(namespace, workflow, body.workflowExecutionInfo))
      )
    }

    // A bare id is a workflow id (its latest run) or, failing that, a run id of the type
    const byRunId = (workflow: string, id: string) =>
      http.json({ path: base, query: { query: `${listQuery(workflow)} AND RunId = ${quote(id)}` }, workflow, run: id }, TemporalSchema.ListPage).pipe(
        Effect.flatMap((page) =>
          page.executions?.[0] === undefined
            ? Effect.fail(new ProviderError.NotFound({ provider, detail: "no such workflow or run", workflow, run: id }))
            : Effect.succeed(mapping.toRunRef(namespace, workflow, page.executions[0]))
        )
      )

    const lookup = (workflow: string, ids: ReadonlyArray<string>, options?: WorkflowProvider.LookupOptions) =>
      WorkflowProvider.lookupEach(ids, (id) => {
        const address = options?.locators?.get(id) ?? id
        return address.includes("/")
          ? describe(workflow, id, address)
          : Effect.catchTag(describe(workflow, id, address), "NotFound", () => byRunId(workflow, id))
      })

    const count = (workflow: string, filter?: WorkflowProvider.RunFilter) =>
      http.json({ path: ["api", "v1", "namespaces", namespace, "workflow-count"], query: { query: listQuery(workflow, filter, config.query) }, workflow }, TemporalSchema.Count)
        .pipe(Effect.map((body) => Number(body.count ?? "0")))

    const stepStream = (run: WorkflowProvider.RunRef) =>
      Stream.suspend(() => {
        const { runId, workflowId } = parseAddress(run.locator ?? run.id)
        const history = mapping.history(run, workflowId)
        const pages = Pagination.cursor((token) =>
          http.json({
            path: [...base, workflowId, "history"],
            query: { "execution.runId": runId ?? run.id, nextPageToken: Option.getOrUndefined(token), noPayloadShorthand: true },
            workflow: run.workflow,
            run: run.id
          }, TemporalSchema.HistoryPage).pipe(Effect.map((page) => ({ items: [page.history?.events ?? []], next: page.nextPageToken }))), repeated(run.workflow, run.id))
        return Stream.concat(Stream.mapConcat(pages, history.add), Stream.suspend(() => Stream.fromIterable(history.flush())))
      })

    return {
      provider,
      account: namespace,
      runs,
      lookup,
      count,
      stepStream,
      steps: (run) => WorkflowProvider.collect(stepStream(run)),
      budget: http.budget
    } satisfies WorkflowProvider.Service
  })

/**
 * The provider's layers (`ProviderKit`): `layer(config)`, `layerConfig(overrides?)` from
 * `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE` and `TEMPORAL_API_KEY`, `resolveConfig` and
 * `fromSettings`, the registry descriptor's `make`.
 *
 * @since 0.3.0
 * @category layers
 */
export const { fromSettings, layer, layerConfig, resolveConfig } = ProviderKit.make<Config>({ name: provider, settings, make })
