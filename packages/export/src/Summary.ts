/**
 * What an export did, counted as it goes: runs, steps by status, per provider.
 *
 * @since 0.1.0
 */
import type { StepRecord } from "@steptrail/core"

/**
 * @since 0.1.0
 * @category models
 */
export interface ProviderCounts {
  runs: number
  steps: number
  readonly byStatus: Partial<Record<StepRecord.Status, number>>
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Summary {
  runs: number
  steps: number
  bytes: number
  readonly byStatus: Partial<Record<StepRecord.Status, number>>
  readonly byProvider: Partial<Record<string, ProviderCounts>>
  output: string
}

/**
 * A batch of records, counted.
 *
 * @since 0.2.0
 * @category models
 */
export interface Counts {
  readonly steps: number
  readonly byStatus: Partial<Record<StepRecord.Status, number>>
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const empty = (output: string): Summary => ({ runs: 0, steps: 0, bytes: 0, byStatus: {}, byProvider: {}, output })

/**
 * Counts one run's records.
 *
 * @since 0.1.0
 * @category mutations
 */
export const addRun = (
  summary: Summary,
  provider: string,
  records: ReadonlyArray<StepRecord.StepRecord>
): void => addSteps(summary, provider, records, true)

/**
 * Counts records of a run, and the run itself when it is new to the summary (follow mode
 * writes a run's records in several batches).
 *
 * @since 0.1.0
 * @category mutations
 */
export const addSteps = (
  summary: Summary,
  provider: string,
  records: ReadonlyArray<StepRecord.StepRecord>,
  newRun: boolean
): void => {
  const byStatus: Partial<Record<StepRecord.Status, number>> = {}
  for (const r of records) byStatus[r.status] = (byStatus[r.status] ?? 0) + 1
  addCounts(summary, provider, { steps: records.length, byStatus }, newRun)
}

/**
 * Counts records counted elsewhere (where they were encoded), and the run when it is new.
 *
 * @since 0.2.0
 * @category mutations
 */
export const addCounts = (summary: Summary, provider: string, counts: Counts, newRun: boolean): void => {
  Object.assign(summary, add(summary, provider, counts, newRun))
}

const plus = <K extends string>(a: Partial<Record<K, number>>, b: Partial<Record<K, number>>): Partial<Record<K, number>> => {
  const sum = { ...a }
  for (const [k, n] of Object.entries(b) as Array<[K, number]>) sum[k] = (sum[k] ?? 0) + n
  return sum
}

/**
 * The summary with records counted elsewhere added, and the run when it is new, as a new
 * value (its other fields kept): what a summary kept in a `Ref` is updated with, so a
 * progress display reads whole snapshots, never one being counted into.
 *
 * @since 0.4.0
 * @category combinators
 */
export const add = <S extends Summary>(summary: S, provider: string, counts: Counts, newRun: boolean): S => {
  const p = summary.byProvider[provider] ?? { runs: 0, steps: 0, byStatus: {} }
  const runs = newRun ? 1 : 0
  return {
    ...summary,
    runs: summary.runs + runs,
    steps: summary.steps + counts.steps,
    byStatus: plus(summary.byStatus, counts.byStatus),
    byProvider: { ...summary.byProvider, [provider]: { runs: p.runs + runs, steps: p.steps + counts.steps, byStatus: plus(p.byStatus, counts.byStatus) } }
  }
}

const statuses = (byStatus: Partial<Record<string, number>>) =>
  Object.entries(byStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([s, n]) => `${s} ${n}`)
    .join(", ")

/**
 * A count with its noun in the right number: `1 run`, `2 runs`, `0 runs`.
 *
 * @since 0.2.0
 * @category formatting
 */
export const count = (n: number, noun: string, plural = `${noun}s`): string => `${n} ${n === 1 ? noun : plural}`

/**
 * A few human lines for stderr.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (summary: Summary): string => {
  const lines = [`exported ${count(summary.runs, "run")}, ${count(summary.steps, "step")} to ${summary.output}`]
  for (const [provider, c] of Object.entries(summary.byProvider)) {
    lines.push(`  ${provider}: ${count(c!.runs, "run")}, ${count(c!.steps, "step")} (${statuses(c!.byStatus) || "none"})`)
  }
  return lines.join("\n")
}
