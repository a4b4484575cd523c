/**
 * The namespace's executions at a virtual instant: the listing in
 * visibility's default order (open executions first, then by close time,
 * newest first, then by start time), and an execution found by workflow id
 * and run id. Historic executions never change, so their rows are kept once
 * computed; histories are rebuilt for each request that needs one.
 *
 * @internal
 */
import type { Config } from "./model.js"
import { parseWorkflowId, runSet } from "./model.js"
import type { Execution } from "./plan.js"
import { buildRun } from "./plan.js"
import type { Row } from "./query.js"
import { info, view, visible } from "./view.js"

export interface Entry {
  readonly row: Row
  /** `WorkflowExecutionInfo`, payload markers kept. */
  readonly info: Record<string, unknown>
}

/** Visibility's order: open first, then close time, start time and run id, all descending. */
export const compare = (a: Row, b: Row): number =>
  (b.closeMs ?? Infinity) - (a.closeMs ?? Infinity) || b.startMs - a.startMs || (a.runId < b.runId ? 1 : a.runId > b.runId ? -1 : 0)

export class Store {
  /** Every historic execution's entry, in visibility's order, once asked for. */
  private historic: ReadonlyArray<Entry> | undefined
  private readonly runs
  constructor(readonly config: Config, readonly namespaceId: string) {
    this.runs = runSet(config)
  }

  private entries(ordinal: number, now: number): Array<Entry> {
    const out: Array<Entry> = []
    for (const e of buildRun(this.config, ordinal).executions) {
      if (!visible(e, now)) continue
      const v = view(e, now)
      out.push({
        row: { workflowType: e.type, workflowId: e.workflowId, runId: e.runId, status: v.status, startMs: e.start, closeMs: v.closeMs },
        info: info(this.config.seed, v, this.namespaceId)
      })
    }
    return out
  }

  /** Every execution listed at `now`, in visibility's order: the historic ones (sorted once) merged with the live ones. */
  list(now: number): Array<Entry> {
    if (this.historic === undefined) {
      const all: Array<Entry> = []
      for (let o = 0; o < this.config.runs; o++) all.push(...this.entries(o, now))
      this.historic = all.sort((a, b) => compare(a.row, b.row))
    }
    const live: Array<Entry> = []
    for (let o = this.config.runs; o < this.runs.visibleCount(now); o++) live.push(...this.entries(o, now))
    live.sort((a, b) => compare(a.row, b.row))
    const out: Array<Entry> = []
    let i = 0
    for (const h of this.historic) {
      while (i < live.length && compare(live[i]!.row, h.row) < 0) out.push(live[i++]!)
      out.push(h)
    }
    while (i < live.length) out.push(live[i++]!)
    return out
  }

  /** The run of a workflow id (the latest started one when `runId` is not given), when started by `now`. */
  find(workflowId: string, runId: string | undefined, now: number): Execution | undefined {
    const parsed = parseWorkflowId(this.config.seed, workflowId)
    if (parsed === undefined || parsed.ordinal >= this.runs.visibleCount(now)) return undefined
    const runs = buildRun(this.config, parsed.ordinal).executions.filter((e) => e.workflowId === workflowId && visible(e, now))
    if (runId !== undefined) return runs.find((e) => e.runId === runId)
    return runs.sort((a, b) => b.start - a.start)[0]
  }
}
