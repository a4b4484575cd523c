/**
 * Cloudflare Workflows in the provider registry: its settings, filters and flags, and a
 * `make` that loads the provider only when it is asked for.
 *
 * @since 0.1.0
 */
import { ProviderConfig, type ProviderDescriptor, ProviderKit, RateBudget } from "@steptrail/core"

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
