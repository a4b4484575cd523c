/**
 * What the emulated providers share about runs: historic runs created before
 * the epoch (and never changing), live runs created around it that follow the
 * virtual clock, random UUIDs found through a lazily built index, and
 * timelines (Orchestra's nodes, Onepin's executions) cut at a virtual instant.
 *
 * @internal
 */
import * as Clock from "./clock.js"
import { hash, Rng } from "./random.js"

/** The data options of Orchestra and Onepin (Cloudflare has more). */
export interface RunsConfig {
  readonly seed: number
  /** Every token the emulator accepts. */
  readonly tokens: ReadonlySet<string>
  /** Historic runs, ordinals `0..runs-1`, oldest first. */
  readonly runs: number
  /** Live runs, ordinals from `runs` on. */
  readonly live: number
}

/** When each run of a provider is created. */
export interface Schedule {
  /** Coordinate tag of the provider's run ids and creation jitter. */
  readonly tag: number
  /** Live run k is created at epoch + `liveOffsetMs` + k * `liveSpacingMs`. */
  readonly liveOffsetMs: number
  readonly liveSpacingMs: number
  /** Historic runs end an hour before the epoch, one every `spacingMs` plus up to `jitterMs`. */
  readonly spacingMs: number
  readonly jitterMs: number
}

const HISTORY_GAP_MS = 3_600_000

/** The fields every provider's plan of a run starts with. */
export interface PlanBase {
  readonly ordinal: number
  readonly live: boolean
  readonly id: string
  readonly created: number
}

/** Live runs follow the virtual now; historic ones are seen whole. */
export const cutFor = (plan: PlanBase, now: number): number => (plan.live ? now : Infinity)

export const createdAt = (schedule: Schedule, seed: number, historic: number, ordinal: number): number => {
  if (ordinal >= historic) return Clock.EPOCH_MS + schedule.liveOffsetMs + (ordinal - historic) * schedule.liveSpacingMs
  const jitter = hash(seed, schedule.tag, ordinal, 1) % schedule.jitterMs
  return Clock.EPOCH_MS - HISTORY_GAP_MS - (historic - 1 - ordinal) * schedule.spacingMs + jitter
}

export const runId = (seed: number, tag: number, ordinal: number): string => Rng.at(seed, tag, ordinal).uuid()

/** A provider's two workflows: one with runs, one without. */
export const workflowIds = (seed: number, tag: number) => ({
  main: Rng.at(seed, tag, 1).uuid(),
  empty: Rng.at(seed, tag, 2).uuid()
})

/** The runs of a provider's main workflow, as the server sees them at a virtual instant. */
export class RunSet {
  private index: Map<string, number> | null = null
  constructor(
    readonly seed: number,
    readonly historic: number,
    readonly live: number,
    readonly schedule: Schedule,
    /** Onepin compares UUIDs case-insensitively. */
    private readonly caseInsensitive = false
  ) {}

  createdAt(ordinal: number): number {
    return createdAt(this.schedule, this.seed, this.historic, ordinal)
  }

  id(ordinal: number): string {
    return runId(this.seed, this.schedule.tag, ordinal)
  }

  /** Runs listed at `now`: every historic run, and the live runs created by then. */
  visibleCount(now: number): number {
    const total = this.historic + this.live
    let n = this.historic
    while (n < total && this.createdAt(n) <= now) n++
    return n
  }

  /** The ordinal of a run listed at `now`. */
  find(id: string, now: number): number | undefined {
    if (this.index === null) {
      this.index = new Map()
      for (let i = 0; i < this.historic + this.live; i++) this.index.set(this.id(i), i)
    }
    const ordinal = this.index.get(this.caseInsensitive ? id.toLowerCase() : id)
    return ordinal === undefined || ordinal >= this.visibleCount(now) ? undefined : ordinal
  }
}

export interface Span {
  readonly start: number
  readonly end: number
}

/** An item of a timeline as seen at a cut: started, and maybe still running. */
export interface Cut<A> {
  readonly item: A
  readonly running: boolean
}

/** The items started by `cut`, in order; the timeline stops at the first one not started. */
export const cutAt = <A extends Span>(items: ReadonlyArray<A>, cut: number): Array<Cut<A>> => {
  const out: Array<Cut<A>> = []
  for (const item of items) {
    if (item.start > cut) break
    out.push({ item, running: item.end > cut })
  }
  return out
}

/** Every item started and none running. */
export const settled = <A>(cuts: ReadonlyArray<Cut<A>>, items: ReadonlyArray<A>): boolean =>
  cuts.length === items.length && !cuts.some((c) => c.running)
