/**
 * Byte-for-byte answers: a digest of every status, header and body byte of a
 * fixed sequence of requests per scenario. The emulator's modules were split
 * with these answers unchanged; a digest that moves means an answer changed,
 * which is a decision to take on purpose (then update the digest).
 */
import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { createHash } from "node:crypto"
import { Emulator } from "@steptrail/emulator"
import { bearer, cf, op, or, tm } from "./helpers.js"

const VOLATILE = new Set(["date", "connection", "keep-alive"])

type Path = string | readonly [string, Readonly<Record<string, string>>]

/** The digest of the answers to `paths(em)`, fetched one after the other. */
const digest = (options: Emulator.Options, paths: (em: Emulator.Emulator) => ReadonlyArray<Path>) =>
  Effect.gen(function*() {
    const em = yield* Emulator.start(options)
    const hash = createHash("sha256")
    for (const entry of paths(em)) {
      const [url, headers] = typeof entry === "string" ? [entry, bearer(em.info.token)] : entry
      const res = yield* Effect.promise(() => fetch(url, { headers: { ...headers } }))
      const body = Buffer.from(yield* Effect.promise(() => res.arrayBuffer()))
      const kept = [...res.headers].filter(([k]) => !VOLATILE.has(k))
      hash.update(JSON.stringify([url.replace(/127\.0\.0\.1:\d+/, "HOST"), res.status, kept])).update(body)
    }
    return hash.digest("hex").slice(0, 16)
  })

const cloudflare = (em: Emulator.Emulator) => {
  const fx = em.fixtures.cloudflare
  const id = fx.instances.showcase!
  const s = fx.showcaseSteps
  return [
    `${em.info.cloudflare.baseUrl}/accounts/${fx.accountId}/workflows`,
    `${em.info.cloudflare.baseUrl}/accounts/${fx.accountId}/workflows/order-pipeline`,
    cf(em, "/instances"),
    cf(em, "/instances?per_page=3&page=2"),
    cf(em, "/instances?per_page=5&status=errored&direction=asc"),
    cf(em, "/instances?per_page=4&cursor=bzoxMDA"),
    cf(em, "/instances?date_start=2025-12-31T20:00:00Z&date_end=2025-12-31T21:00:00Z"),
    ...Object.values(fx.instances).map((i) => cf(em, `/instances/${i}`)),
    cf(em, `/instances/${id}?order=desc&simple=true`),
    ...Object.values(s).map((name) => cf(em, `/instances/${id}/step?name=${name}&type=step`)),
    cf(em, `/instances/${id}/step?name=${s.waitForEvent}&type=waitForEvent`),
    cf(em, `/instances/${id}/step?name=${s.retried}&type=step&attempt=1`),
    cf(em, `/instances/${fx.instances.retrying}/step?name=${fx.inflightSteps.retrying}&type=step`),
    cf(em, `/instances/${fx.instances.errored}/step?name=${fx.erroredSteps!.exhausted}&type=step`),
    [cf(em, "/instances"), {}],
    [cf(em, "/instances"), { "x-auth-email": "me@example.com", "x-auth-key": em.info.token }],
    `${em.info.cloudflare.baseUrl}/accounts/${"0".repeat(32)}/workflows`,
    `${em.info.cloudflare.baseUrl}/accounts/${fx.accountId}/workflows/nope/instances`,
    cf(em, "/instances?per_page=101"),
    cf(em, "/instances/nope"),
    cf(em, `/instances/${id}/step?name=nope-1&type=step`),
    cf(em, "/other")
  ] as const
}

const orchestra = (em: Emulator.Emulator) => {
  const fx = em.fixtures.orchestra
  return [
    `${em.info.orchestra.baseUrl}/workflows`,
    `${em.info.orchestra.baseUrl}/workflows/${fx.emptyWorkflow}`,
    or(em, "/runs?limit=5&offset=2"),
    ...[fx.runs.seedLike, fx.runs.failed, fx.runs.multiModel, fx.live[0]!.id].flatMap((r) => [or(em, `/runs/${r}`), or(em, `/runs/${r}/steps`)]),
    [or(em, "/runs"), {}],
    or(em, "/runs?limit=0"),
    or(em, "/runs/nope")
  ] as const
}

