/**
 * The pieces a history is made of, each written the way a Temporal server
 * records it: activities (retried, failed, timed out, canceled), timers,
 * signals, markers, updates, and the close of the execution. Children are
 * built in `plan.ts`, which knows their executions.
 *
 * @internal
 */
import type { Rng } from "../random.js"
import { duration } from "./format.js"
import type { Builder } from "./history.js"
import type { Payload, Payloads } from "./payloads.js"
import * as P from "./payloads.js"
import { taskQueue } from "./model.js"

export type ActivityOutcome =
  | { readonly kind: "completed"; readonly attempts?: number; readonly result?: Payload }
  | { readonly kind: "failed"; readonly attempts: number }
  | { readonly kind: "timedOut"; readonly timeout: "START_TO_CLOSE" | "SCHEDULE_TO_START" }

/** What `activity` wrote: its events' ids, its activity id, and the failure it ended with, if any. */
export interface ActivityRun {
  readonly id: string
  readonly scheduled: number
  readonly started: number
  readonly closed: number
  readonly failure?: Record<string, unknown>
}

const RETRY = { initialInterval: "1s", backoffCoefficient: 2, maximumInterval: "100s", maximumAttempts: 5 }

const FAILURES: Readonly<Record<string, readonly [string, string]>> = {
  ChargePayment: ["PaymentGatewayError", "payment gateway answered 502"],
  ReserveInventory: ["InventoryServiceUnavailable", "inventory service unavailable"],
  BookCarrier: ["CarrierRejected", "carrier rejected the booking: no capacity"]
}

export class Scenes {
  private activities = 0
  private timers = 0
  /** The identity of whoever sends signals, updates, cancellations and terminations. */
  readonly operator = "ops-console@7f3c2a"

  constructor(
    readonly b: Builder,
    /** Every payload sealed by a codec (`binary/encrypted`), failures' attributes included. */
    readonly encrypted: boolean,
    /** Live runs take seconds per activity, historic ones less. */
    readonly live: boolean,
    /** `Failure.source`. */
    readonly sdk: string
  ) {}

  get rng(): Rng {
    return this.b.rng
  }

  /** A value as this run's data converter writes it. */
  value(v: unknown, text?: string): Payload {
    const plain = P.json(v, text)
    return this.encrypted ? this.sealed(plain.data!) : plain
  }

  /** Bytes as this run's data converter writes them. */
  bytes(data: Buffer): Payload {
    return this.encrypted ? this.sealed(data) : P.binary(data)
  }

  /** "No value" (an activity returning nothing), as this run's data converter writes it. */
  nothing(): Payload {
    return this.encrypted ? this.sealed(Buffer.alloc(0)) : P.NULL
  }

  sealed(plain: Buffer): Payload {
    return P.encrypted(this.rng.bytes(plain.length + 28), "orders-key-2026-01")
  }

  values(...vs: ReadonlyArray<unknown>): Payloads {
    return new P.Payloads(vs.map((v) => this.value(v)))
  }

  failure(type: string, message: string, where: string): Record<string, unknown> {
    if (this.encrypted) {
      const attrs = Buffer.from(JSON.stringify({ message, stack_trace: `at ${where}` }))
      return { message: "Encoded failure", source: this.sdk, encodedAttributes: P.one(this.sealed(attrs)), applicationFailureInfo: { type } }
    }
    return { message, source: this.sdk, stackTrace: `${type}: ${message}\n    at ${where} (/app/src/activities.ts:${40 + this.activities}:11)`, applicationFailureInfo: { type } }
  }

  private activityFailure(name: string): Record<string, unknown> {
    const [type, message] = FAILURES[name] ?? ["ConnectionError", "read ECONNRESET"]
    return this.failure(type, message, name)
  }

  private timeoutFailure(timeoutType: string): Record<string, unknown> {
    const which = timeoutType === "SCHEDULE_TO_START" ? "ScheduleToStart" : "StartToClose"
    return { message: `activity ${which} timeout`, source: "Server", timeoutFailureInfo: { timeoutType: `TIMEOUT_TYPE_${timeoutType}` } }
  }

  /** The failure a workflow ends with when an activity failed: the activity's failure as the cause. */
  activityTaskFailed(run: ActivityRun, name: string): Record<string, unknown> {
    return {
      message: "Activity task failed",
      source: this.sdk,
      cause: run.failure,
      activityFailureInfo: {
        scheduledEventId: String(run.scheduled),
        startedEventId: String(run.started),
        identity: this.b.worker,
        activityType: { name },
        activityId: run.id,
        retryState: "RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED"
      }
    }
  }

