/**
 * Onepin in the provider registry: its settings, filters and flags, and a `make` that loads
 * the provider only when it is asked for.
 *
 * @since 0.1.0
 */
import { ProviderConfig, type ProviderDescriptor, ProviderKit } from "@steptrail/core"

/**
 * Everything in front of the documented paths, version prefix included.
 *
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_BASE_URL = "https://api.onepin.ai/api/v1"

/**
 * Run statuses, as the listing's `status` filter takes them (comma-separated).
 *
 * @since 0.1.0
 * @category constants
 */
export const STATUSES = ["pending", "running", "completed", "failed", "cancelled", "paused"] as const

/**
 * `ONEPIN_API_KEY`, `ONEPIN_BASE_URL`, `ONEPIN_WORKSPACE_ID`.
 *
 * @since 0.1.0
 * @category config
 */
export const settings: ReadonlyArray<ProviderConfig.Setting> = [
  {
    name: "workspaceId",
    flag: "workspace",
    env: ["ONEPIN_WORKSPACE_ID"],
    placeholder: "ID",
    description: "Workspace id sent as X-Workspace-Id (or ONEPIN_WORKSPACE_ID); must match the API key's."
  },
  ProviderConfig.baseUrlSetting(["ONEPIN_BASE_URL"], DEFAULT_BASE_URL),
  ProviderConfig.apiKeySetting("ONEPIN_API_KEY", "API key (op_live_...).")
]

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
