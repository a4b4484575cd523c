/**
 * Cloudflare Workflows's settings: where each value comes from (flags, config-file keys, environment
 * variables) and the constants they default to. The registry descriptor and the provider both
 * import this module, so neither imports the other (the descriptor loads the provider lazily).
 *
 * @since 0.1.0
 */
import { ProviderConfig } from "@steptrail/core"

/**
 * @since 0.1.0
 * @category constants
 */
export const DEFAULT_BASE_URL = "https://api.cloudflare.com/client/v4"

/**
 * Instance statuses, as the listing's `status` filter takes them.
 *
 * @since 0.1.0
 * @category constants
 */
export const STATUSES = [
  "queued",
  "running",
  "paused",
  "errored",
  "terminated",
  "complete",
  "waitingForPause",
  "waiting"
] as const

/**
 * Where each setting comes from: `CLOUDFLARE_API_TOKEN`, or `CLOUDFLARE_EMAIL` with
 * `CLOUDFLARE_API_KEY` (one group: explicit credentials replace the environment's as a whole),
 * `CLOUDFLARE_ACCOUNT_ID`, `CLOUDFLARE_API_BASE_URL` (wrangler's name) or `CLOUDFLARE_BASE_URL`
 * (the SDK's).
 *
 * @since 0.1.0
 * @category config
 */
export const settings: ReadonlyArray<ProviderConfig.Setting> = [
  {
    name: "accountId",
    flag: "account-id",
    env: ["CLOUDFLARE_ACCOUNT_ID"],
    placeholder: "ID",
    description: "Cloudflare account id, 32 hexadecimal characters (or CLOUDFLARE_ACCOUNT_ID)."
  },
  ProviderConfig.baseUrlSetting(["CLOUDFLARE_API_BASE_URL", "CLOUDFLARE_BASE_URL"], DEFAULT_BASE_URL),
  {
    name: "apiToken",
    env: ["CLOUDFLARE_API_TOKEN"],
    secret: true,
    credential: "token_env",
    group: "credentials",
    description: "API token."
  },
  {
    name: "email",
    env: ["CLOUDFLARE_EMAIL"],
    credential: "email_env",
    group: "credentials",
    description: "Account email, with a global API key."
  },
  {
    name: "apiKey",
    env: ["CLOUDFLARE_API_KEY"],
    secret: true,
    credential: "key_env",
    group: "credentials",
    description: "Global API key, with the account email."
  }
]
