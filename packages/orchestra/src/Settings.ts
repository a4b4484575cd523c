/**
 * Arcee Orchestra's settings: where each value comes from (flags, config-file keys, environment
 * variables) and the constants they default to. The registry descriptor and the provider both
 * import this module, so neither imports the other (the descriptor loads the provider lazily).
 *
 * @since 0.1.0
 */
import { ProviderConfig } from "@steptrail/core"

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
