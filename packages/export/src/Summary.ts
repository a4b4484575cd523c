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
  readonly byProvider: Partial<Record<StepRecord.Provider, ProviderCounts>>
  output: string
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
  provider: StepRecord.Provider,
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
  provider: StepRecord.Provider,
  records: ReadonlyArray<StepRecord.StepRecord>,
  newRun: boolean
): void => {
  const p = (summary.byProvider[provider] ??= { runs: 0, steps: 0, byStatus: {} })
  if (newRun) {
    summary.runs++
    p.runs++
  }
  for (const r of records) {
    summary.steps++
    p.steps++
    summary.byStatus[r.status] = (summary.byStatus[r.status] ?? 0) + 1
    p.byStatus[r.status] = (p.byStatus[r.status] ?? 0) + 1
  }
}

const statuses = (byStatus: Partial<Record<string, number>>) =>
  Object.entries(byStatus)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([s, n]) => `${s} ${n}`)
    .join(", ")

/**
 * A few human lines for stderr.
 *
 * @since 0.1.0
 * @category formatting
 */
export const format = (summary: Summary): string => {
  const lines = [`exported ${summary.runs} runs, ${summary.steps} steps to ${summary.output}`]
  for (const [provider, c] of Object.entries(summary.byProvider)) {
    lines.push(`  ${provider}: ${c!.runs} runs, ${c!.steps} steps (${statuses(c!.byStatus) || "none"})`)
  }
  return lines.join("\n")
}
