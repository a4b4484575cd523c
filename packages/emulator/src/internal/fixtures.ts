/**
 * The ids and step names of the seeded special cases, as a pure function of
 * the resolved options.
 *
 * @internal
 */
import * as Clock from "./clock.js"
import { accountIdOf } from "./cloudflare/bodies.js"
import * as Cloudflare from "./cloudflare/model.js"
import * as CloudflarePlan from "./cloudflare/plan.js"
import * as Iso from "./iso.js"
import * as Onepin from "./onepin/plan.js"
import type { Resolved } from "./options.js"
import * as Orchestra from "./orchestra/plan.js"
import * as Temporal from "./temporal/model.js"
import * as TemporalPlan from "./temporal/plan.js"

/**
 * The ids and step names of the seeded special cases, as a pure function of
 * the options (no server needed). Entries are `null` when the configured data
 * is too small to hold them (fewer instances/runs than the fixture's index).
 */
export interface Fixtures {
  readonly cloudflare: {
    readonly accountId: string
    readonly workflow: string
    readonly emptyWorkflow: string
    /** Instance ids by fixture name; historic ordinals 0..10, oldest first. */
    readonly instances: { readonly [K in Cloudflare.FixtureName]: string | null }
    /** Step names inside `instances.showcase` (valid when `steps` is unset or >= 14). */
    readonly showcaseSteps: typeof Cloudflare.ShowcaseSteps
    /** `instances.errored`: the step that exhausted its retries and the rollbacks after it. */
    readonly erroredSteps: { readonly exhausted: string | null; readonly rollbacks: ReadonlyArray<string> } | null
    /** The in-flight step of `running`, `retrying`, `waitingForEvent`, `waitTimeout`, `waitingForPause`. */
    readonly inflightSteps: {
      readonly running: string | null
      readonly retrying: string | null
      readonly waitingForEvent: string | null
      readonly waitTimeout: string | null
      readonly waitingForPause: string | null
    }
    readonly live: ReadonlyArray<LiveRun>
  }
  readonly orchestra: {
    readonly workflow: string
    readonly emptyWorkflow: string
    readonly runs: { readonly seedLike: string | null; readonly failed: string | null; readonly multiModel: string | null }
    readonly failedNode: string | null
    readonly live: ReadonlyArray<LiveRun>
  }
  readonly onepin: {
    readonly workflow: string
    readonly emptyWorkflow: string
    readonly workspaceId: string
    readonly runs: { readonly iterations: string | null; readonly failed: string | null; readonly cancelled: string | null }
    /** Node ids of the loop body in `runs.iterations` (3 iterations each). */
    readonly iterationNodes: { readonly process: string; readonly save: string; readonly loop: string }
    readonly live: ReadonlyArray<LiveRun>
  }
  readonly temporal: {
    readonly namespace: string
    /** The workflow type with runs; its children are `childWorkflow`s; `emptyWorkflow` has none. */
    readonly workflow: string
    readonly childWorkflow: string
    readonly emptyWorkflow: string
    /** The `OrderWorkflow` run of each fixture; historic ordinals 0..8, oldest first. */
    readonly runs: { readonly [K in Temporal.FixtureName]: TemporalRun | null }
    /** The run `runs.continuedAsNew` continued as new into (same workflow id). */
    readonly continuedRun: TemporalRun | null
    /** The child `runs.showcase` started (completed) and the one `runs.childFailed` started (failed). */
    readonly children: { readonly completed: TemporalRun | null; readonly failed: TemporalRun | null }
    /** `id` is the workflow id. */
    readonly live: ReadonlyArray<LiveRun & { readonly runId: string }>
  }
}

/** A Temporal execution: a workflow id and one of its runs. */
export interface TemporalRun {
  readonly workflowId: string
  readonly runId: string
}

/**
 * A live run: listed once the virtual clock reaches `createdAt`, terminal
 * (complete) once it reaches `settledAt` (both ISO).
 */
export interface LiveRun {
  readonly id: string
  readonly createdAt: string
  readonly settledAt: string
  /** True when it is listed at the epoch, false when it appears only after `advance`. */
  readonly visibleAtEpoch: boolean
}

const liveRun = (facts: { readonly id: string; readonly createdAt: number; readonly settledAt: number }): LiveRun => ({
  id: facts.id,
  createdAt: Iso.isoMillis(facts.createdAt),
  settledAt: Iso.isoMillis(facts.settledAt),
  visibleAtEpoch: facts.createdAt <= Clock.EPOCH_MS
})

