/**
 * The raw Cloudflare Workflows API: one typed call per endpoint, over the project's
 * `ProviderClient`. Ids are checked before any request; answers are decoded with
 * `CloudflareSchema` and otherwise returned as the API gave them.
 *
 * @since 0.1.0
 */
import { ErrorBody, ProviderClient, type ProviderError } from "@steptrail/core"
import { Effect, Schema } from "effect"
import * as CloudflareSchema from "./CloudflareSchema.js"
import * as validate from "./internal/validate.js"

/**
 * @since 0.1.0
 * @category models
 */
export interface ListParams {
  /** The opaque cursor from the previous page's `result_info.cursor`. */
  readonly cursor?: string | undefined
  /** 1..100. */
  readonly perPage?: number | undefined
  /** One instance status word. */
  readonly status?: string | undefined
  /** ISO 8601 UTC. */
  readonly dateStart?: string | undefined
  /** ISO 8601 UTC. */
  readonly dateEnd?: string | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface InstancePage {
  readonly items: ReadonlyArray<CloudflareSchema.InstanceListItem>
  /** The next page's cursor; null at the end. */
  readonly cursor: string | null
  /** `result_info.total_count`: every instance the query matches, where the API says. */
  readonly total: number | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface StepOutputParams {
  /** The exact logged name, counter suffix included. */
  readonly name: string
  readonly type: "step" | "waitForEvent"
  /** A specific attempt (> 0). */
  readonly attempt?: number | undefined
}

/**
 * The `/step` answer: a JSON body (flat or enveloped, reduced to its own fields), or the raw
 * bytes of a step that returned a `ReadableStream`.
 *
 * @since 0.1.0
 * @category models
 */
export type StepOutput =
  | {
    readonly _tag: "Json"
    readonly status: string
    readonly error: CloudflareSchema.StepError | null
    /** `undefined` when the body had no `output`. */
    readonly output: unknown
  }
  | {
    readonly _tag: "Bytes"
    readonly contentType: string
    readonly bytes: Uint8Array
  }

/**
 * @since 0.1.0
 * @category models
 */
export interface CloudflareApi {
  readonly accountId: string
  /** `GET /accounts/{a}/workflows/{w}/instances`: one page. */
  readonly listInstances: (workflow: string, params?: ListParams) => Effect.Effect<InstancePage, ProviderError.ProviderError>
  /** `GET .../instances/{id}`: status and step logs. */
  readonly getInstance: (
    workflow: string,
    id: string,
    options?: { readonly order?: "asc" | "desc" | undefined }
  ) => Effect.Effect<CloudflareSchema.Instance, ProviderError.ProviderError>
  /** `GET .../instances/{id}?simple=true`: status without the steps. */
  readonly getInstanceSummary: (
    workflow: string,
    id: string
  ) => Effect.Effect<CloudflareSchema.InstanceSummary, ProviderError.ProviderError>
  /** `GET .../instances/{id}/step`: the full output of one step. */
  readonly getStepOutput: (
    workflow: string,
    id: string,
    params: StepOutputParams
  ) => Effect.Effect<StepOutput, ProviderError.ProviderError>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Options {
  readonly accountId: string
  readonly client: ProviderClient.ProviderClient
}

/** Which member of the union a body is (a flat body may carry undeclared keys, even `result`). */
const isEnveloped = Schema.is(CloudflareSchema.Envelope(CloudflareSchema.StepOutput))

/**
 * Builds the API over a configured client. Fails with `InvalidRequest` for a malformed account
 * id, before any request.
 *
 * @since 0.1.0
 * @category constructors
 */
export const make = (options: Options): Effect.Effect<CloudflareApi, ProviderError.InvalidRequest> =>
  Effect.map(validate.accountId(options.accountId), (accountId) => {
    const { client } = options
    const base = ["accounts", accountId, "workflows"]
    const provider = client.provider

    const instancePath = (workflow: string, id: string) =>
      Effect.all([validate.workflowName(workflow), validate.instanceId(id)]).pipe(
        Effect.map(([w, i]) => [...base, w, "instances", i])
      )

    const listInstances = (workflow: string, params: ListParams = {}) =>
      validate.workflowName(workflow).pipe(
        Effect.flatMap((w) =>
          client.json({
            path: [...base, w, "instances"],
            workflow,
            query: {
              per_page: params.perPage,
              cursor: params.cursor,
              status: params.status,
              date_start: params.dateStart,
              date_end: params.dateEnd
            }
          }, CloudflareSchema.InstanceListResponse)
        ),
        Effect.map((body): InstancePage => ({
          items: body.result,
          cursor: body.result_info?.cursor ?? null,
          total: body.result_info?.total_count ?? undefined
        }))
      )

    const getInstance = (workflow: string, id: string, opts: { readonly order?: "asc" | "desc" | undefined } = {}) =>
      instancePath(workflow, id).pipe(
        Effect.flatMap((path) =>
          client.json({ path, query: { order: opts.order }, workflow, run: id }, CloudflareSchema.InstanceResponse)
        ),
        Effect.map((body) => body.result)
      )

    const getInstanceSummary = (workflow: string, id: string) =>
      instancePath(workflow, id).pipe(
        Effect.flatMap((path) =>
          client.json({ path, query: { simple: "true" }, workflow, run: id }, CloudflareSchema.InstanceSummaryResponse)
        ),
        Effect.map((body) => body.result)
      )

    // JSON (flat or enveloped) or raw bytes; anything else is a proxy's page or a cut body
    const parseStepOutput = (context: { readonly workflow: string; readonly run: string }) => {
      const json = ProviderClient.parseJson(provider, CloudflareSchema.StepOutputResponse, context)
      return (body: ProviderClient.Body): Effect.Effect<StepOutput, ProviderError.ProviderError> => {
        const type = body.contentType.split(";")[0]!.trim().toLowerCase()
        if (type === "application/octet-stream") {
          return Effect.succeed({ _tag: "Bytes", contentType: body.contentType, bytes: body.bytes })
        }
        return json(body).pipe(
          Effect.map((decoded): StepOutput => {
            const fields = isEnveloped(decoded) ? decoded.result : decoded as CloudflareSchema.StepOutput
            return { _tag: "Json", status: fields.status, error: fields.error ?? null, output: fields.output }
          })
        )
      }
    }

    const getStepOutput = (workflow: string, id: string, params: StepOutputParams) =>
      Effect.all([instancePath(workflow, id), validate.stepName(params.name)]).pipe(
        Effect.flatMap(([path]) =>
          client.get(
            {
              path: [...path, "step"],
              query: { name: params.name, type: params.type, attempt: params.attempt },
              workflow,
              run: id
            },
            "application/json, application/octet-stream",
            parseStepOutput({ workflow, run: id })
          )
        )
      )

    return { accountId, listInstances, getInstance, getInstanceSummary, getStepOutput }
  })

/**
 * Reads Cloudflare's error envelope: every `errors[].message` with its `[code]`, or the
 * status text when the body says nothing usable (a proxy's HTML page, an empty body).
 *
 * @since 0.1.0
 * @category errors
 */
export const describe = (answer: ProviderClient.ErrorAnswer): ProviderClient.Described => {
  let parsed: unknown
  try {
    parsed = JSON.parse(answer.body)
  } catch {
    parsed = undefined
  }
  const errors = (parsed as { errors?: unknown } | undefined)?.errors
  if (Array.isArray(errors)) {
    const lines = errors.flatMap((e: unknown) => {
      if (typeof e !== "object" || e === null) return typeof e === "string" && e !== "" ? [e] : []
      const { code, message } = e as { code?: unknown; message?: unknown }
      if (typeof message !== "string" || message === "") return []
      return [code === undefined || code === null ? message : `${message} [${String(code)}]`]
    })
    if (lines.length > 0) return { detail: lines.join("; ") }
  }
  return { detail: ErrorBody.statusText(answer.status) }
}
