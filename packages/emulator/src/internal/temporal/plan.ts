/**
 * Temporal data: a run ordinal is an `OrderWorkflow` execution, plus the
 * `ShipmentWorkflow` children it starts and, for one fixture, the run it
 * continues as new into; each is a history derived from (seed, ordinal),
 * made of the scenes of `scenes.ts`. Live runs are cut at the virtual now by
 * `view.ts`.
 *
 * @internal
 */
import { Rng, Tag } from "../random.js"
import * as Runs from "../runs.js"
import type { Execution } from "./execution.js"
import { begin, execution, type Ids, MAIN_WORKER, spawn } from "./execution.js"
import type { Config, Key } from "./model.js"
import { Fixture, MAIN_TYPE, runIdOf, SCHEDULE, taskQueue } from "./model.js"
import * as P from "./payloads.js"

export type { Execution } from "./execution.js"

/** A run ordinal's executions: the run first, then its children, then the run it continued as new into. */
export interface RunPlan {
  readonly ordinal: number
  readonly executions: ReadonlyArray<Execution>
}

const order = (rng: Rng, ordinal: number) => ({
  orderId: `ord_${rng.hex(10)}`,
  customer: `cus_${rng.hex(8)}`,
  items: rng.int(1, 6),
  totalCents: rng.int(500, 250_000),
  ordinal
})

const pdf = (rng: Rng): Buffer => Buffer.concat([Buffer.from("%PDF-1.7\n"), rng.bytes(rng.int(40, 120))])

/** The shape of a historic run that is not a fixture. */
type Final = "completed" | "failed" | "terminated" | "timedOut" | "canceled"

const finalOf = (ordinal: number, rng: Rng): Final => {
  if (ordinal === Fixture.failed) return "failed"
  if (ordinal === Fixture.timedOut) return "timedOut"
  if (ordinal === Fixture.canceled) return "canceled"
  if (ordinal === Fixture.terminated) return "terminated"
  if (ordinal < 9) return "completed"
  const r = rng.next()
  return r < 0.08 ? "failed" : r < 0.11 ? "terminated" : r < 0.13 ? "timedOut" : r < 0.15 ? "canceled" : "completed"
}

