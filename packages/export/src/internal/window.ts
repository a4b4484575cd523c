/**
 * What an export learns of a source's runs, kept small: the latest creation time seen (the
 * watermark), the runs that are not terminal, and the terminal runs created within the
 * lateness margin of the watermark. A later listing from `watermark - margin` shows every run
 * that is new since, and the terminal ones among those already handled are recognized by id.
 *
 * Runs without a creation time cannot be placed: while no run has one (no watermark) the
 * terminal ones are all kept, as every listing shows them again; once there is a watermark
 * they are dropped, since a listing filtered by creation time does not show them.
 */
import type { StepRecord, WorkflowProvider } from "@steptrail/core"
import type * as State from "../State.js"

const millis = (iso: string | null | undefined): number | null => {
  if (iso == null) return null
  const ms = Date.parse(iso)
  return Number.isNaN(ms) ? null : ms
}

export class Window {
  private max: number | null
  private readonly open = new Map<string, State.RunMark>()
  private readonly recent = new Map<string, number | null>()
  private pruneAt = 1024

  constructor(readonly margin: number, from?: State.SourceState | null) {
    this.max = millis(from?.watermark)
    if (from == null) return
    for (const [id, mark] of Object.entries(from.open)) this.open.set(id, mark)
    for (const [id, created] of Object.entries(from.recent)) this.recent.set(id, millis(created))
  }

  /** The latest creation time seen, in milliseconds. */
  get watermark(): number | null {
    return this.max
  }

  /** Where a listing must start to show every run not handled yet (undefined: from the beginning). */
  since(): Date | undefined {
    return this.max === null ? undefined : new Date(this.max - this.margin)
  }

  isRecent(id: string): boolean {
    return this.recent.has(id)
  }

  openMark(id: string): State.RunMark | undefined {
    return this.open.get(id)
  }

  openRuns(): ReadonlyArray<readonly [string, State.RunMark]> {
    return [...this.open]
  }

  /** Records a run as last seen; `mark` is what the next export compares (for a run not terminal). */
  add(run: WorkflowProvider.RunRef, mark: State.RunMark): void {
    const created = millis(run.createdAt)
    if (created !== null && (this.max === null || created > this.max)) this.max = created
    if (run.terminal) {
      this.open.delete(run.id)
      this.recent.set(run.id, created)
      if (this.recent.size >= this.pruneAt) this.prune()
    } else {
      this.recent.delete(run.id)
      this.open.set(run.id, mark)
    }
  }

  /** Forgets a run (it is gone from the provider). */
  drop(id: string): void {
    this.open.delete(id)
    this.recent.delete(id)
  }

  private prune(): void {
    if (this.max !== null) {
      const floor = this.max - this.margin
      for (const [id, created] of this.recent) if (created === null || created < floor) this.recent.delete(id)
    }
    this.pruneAt = Math.max(1024, this.recent.size * 2)
  }

  toState(): State.SourceState {
    this.prune()
    const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString())
    return {
      watermark: iso(this.max),
      open: Object.fromEntries(this.open),
      recent: Object.fromEntries([...this.recent].map(([id, created]) => [id, iso(created)]))
    }
  }
}

/**
 * What is kept of a run that is not terminal: `steps` records written, fetched from an answer
 * whose run status was `fetched`. A run that moved between its listing and that answer is
 * kept with the status it was fetched in, so status and count describe the same moment (the
 * next export compares both with a lookup's, `RunRef.steps`).
 */
export const markOf = (run: WorkflowProvider.RunRef, steps: number, fetched?: StepRecord.RunStatus | null): State.RunMark => ({
  status: fetched != null && fetched !== run.status ? fetched : run.providerStatus ?? run.status,
  steps,
  version: run.version ?? null,
  created: run.createdAt,
  // only where the provider has one: the state of other providers' runs stays as it was
  ...(run.locator === undefined ? {} : { locator: run.locator })
})

/** Whether a run is as `mark` recorded it: the same version, or else the same status word and count of records. */
export const isUnchanged = (run: WorkflowProvider.RunRef, mark: State.RunMark): boolean =>
  mark.version != null && run.version != null
    ? mark.version === run.version
    : run.steps !== undefined && run.steps === mark.steps && (run.providerStatus ?? run.status) === mark.status
