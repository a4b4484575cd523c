/**
 * Onepin's settings: where each value comes from (flags, config-file keys, environment
 * variables) and the constants they default to. The registry descriptor and the provider both
 * import this module, so neither imports the other (the descriptor loads the provider lazily).
 *
 * @since 0.1.0
 */
import { ProviderConfig } from "@steptrail/core"

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