export const buildRun = (config: Config, ordinal: number): RunPlan => {
  const live = ordinal >= config.runs
  const ids: Ids = { seed: config.seed, ordinal, live, encrypted: ordinal === Fixture.encrypted && !live }
  const rng = Rng.at(config.seed, Tag.tmRun, ordinal, 2)
  const created = Runs.createdAt(SCHEDULE, config.seed, config.runs, ordinal)
  const final: Final = live ? "completed" : finalOf(ordinal, rng)
  const timeoutMs = final === "timedOut" ? 3_600_000 : undefined
  const data = order(rng, ordinal)
  const run = begin(ids, "main", created, (s) => ({
    workflowType: { name: MAIN_TYPE },
    input: s.values(data),
    workflowExecutionTimeout: timeoutMs === undefined ? undefined : "3600s",
    memo: { fields: { customer: P.one(s.value({ id: data.customer })) } },
    // search attributes are never encoded by a codec, and carry their type
    searchAttributes: { indexedFields: { CustomerTier: P.one({ ...P.json(rng.pick(["gold", "silver"])), meta: { type: "Keyword" } }) } }
  }), MAIN_WORKER, "GoSDK")
  const s = run.s
  const children: Array<Execution> = []
  let k = 0
  const addChild = (fails: boolean) => children.push(spawn(ids, run, k++, config.namespace, fails).execution)
  const extra: Partial<Execution> = { memo: run.s.b.events[0]!.attrs["memo"], searchAttributes: run.s.b.events[0]!.attrs["searchAttributes"], timeoutMs }
  let next: Execution | undefined

  s.activity("ReserveInventory", s.values({ orderId: data.orderId, items: data.items }), {
    kind: "completed",
    attempts: ordinal === Fixture.showcase || live ? 3 : rng.chance(0.15) ? rng.int(2, 4) : 1,
    result: s.value({ reservationId: `res_${rng.hex(8)}` })
  })
  if (live) {
    s.timer(20_000, "let the customer add items")
    s.signal("addGiftNote", s.values({ note: "Happy birthday!" }))
    s.activity("ChargePayment", s.values({ cents: data.totalCents }), { kind: "completed", attempts: 2, result: s.value({ chargeId: `ch_${rng.hex(12)}` }) })
    addChild(false)
    s.update("setDeliveryWindow", s.values({ from: "09:00", to: "12:00" }), true)
    s.activity("SendConfirmationEmail", s.values({ to: "customer@example.com" }), { kind: "completed" })
    s.completed(s.values({ status: "fulfilled", orderId: data.orderId }))
  } else if (ordinal === Fixture.showcase || ordinal === Fixture.encrypted) {
    s.marker("Version")
    s.timer(45_000, "wait for the fraud check window")
    s.signal("addItem", s.values({ sku: "SKU-1042", qty: 2 }))
    s.marker("SideEffect")
    s.marker("LocalActivity")
    s.activity("ChargePayment", s.values({ cents: data.totalCents }), {
      kind: "completed",
      // json/plain keeps integers beyond 2^53 exactly as the worker wrote them
      result: s.value(null, `{"chargeId":"ch_${rng.hex(12)}","ledgerSequence":18446744073709551557}`)
    })
    addChild(false)
    s.update("setShippingAddress", s.values({ city: "Lyon", postalCode: "69002" }), true)
    s.update("setShippingAddress", s.values({ city: "Nowhere" }), false)
    s.activity("GenerateInvoicePdf", s.values({ orderId: data.orderId }), { kind: "completed", result: s.bytes(pdf(rng)) })
    s.activity("SendConfirmationEmail", s.values({ to: "customer@example.com" }), { kind: "completed", result: s.nothing() })
    s.completed(s.values({ status: "fulfilled", orderId: data.orderId }))
  } else if (ordinal === Fixture.continuedAsNew) {
    s.activity("ChargePayment", s.values({ cents: data.totalCents }), { kind: "completed", result: s.value({ chargeId: `ch_${rng.hex(12)}` }) })
    const nextRunId = runIdOf(ids.seed, ordinal, "next")
    const input = s.values({ ...data, phase: "shipping" })
    s.b.add("WorkflowExecutionContinuedAsNew", {
      newExecutionRunId: nextRunId,
      workflowType: { name: MAIN_TYPE },
      taskQueue,
      input,
      workflowTaskTimeout: "10s",
      workflowTaskCompletedEventId: String(s.b.wftDone),
      initiator: "CONTINUE_AS_NEW_INITIATOR_WORKFLOW"
    }, { after: 1 })
    const n = begin(ids, "next", s.b.t + rng.int(10, 50), () => ({
      workflowType: { name: MAIN_TYPE },
      input,
      continuedExecutionRunId: run.runId,
      initiator: "CONTINUE_AS_NEW_INITIATOR_WORKFLOW",
      firstExecutionRunId: run.runId
    }), MAIN_WORKER, "GoSDK")
    n.s.activity("SendConfirmationEmail", n.s.values({ to: "customer@example.com" }), { kind: "completed" })
    n.s.completed(n.s.values({ status: "fulfilled", orderId: data.orderId }))
    next = execution(ids, "next", n, MAIN_TYPE, { firstRunId: run.runId, root: { workflowId: run.workflowId, runId: run.runId } })
  } else if (ordinal === Fixture.childFailed) {
    s.activity("ChargePayment", s.values({ cents: data.totalCents }), { kind: "completed", result: s.value({ chargeId: `ch_${rng.hex(12)}` }) })
    addChild(true)
    s.activity("RefundPayment", s.values({ cents: data.totalCents }), { kind: "completed", result: s.value({ refunded: true }) })
    s.completed(s.values({ status: "refunded", orderId: data.orderId }))
  } else if (ordinal === Fixture.longHistory) {
    for (let i = 0; i < 120; i++) s.activity("ProcessLineItem", s.values({ line: i + 1 }), { kind: "completed", result: s.value({ line: i + 1, ok: true }) })
    s.completed(s.values({ status: "fulfilled", lines: 120 }))
  } else if (final === "timedOut") {
    s.activity("FraudCheck", s.values({ orderId: data.orderId }), { kind: "timedOut", timeout: "START_TO_CLOSE" })
    s.activity("AwaitCarrierPickup", s.values({ orderId: data.orderId }), { kind: "timedOut", timeout: "SCHEDULE_TO_START" })
    s.timedOut(created + timeoutMs!)
  } else if (final === "canceled") {
    s.canceledActivity("AwaitCarrierPickup", s.values({ orderId: data.orderId }), "cancelShipment")
    s.canceledTimer(3_600_000, "approve")
    s.canceled()
  } else {
    const extras = rng.int(0, 3)
    for (let i = 0; i < extras; i++) {
      const what = rng.int(0, 5)
      if (what === 0) s.timer(rng.int(5, 300) * 1000, "cool-down")
      else if (what === 1) s.signal("addItem", s.values({ sku: `SKU-${rng.int(1000, 9999)}`, qty: rng.int(1, 3) }))
      else if (what === 2) s.marker(rng.pick(["Version", "SideEffect", "LocalActivity"] as const))
      else if (what === 3) addChild(false)
      else if (what === 4) s.update("setShippingAddress", s.values({ city: "Lyon" }), true)
      else s.activity("CalculateTax", s.values({ cents: data.totalCents }), { kind: "completed", result: s.value({ taxCents: Math.round(data.totalCents * 0.2) }) })
    }
    const charge = s.activity("ChargePayment", s.values({ cents: data.totalCents }), final === "failed"
      ? { kind: "failed", attempts: 5 }
      : { kind: "completed", attempts: rng.chance(0.1) ? 2 : 1, result: s.value({ chargeId: `ch_${rng.hex(12)}` }) })
    if (final === "failed") {
      s.failed(s.activityTaskFailed(charge, "ChargePayment"))
    } else if (final === "terminated") {
      s.activity("NotifyWarehouse", s.values({ orderId: data.orderId }), { kind: "completed" })
      s.terminated("stuck on a carrier that closed its API")
    } else {
      if (rng.chance(0.5)) s.activity("GenerateInvoicePdf", s.values({ orderId: data.orderId }), { kind: "completed", result: s.bytes(pdf(rng)) })
      s.activity("SendConfirmationEmail", s.values({ to: "customer@example.com" }), { kind: "completed", result: s.nothing() })
      s.completed(s.values({ status: "fulfilled", orderId: data.orderId }))
    }
  }
  const main = execution(ids, "main", run, MAIN_TYPE, extra)
  return { ordinal, executions: next === undefined ? [main, ...children] : [main, ...children, next] }
}

/** One execution of a run, by its key. */
export const executionOf = (config: Config, key: Key): Execution | undefined =>
  buildRun(config, key.ordinal).executions.find((e) => e.key.part === key.part)
