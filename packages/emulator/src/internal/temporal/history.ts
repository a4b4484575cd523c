/**
 * A workflow execution's history as it is written: events numbered from 1,
 * each with its event time and the instant the server wrote it. The two
 * differ for an activity's started event, which Temporal writes only with the
 * attempt's outcome (its time is the last attempt's start), so a live run
 * shows a scheduled activity without a started event until it finishes.
 *
 * @internal
 */
import type { Rng } from "../random.js"
import { taskQueue } from "./model.js"

export interface Event {
  readonly id: number
  /** PascalCase, e.g. `ActivityTaskScheduled`: the enum and the attributes' key are derived from it. */
  readonly type: string
  /** `eventTime`, epoch milliseconds. */
  readonly ms: number
  /** When the server wrote the event (never decreasing along the history). */
  readonly at: number
  readonly attrs: Readonly<Record<string, unknown>>
  readonly userMetadata?: unknown
}

/** `ActivityTaskScheduled` → `EVENT_TYPE_ACTIVITY_TASK_SCHEDULED`. */
export const eventTypeName = (type: string): string => "EVENT_TYPE_" + type.replace(/([a-z])([A-Z])/g, "$1_$2").toUpperCase()

/** `ActivityTaskScheduled` → `activityTaskScheduledEventAttributes`. */
export const attributesKey = (type: string): string => type[0]!.toLowerCase() + type.slice(1) + "EventAttributes"

export class Builder {
  readonly events: Array<Event> = []
  /** The time of the latest write. */
  t: number
  /** The id of the latest `WorkflowTaskCompleted`, which commands name. */
  wftDone = 0

  constructor(start: number, readonly rng: Rng, readonly worker: string) {
    this.t = start
  }

  /** Appends an event `after` ms past the last write; `ms` gives it an earlier event time (a started activity). */
  add(
    type: string,
    attrs: Readonly<Record<string, unknown>>,
    options: { readonly after?: number; readonly ms?: number; readonly userMetadata?: unknown } = {}
  ): number {
    this.t += options.after ?? 0
    const id = this.events.length + 1
    this.events.push({ id, type, ms: options.ms ?? this.t, at: this.t, attrs, userMetadata: options.userMetadata })
    return id
  }

  /** A workflow task: scheduled, started and completed by the worker. */
  wft(): { readonly scheduled: number; readonly completed: number } {
    const rng = this.rng
    const scheduled = this.add("WorkflowTaskScheduled", { taskQueue, startToCloseTimeout: "10s", attempt: 1 }, { after: rng.int(1, 15) })
    const started = this.add(
      "WorkflowTaskStarted",
      { scheduledEventId: String(scheduled), identity: this.worker, requestId: rng.uuid(), historySizeBytes: String(400 + scheduled * 211) },
      { after: rng.int(2, 20) }
    )
    this.wftDone = this.add(
      "WorkflowTaskCompleted",
      { scheduledEventId: String(scheduled), startedEventId: String(started), identity: this.worker },
      { after: rng.int(5, 40) }
    )
    return { scheduled, completed: this.wftDone }
  }
}
