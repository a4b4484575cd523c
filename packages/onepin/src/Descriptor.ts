/**
 * Onepin in the provider registry: its settings, filters and flags, and a `make` that loads
 * the provider only when it is asked for.
 *
 * @since 0.1.0
 */
import { type ProviderDescriptor, ProviderKit } from "@steptrail/core"
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
  name: "onepin",
  title: "Onepin",
  summary: "Export the node executions of Onepin workflow runs.",
  examples: ["export onepin --workflow 3fa85f64-5717-4562-b3fc-2c963f66afa6 --status failed --out failed.ndjson"],
  workflow: "Workflow id (a UUID).",
  // include_result=true gives full outputs: no --full-output to ask for them
  runIds: { flag: "run", key: "runs" }, filters: { status: { values: STATUSES, multiple: true } }, fullOutput: false,
  settings,
  make: ProviderKit.lazy(() => import("./Onepin.js"))
}
