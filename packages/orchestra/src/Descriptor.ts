/**
 * Arcee Orchestra in the provider registry: its settings and flags, and a `make` that loads
 * the provider only when it is asked for.
 *
 * @since 0.1.0
 */
import { ProviderConfig, type ProviderDescriptor, ProviderKit } from "@steptrail/core"

/**
 * The documented base URL; the API's paths are given relative to it.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_BASE_URL = "https://orchestra.arcee.ai/api/v1/workflow"

/**
 * `ORCHESTRA_API_KEY` and `ORCHESTRA_BASE_URL`.
 *
 * @since 0.1.0
 * @category config
 */
export const settings: ReadonlyArray<ProviderConfig.Setting> = [
  ProviderConfig.baseUrlSetting(["ORCHESTRA_BASE_URL"], DEFAULT_BASE_URL),
  ProviderConfig.apiKeySetting("ORCHESTRA_API_KEY")
]

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
