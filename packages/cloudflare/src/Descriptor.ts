/**
 * Cloudflare Workflows in the provider registry: its settings, filters and flags, and a
 * `make` that loads the provider only when it is asked for.
 *
 * @since 0.1.0
 */
import { type ProviderDescriptor, ProviderKit, RateBudget } from "@steptrail/core"
import { STATUSES, settings } from "./Settings.js"

/**
 * Kept here for code written before the settings had a module of their own.
 *
 * @since 0.1.0
 * @category config
 */
export { DEFAULT_BASE_URL, STATUSES, settings } from "./Settings.js"

/**
 * @since 0.1.0
 * @category registry
 */
export const descriptor: ProviderDescriptor.Descriptor = {
  name: "cloudflare",
  title: "Cloudflare Workflows",
  summary: "Export the step logs of Cloudflare Workflows instances.",
  examples: [
    "export cloudflare --account-id 0123456789abcdef0123456789abcdef --workflow order-pipeline --out runs.ndjson",
    "export cloudflare --workflow order-pipeline --status errored --since 2026-01-01 --full-output | jq .error"
  ],
  workflow: "Workflow name.",
  workflowPlaceholder: "NAME",
  runIds: { flag: "instance", key: "instances" },
  filters: { status: { values: STATUSES, multiple: false } },
  fullOutput: true,
  settings,
  budget: RateBudget.cloudflare,
  make: ProviderKit.lazy(() => import("./Cloudflare.js"))
}
