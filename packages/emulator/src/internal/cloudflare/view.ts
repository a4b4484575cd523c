/**
 * A Cloudflare instance at a virtual instant: its plan cut at the virtual now
 * (live instances) or at its fixed cut (frozen fixtures), giving the status,
 * the entries started so far and the in-flight one.
 *
 * @internal
 */
import type { Attempt, Entry, InstanceStatus, Plan } from "./model.js"

export interface ViewEntry {
  readonly entry: Entry
  /** Started but not finished at the cut. */
  readonly inflight: boolean
  readonly attempts: ReadonlyArray<Attempt>
}

export interface View {
  readonly plan: Plan
  readonly status: InstanceStatus
  readonly entries: ReadonlyArray<ViewEntry>
  readonly start: number | null
  readonly end: number | null
  readonly modified: number
  readonly terminal: boolean
}

export const view = (plan: Plan, now: number): View => {
  const cut = plan.live ? now : plan.cut
  if (cut < plan.start) {
    return { plan, status: "queued", entries: [], start: null, end: null, modified: plan.created, terminal: false }
  }
  const entries: Array<ViewEntry> = []
  let modified = plan.start
  let inflight: ViewEntry | null = null
  for (const entry of plan.entries) {
    if (entry.start > cut) break
    if (entry.end <= cut) {
      entries.push({ entry, inflight: false, attempts: entry.attempts })
      modified = Math.max(modified, entry.end)
      continue
    }
    const attempts: Array<Attempt> = []
    modified = Math.max(modified, entry.start)
    for (const a of entry.attempts) {
      if (a.start > cut) break
      if (a.end! <= cut) {
        attempts.push(a)
        modified = Math.max(modified, a.end!)
      } else {
        attempts.push({ start: a.start, end: null, success: null, error: null })
        modified = Math.max(modified, a.start)
      }
    }
    inflight = { entry, inflight: true, attempts }
    entries.push(inflight)
    break
  }
  const done = inflight === null && entries.length === plan.entries.length
  let status: InstanceStatus
  if (plan.override !== null) status = plan.override
  else if (done) status = plan.final
  else if (inflight !== null && (inflight.entry.kind === "sleep" || inflight.entry.kind === "waitForEvent")) status = "waiting"
  else status = "running"
  const end = done ? (plan.entries.length > 0 ? plan.entries[plan.entries.length - 1]!.end : plan.start) : null
  return { plan, status, entries, start: plan.start, end, modified: end ?? modified, terminal: done }
}
