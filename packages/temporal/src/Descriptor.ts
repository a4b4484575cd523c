/**
 * Temporal in the provider registry: its settings, filters and flags, and a `make` that loads
 * the provider only when it is asked for.
 *
 * @since 0.3.0
 */
import { type ProviderDescriptor, ProviderKit } from "@steptrail/core"
import { settings, STATUSES } from "./Settings.js"

/**
 * @since 0.3.0
 * @category registry
 */
export const descriptor: ProviderDescriptor.Descriptor = {
  name: "temporal",
  title: "Temporal",
  summary: "Export the event histories of Temporal workflow executions.",
  examples: [
    "export temporal --workflow OrderWorkflow --namespace payments.a1b2c --address https://payments.a1b2c.tmprl.cloud --out runs.ndjson"
  ],
  workflow: "Workflow type.",
  workflowPlaceholder: "TYPE",
  // WORKFLOW_ID/RUN_ID, a workflow id (its latest run) or a run id; payloads come whole
  runIds: { flag: "run", key: "runs" },
  filters: { status: { values: STATUSES, multiple: false } },
  fullOutput: false,
  settings,
  make: ProviderKit.lazy(() => import("./Temporal.js"))
}