export const fixturesOf = (r: Resolved): Fixtures => {
  const cf = r.cloudflare
  const cfFacts = (o: number) => (o < cf.instances ? CloudflarePlan.planFacts(cf, o) : null)
  const cfId = (o: number) => (o < cf.instances ? CloudflarePlan.instanceId(cf, o) : null)
  const instances = {} as { [K in Cloudflare.FixtureName]: string | null }
  for (const [name, o] of Object.entries(Cloudflare.Fixture)) instances[name as Cloudflare.FixtureName] = cfId(o)
  const errored = cfFacts(Cloudflare.Fixture.errored)
  const or = r.orchestra
  const orId = (o: number) => (o < or.runs ? Orchestra.runId(or, o) : null)
  const op = r.onepin
  const opId = (o: number) => (o < op.runs ? Onepin.runId(op, o) : null)
  const tm = r.temporal
  const tmRun = (o: number, part: Temporal.Part = "main"): TemporalRun | null =>
    o < tm.runs ? { workflowId: Temporal.workflowIdOf(r.seed, o, part), runId: Temporal.runIdOf(r.seed, o, part) } : null
  const tmRuns = {} as { [K in Temporal.FixtureName]: TemporalRun | null }
  for (const [name, o] of Object.entries(Temporal.Fixture)) tmRuns[name as Temporal.FixtureName] = tmRun(o)
  const tmLive = (o: number) => {
    const main = TemporalPlan.buildRun(tm, o).executions[0]!
    return { ...liveRun({ id: main.workflowId, createdAt: main.start, settledAt: main.events[main.events.length - 1]!.at }), runId: main.runId }
  }
  const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i)
  return {
    cloudflare: {
      accountId: accountIdOf(r.seed),
      workflow: Cloudflare.MAIN_WORKFLOW,
      emptyWorkflow: Cloudflare.EMPTY_WORKFLOW,
      instances,
      showcaseSteps: Cloudflare.ShowcaseSteps,
      erroredSteps: errored === null ? null : { exhausted: errored.failedStep, rollbacks: errored.rollbacks },
      inflightSteps: {
        running: cfFacts(Cloudflare.Fixture.running)?.lastStep ?? null,
        retrying: cfFacts(Cloudflare.Fixture.retrying)?.lastStep ?? null,
        waitingForEvent: cfFacts(Cloudflare.Fixture.waitingForEvent)?.lastStep ?? null,
        waitTimeout: cfFacts(Cloudflare.Fixture.waitTimeout)?.lastStep ?? null,
        waitingForPause: cfFacts(Cloudflare.Fixture.waitingForPause)?.lastStep ?? null
      },
      live: range(cf.instances, cf.live).map((o) => liveRun(CloudflarePlan.planFacts(cf, o)))
    },
    orchestra: {
      workflow: Orchestra.workflowIds(r.seed).main,
      emptyWorkflow: Orchestra.workflowIds(r.seed).empty,
      runs: { seedLike: orId(Orchestra.Fixture.seedLike), failed: orId(Orchestra.Fixture.failed), multiModel: orId(Orchestra.Fixture.multiModel) },
      failedNode: or.runs > Orchestra.Fixture.failed ? Orchestra.planFacts(or, Orchestra.Fixture.failed).failedNode : null,
      live: range(or.runs, or.live).map((o) => liveRun(Orchestra.planFacts(or, o)))
    },
    onepin: {
      workflow: Onepin.workflowIds(r.seed).main,
      emptyWorkflow: Onepin.workflowIds(r.seed).empty,
      workspaceId: op.workspaceId,
      runs: { iterations: opId(Onepin.Fixture.iterations), failed: opId(Onepin.Fixture.failed), cancelled: opId(Onepin.Fixture.cancelled) },
      iterationNodes: {
        process: Onepin.nodeIdFor(r.seed, "process")!,
        save: Onepin.nodeIdFor(r.seed, "save")!,
        loop: Onepin.nodeIdFor(r.seed, "loop")!
      },
      live: range(op.runs, op.live).map((o) => liveRun(Onepin.planFacts(op, o)))
    },
    temporal: {
      namespace: tm.namespace,
      workflow: Temporal.MAIN_TYPE,
      childWorkflow: Temporal.CHILD_TYPE,
      emptyWorkflow: Temporal.EMPTY_TYPE,
      runs: tmRuns,
      continuedRun: tmRun(Temporal.Fixture.continuedAsNew, "next"),
      children: { completed: tmRun(Temporal.Fixture.showcase, 0), failed: tmRun(Temporal.Fixture.childFailed, 0) },
      live: range(tm.runs, tm.live).map(tmLive)
    }
  }
}
