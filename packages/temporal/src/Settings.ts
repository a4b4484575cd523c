/**
 * Temporal's settings: where each value comes from (flags, config-file keys, environment
 * variables, as the `temporal` CLI names them) and the constants they default to. The registry
 * descriptor and the provider both import this module, so neither imports the other.
 *
 * @since 0.3.0
 */
import { ProviderConfig } from "@steptrail/core"

/**
 * A local dev server's HTTP API (`temporal server start-dev` serves it on port 7243).
 *
 * @since 0.3.0
 * @category constants
 */
export const DEFAULT_BASE_URL = "http://localhost:7243"

/**
 * @since 0.3.0
 * @category constants
 */
export const DEFAULT_NAMESPACE = "default"

/**
 * The `ExecutionStatus` words of the visibility query, which `--status` takes.
 *
 * @since 0.3.0
 * @category constants
 */
export const STATUSES = ["Running", "Completed", "Failed", "Canceled", "Terminated", "ContinuedAsNew", "TimedOut"] as const

/**
 * `--address` (`TEMPORAL_ADDRESS`), `--namespace` (`TEMPORAL_NAMESPACE`), `--query` and
 * `TEMPORAL_API_KEY`, which a loopback address does without.
 *
 * @since 0.3.0
 * @category config
 */
export const settings: ReadonlyArray<ProviderConfig.Setting> = [
  { ...ProviderConfig.baseUrlSetting(["TEMPORAL_ADDRESS"], DEFAULT_BASE_URL), flag: "address", description: `The HTTP API's base URL (default ${DEFAULT_BASE_URL}, or TEMPORAL_ADDRESS).` },
  { name: "namespace", flag: "namespace", env: ["TEMPORAL_NAMESPACE"], placeholder: "NAME", default: DEFAULT_NAMESPACE, description: `The namespace, the records' account (default ${DEFAULT_NAMESPACE}, or TEMPORAL_NAMESPACE).` },
  { name: "query", flag: "query", placeholder: "QUERY", description: "A visibility list filter, ANDed with the workflow type and the other filters." },
  ProviderConfig.apiKeySetting("TEMPORAL_API_KEY", "API key (Bearer); optional on a loopback address.")
]