const onepin = (em: Emulator.Emulator) => {
  const fx = em.fixtures.onepin
  return [
    op(em, "/runs"),
    op(em, "/runs?sort=status&order=asc&limit=7&offset=3"),
    op(em, "/runs?status=failed,cancelled&sort=completed_at"),
    ...[fx.runs.iterations, fx.runs.failed, fx.runs.cancelled, fx.live[0]!.id].flatMap((r) => [op(em, `/runs/${r}`), op(em, `/runs/${r}/steps?include_result=true`)]),
    op(em, `/runs/${fx.runs.iterations}/steps?node_type=loop`),
    [op(em, "/runs"), {}],
    [op(em, "/runs"), { ...bearer(em.info.token), "x-workspace-id": "00000000-0000-4000-8000-000000000000" }],
    op(em, "/runs/not-a-uuid/steps"),
    op(em, "/runs?limit=0&order=up"),
    op(em, "/runs/00000000-0000-4000-8000-000000000000")
  ] as const
}

const temporal = (em: Emulator.Emulator) => {
  const fx = em.fixtures.temporal
  const history = (run: { readonly workflowId: string; readonly runId: string } | null, query = "") =>
    tm(em, `/workflows/${run!.workflowId}/history?execution.runId=${run!.runId}${query}`)
  return [
    tm(em, "/workflows?pageSize=20"),
    tm(em, "/workflow-count"),
    tm(em, `/workflows?query=${encodeURIComponent("ExecutionStatus = 'Failed' AND WorkflowType = 'OrderWorkflow'")}`),
    ...Object.values(fx.runs).flatMap((run) => [tm(em, `/workflows/${run!.workflowId}?execution.runId=${run!.runId}`), history(run, "&noPayloadShorthand")]),
    history(fx.runs.showcase),
    history(fx.continuedRun),
    history(fx.children.failed),
    tm(em, `/workflows/${fx.live[0]!.id}`),
    history({ workflowId: fx.live[0]!.id, runId: fx.live[0]!.runId }),
    [tm(em, "/workflows"), {}],
    tm(em, "/workflows?query=Foo%3D1"),
    tm(em, "/workflows/order-99999-000000"),
    tm(em, "/schedules")
  ] as const
}

const listings = (em: Emulator.Emulator) => [
  cf(em, "/instances?per_page=3"),
  ...em.fixtures.cloudflare.live.map((l) => cf(em, `/instances/${l.id}`)),
  or(em, "/runs?limit=3"),
  op(em, "/runs?limit=3")
]

describe("answers byte for byte", () => {
  it.scoped("the seeded data of every provider", () =>
    Effect.gen(function*() {
      expect({
        cloudflare: yield* digest({}, cloudflare),
        orchestra: yield* digest({}, orchestra),
        onepin: yield* digest({}, onepin),
        temporal: yield* digest({}, temporal),
        seed7: yield* digest({ seed: 7, cloudflare: { steps: 20, stepBody: "mixed", outputBytes: 4096 } }, cloudflare),
        upgrade: yield* digest({ onepin: { requiredVersion: "2.1.0" } }, onepin)
      }).toEqual({
        cloudflare: "41a7b3a753fed1c6",
        orchestra: "35ac7cb4b7a7c6c2",
        onepin: "63f9b4b4a8e8b272",
        temporal: "2a202ba10d35b087",
        seed7: "c44597480a29b0b1",
        upgrade: "e878ef2b65b47cb2"
      })
    }))

  it.scoped("live runs later on, and injected faults", () =>
    Effect.gen(function*() {
      const later = yield* digest({}, (em) => {
        Effect.runSync(em.advance(45_000))
        return listings(em)
      })
      const faults = yield* digest(
        { faults: { serverError: 0.2, tooManyRequests: 0.15, malformed: 0.1, contentType: 0.1, retryAfter: 3, seed: 11 } },
        (em) => [...orchestra(em), ...onepin(em), ...cloudflare(em)]
      )
      expect({ later, faults }).toEqual({ later: "b6a744ec04014dcf", faults: "d077022bb42f3dd7" })
    }))
})