  private busy(): number {
    return this.live ? this.rng.int(3_000, 8_000) : this.rng.int(150, 4_000)
  }

  private schedule(name: string, input: Payloads, extra: Record<string, unknown>): { readonly id: string; readonly scheduled: number } {
    const id = String(++this.activities)
    const scheduled = this.b.add("ActivityTaskScheduled", {
      activityId: id,
      activityType: { name },
      taskQueue,
      input,
      startToCloseTimeout: "30s",
      workflowTaskCompletedEventId: String(this.b.wftDone),
      retryPolicy: RETRY,
      ...extra
    }, { after: this.rng.int(1, 10) })
    return { id, scheduled }
  }

  /** An activity from scheduled to its outcome (the last attempt's started event carries `attempt` and `lastFailure`), then a workflow task. */
  activity(name: string, input: Payloads, outcome: ActivityOutcome): ActivityRun {
    const b = this.b
    const timedOut = outcome.kind === "timedOut"
    const { id, scheduled } = this.schedule(name, input, timedOut
      ? {
        startToCloseTimeout: "10s",
        scheduleToStartTimeout: outcome.timeout === "SCHEDULE_TO_START" ? "60s" : undefined,
        retryPolicy: { ...RETRY, maximumAttempts: 2 }
      }
      : {})
    const sched = String(scheduled)
    if (timedOut && outcome.timeout === "SCHEDULE_TO_START") {
      const failure = this.timeoutFailure("SCHEDULE_TO_START")
      const closed = b.add("ActivityTaskTimedOut", { failure, scheduledEventId: sched, retryState: "RETRY_STATE_NON_RETRYABLE_FAILURE" }, { after: 60_000 })
      b.wft()
      return { closed, failure, scheduled, started: 0, id }
    }
    const attempts = outcome.kind === "completed" ? outcome.attempts ?? 1 : outcome.kind === "failed" ? outcome.attempts : 2
    let start = b.t + this.rng.int(5, 80)
    let lastFailure: Record<string, unknown> | undefined
    for (let attempt = 1; attempt < attempts; attempt++) {
      start += (timedOut ? 10_000 : this.busy()) + 1000 * 2 ** (attempt - 1)
      lastFailure = timedOut ? this.timeoutFailure("START_TO_CLOSE") : this.activityFailure(name)
    }
    b.t = start + (timedOut ? 10_000 : this.busy())
    const started = b.add("ActivityTaskStarted", { scheduledEventId: sched, identity: b.worker, requestId: this.rng.uuid(), attempt: attempts, lastFailure }, { ms: start })
    const ids = { scheduledEventId: sched, startedEventId: String(started) }
    let closed: number
    let failure: Record<string, unknown> | undefined
    if (outcome.kind === "completed") {
      closed = b.add("ActivityTaskCompleted", { result: outcome.result === undefined ? undefined : P.many(outcome.result), ...ids, identity: b.worker })
    } else if (outcome.kind === "failed") {
      failure = this.activityFailure(name)
      closed = b.add("ActivityTaskFailed", { failure, ...ids, identity: b.worker, retryState: "RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED" })
    } else {
      failure = this.timeoutFailure("START_TO_CLOSE")
      closed = b.add("ActivityTaskTimedOut", { failure, ...ids, retryState: "RETRY_STATE_MAXIMUM_ATTEMPTS_REACHED" })
    }
    b.wft()
    return { closed, failure, scheduled, started, id }
  }

  /** A long activity canceled on a signal: cancel requested, then the worker's acknowledgement. */
  canceledActivity(name: string, input: Payloads, signal: string): void {
    const b = this.b
    const { scheduled } = this.schedule(name, input, { heartbeatTimeout: "30s" })
    const start = b.t + this.rng.int(5, 80)
    b.t = start + this.busy()
    this.signal(signal, this.values({ reason: "customer changed the address" }))
    const requested = b.add("ActivityTaskCancelRequested", { scheduledEventId: String(scheduled), workflowTaskCompletedEventId: String(b.wftDone) })
    b.t += this.rng.int(200, 2_000)
    const started = b.add("ActivityTaskStarted", { scheduledEventId: String(scheduled), identity: b.worker, requestId: this.rng.uuid(), attempt: 1 }, { ms: start })
    b.add("ActivityTaskCanceled", {
      details: this.values({ heartbeats: 3 }),
      latestCancelRequestedEventId: String(requested),
      scheduledEventId: String(scheduled),
      startedEventId: String(started),
      identity: b.worker
    })
    b.wft()
  }

