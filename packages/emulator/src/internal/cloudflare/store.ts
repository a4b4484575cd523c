/**
 * The Cloudflare instances one emulator serves, with the caches that keep a
 * large listing cheap: plans do not depend on the clock, so a small cache
 * spares rebuilding one for the detail call and each `/step` call of the same
 * instance, and historic instances never change, so their list rows and
 * statuses are computed once.
 *
 * @internal
 */
import { RunSet } from "../runs.js"
import type { Summary } from "./bodies.js"
import { summaryOf, workflowId } from "./bodies.js"
import type { Config, InstanceStatus, Plan } from "./model.js"
import { INSTANCE_STATUSES, MAIN_WORKFLOW, SCHEDULE } from "./model.js"
import { buildPlan, historicStatus } from "./plan.js"
import type { View } from "./view.js"
import { view } from "./view.js"

const PLAN_CACHE = 512

export class Store {
  readonly runs: RunSet
  readonly mainWorkflowId: string
  private readonly plans = new Map<number, Plan>()
  private readonly summaries: Array<Summary | undefined> = []
  private historic: Uint8Array | null = null

  constructor(readonly config: Config) {
    this.runs = new RunSet(config.seed, config.instances, config.live, SCHEDULE)
    this.mainWorkflowId = workflowId(config.seed, MAIN_WORKFLOW)
  }

  planOf(ordinal: number): Plan {
    let plan = this.plans.get(ordinal)
    if (plan === undefined) {
      plan = buildPlan(this.config, ordinal)
      if (this.plans.size >= PLAN_CACHE) this.plans.delete(this.plans.keys().next().value!)
      this.plans.set(ordinal, plan)
    }
    return plan
  }

  viewAt(ordinal: number, now: number): View {
    return view(this.planOf(ordinal), now)
  }

  /** A list row; a historic one is built from a plan that is not kept (a full listing would churn the cache). */
  summaryAt(ordinal: number, now: number): Summary {
    if (ordinal >= this.config.instances) return summaryOf(this.viewAt(ordinal, now))
    let s = this.summaries[ordinal]
    if (s === undefined) {
      s = summaryOf(view(this.plans.get(ordinal) ?? buildPlan(this.config, ordinal), now))
      this.summaries[ordinal] = s
    }
    return s
  }

  statusAt(ordinal: number, now: number): InstanceStatus {
    const n = this.config.instances
    if (ordinal >= n) return this.viewAt(ordinal, now).status
    if (this.historic === null) {
      this.historic = new Uint8Array(n)
      for (let i = 0; i < n; i++) this.historic[i] = INSTANCE_STATUSES.indexOf(historicStatus(this.config, i))
    }
    return INSTANCE_STATUSES[this.historic[ordinal]!]!
  }
}
