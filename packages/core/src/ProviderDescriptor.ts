/**
 * What a provider package tells the world about itself, so that a program (the CLI) can offer
 * it without knowing it: its name, its settings (flags, config-file keys, environment
 * variables), how its runs are filtered, and how to build it. The CLI's `export`
 * subcommands, `--config` parsing and completions are derived from a list of these.
 *
 * A descriptor is cheap to import: building the provider (`make`) may load its implementation
 * only when it is asked for.
 *
 * @since 0.1.0
 */
import type { HttpClient } from "@effect/platform"
import type { Duration, Effect, Scope } from "effect"
import type * as ProviderConfig from "./ProviderConfig.js"
import type { ProviderError } from "./ProviderError.js"
import type * as RateBudget from "./RateBudget.js"
import type * as Retry from "./Retry.js"
import type * as WorkflowProvider from "./WorkflowProvider.js"

/**
 * What every provider's connection takes besides its own settings.
 *
 * @since 0.1.0
 * @category models
 */
export interface Connection {
  readonly retry?: Partial<Retry.Options> | undefined
  /** Per attempt, from sending the request to the last byte of its body. */
  readonly timeout?: Duration.DurationInput | undefined
  /** Overrides the provider's default budget for its credential. */
  readonly budget?: RateBudget.Budget | undefined
  readonly maxBodyBytes?: number | undefined
  /** Plain http to a host other than loopback. */
  readonly allowInsecure?: boolean | undefined
}

/**
 * How a provider's run listing can be narrowed.
 *
 * @since 0.1.0
 * @category models
 */
export interface Filters {
  /** The provider's status words (for help and completion); `multiple`: several at once. */
  readonly status?: { readonly values: ReadonlyArray<string>; readonly multiple: boolean } | undefined
}

/**
 * @since 0.1.0
 * @category models
 */
export interface Descriptor {
  /** The provider's name: the CLI subcommand, the config file's `provider`, the record's `provider`. */
  readonly name: string
  /** `Cloudflare Workflows`. */
  readonly title: string
  /** What is exported, one sentence. */
  readonly summary: string
  /** Command lines for help, without the leading `steptrail`. */
  readonly examples: ReadonlyArray<string>
  /** What `--workflow` names. */
  readonly workflow: string
  /** For help text: `NAME`, `ID` (the default). */
  readonly workflowPlaceholder?: string | undefined
  /** Run ids: the flag (`instance`), the config-file key (`instances`). */
  readonly runIds: { readonly flag: string; readonly key: string }
  readonly filters: Filters
  /** Offers `--full-output` (outputs in the step log are previews). */
  readonly fullOutput: boolean
  /** Connection settings: base URL, account or workspace, credentials. */
  readonly settings: ReadonlyArray<ProviderConfig.Setting>
  /** The budget a credential gets unless told otherwise (undefined: unlimited). */
  readonly budget?: RateBudget.Budget | undefined
  /**
   * Builds the provider from resolved settings (`ProviderConfig.resolve`). Fails before any
   * request on a missing credential (`Unauthorized`) or a malformed setting (`InvalidRequest`).
   */
  readonly make: (
    values: ProviderConfig.Values,
    connection: Connection
  ) => Effect.Effect<WorkflowProvider.Service, ProviderError, HttpClient.HttpClient | Scope.Scope>
}
