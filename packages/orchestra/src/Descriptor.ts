/**
 * Arcee Orchestra in the provider registry: its settings and flags, and a `make` that loads
 * the provider only when it is asked for.
 *
 * @since 0.1.0
 */
import { type ProviderDescriptor, ProviderKit } from "@steptrail/core"
import { settings } from "./Settings.js"

/**
 * Kept here for code written before the settings had a module of their own.
 *
 * @since 0.1.0
 * @category config
 */
export { DEFAULT_BASE_URL, settings } from "./Settings.js"

/**
 * @since 0.1.0
 * @category registry
 */
export const descriptor: ProviderDescriptor.Descriptor = {
  name: "orchestra",
  title: "Arcee Orchestra",
  summary: "Export the executed nodes of Arcee Orchestra workflow runs.",
  examples: ["export orchestra --workflow 6f1c2a9e-0d4b-4d8e-9a57-3c2b1e0f9d8c --out runs.ndjson"],
  workflow: "Workflow id.",
  // outputs come whole in the steps listing, and the run listing has no status filter
  runIds: { flag: "run", key: "runs" }, filters: {}, fullOutput: false,
  settings,
  make: ProviderKit.lazy(() => import("./Orchestra.js"))
}