  /** A timer that fires after `ms`. */
  timer(ms: number, summary: string): void {
    const timerId = String(++this.timers)
    const started = this.b.add("TimerStarted", { timerId, startToFireTimeout: duration(ms), workflowTaskCompletedEventId: String(this.b.wftDone) }, {
      userMetadata: { summary: P.one(this.value(summary)) }
    })
    this.b.t += ms
    this.b.add("TimerFired", { timerId, startedEventId: String(started) })
    this.b.wft()
  }

  /** A timer canceled when a signal comes first. */
  canceledTimer(ms: number, signal: string): void {
    const timerId = String(++this.timers)
    const started = this.b.add("TimerStarted", { timerId, startToFireTimeout: duration(ms), workflowTaskCompletedEventId: String(this.b.wftDone) })
    this.b.t += this.rng.int(1_000, Math.floor(ms / 2))
    this.signal(signal, this.values({ approvedBy: "dana@example.com" }))
    this.b.add("TimerCanceled", { timerId, startedEventId: String(started), workflowTaskCompletedEventId: String(this.b.wftDone), identity: this.b.worker })
  }

  signal(name: string, input: Payloads): void {
    this.b.add("WorkflowExecutionSignaled", { signalName: name, input, identity: this.operator }, { after: this.rng.int(100, 2_000) })
    this.b.wft()
  }

  /** Markers a workflow task records (a version check, a side effect, a local activity). */
  marker(kind: "Version" | "SideEffect" | "LocalActivity"): void {
    const details = kind === "Version"
      ? { "change-id": this.values("shipping-v2"), version: this.values(1) }
      : kind === "SideEffect"
      ? { "side-effect-id": this.values(1), data: this.values({ promoCode: `SPRING-${this.rng.hex(4)}` }) }
      : {
        data: this.values({ ActivityID: "1", ActivityType: "LookupCustomer", ReplayTime: "0001-01-01T00:00:00Z", Attempt: 1 }),
        result: this.values({ tier: "gold" })
      }
    this.b.add("MarkerRecorded", { markerName: kind, details, workflowTaskCompletedEventId: String(this.b.wftDone) })
  }

  /** An update accepted and completed in one workflow task. */
  update(name: string, args: Payloads, ok: boolean): void {
    const updateId = this.rng.uuid()
    this.b.t += this.rng.int(500, 5_000)
    const { scheduled } = this.b.wft()
    const accepted = this.b.add("WorkflowExecutionUpdateAccepted", {
      protocolInstanceId: updateId,
      acceptedRequestMessageId: `${updateId}/request`,
      acceptedRequestSequencingEventId: String(scheduled),
      acceptedRequest: { meta: { updateId, identity: this.operator }, input: { name, args } }
    })
    this.b.add("WorkflowExecutionUpdateCompleted", {
      meta: { updateId },
      acceptedEventId: String(accepted),
      outcome: ok ? { success: this.values({ accepted: true }) } : { failure: this.failure("InvalidAddress", "the address has no postal code", name) }
    })
  }

  completed(result: Payloads): void {
    this.b.add("WorkflowExecutionCompleted", { result, workflowTaskCompletedEventId: String(this.b.wftDone) }, { after: 1 })
  }

  failed(failure: Record<string, unknown>): void {
    this.b.add("WorkflowExecutionFailed", { failure, retryState: "RETRY_STATE_RETRY_POLICY_NOT_SET", workflowTaskCompletedEventId: String(this.b.wftDone) }, { after: 1 })
  }

  terminated(reason: string): void {
    this.b.add("WorkflowExecutionTerminated", { reason, details: this.values({ ticket: "OPS-1042" }), identity: this.operator }, { after: this.rng.int(10_000, 90_000) })
  }

  /** The execution timeout fires at `deadline`, whatever runs. */
  timedOut(deadline: number): void {
    this.b.t = Math.max(this.b.t + 1, deadline)
    this.b.add("WorkflowExecutionTimedOut", { retryState: "RETRY_STATE_TIMEOUT" })
  }

  /** A cancel request, then the workflow's cleanup and its canceled close. */
  canceled(): void {
    this.b.add("WorkflowExecutionCancelRequested", { cause: "customer canceled the order", identity: this.operator }, { after: this.rng.int(1_000, 20_000) })
    this.b.wft()
    this.b.add("WorkflowExecutionCanceled", { workflowTaskCompletedEventId: String(this.b.wftDone), details: this.values({ refunded: true }) }, { after: 1 })
  }
}
