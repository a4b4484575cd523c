/**
 * How a provider is configured, the same way for every provider: settings read from the
 * environment with Effect `Config` (secrets as `Redacted`), explicit values (flags, a config
 * file, a library caller's overrides) layered over them, and one policy for base URLs and
 * credentials.
 *
 * @since 0.1.0
 */
import { Config, Effect, Option, Redacted } from "effect"
import { InvalidRequest, Unauthorized } from "./ProviderError.js"

/**
 * One setting of a provider: where it comes from on the command line, in a config file and in
 * the environment.
 *
 * @since 0.1.0
 * @category models
 */
export interface Setting {
  /** The field of the provider's `Config`, e.g. `accountId`. */
  readonly name: string
  /**
   * The CLI flag (`account-id`); the config-file key is the flag with underscores
   * (`account_id`). Secrets have none: they never appear in argv or in a file.
   */
  readonly flag?: string | undefined
  /** Environment variables, the first one set wins. */
  readonly env?: ReadonlyArray<string> | undefined
  /** Read as `Redacted`. */
  readonly secret?: boolean | undefined
  /** A config file names the variable that holds it: `credentials.<credential>` (`token_env`). */
  readonly credential?: string | undefined
  /**
   * Settings of one group are taken together: when any is given explicitly, the environment's
   * are ignored, so a flag's key is never paired with an environment's email.
   */
  readonly group?: string | undefined
  /** For help text. */
  readonly description: string
  /** For help text: `ID`, `NAME`, `URL`. */
  readonly placeholder?: string | undefined
  /**
   * The value when neither a flag, a config file nor the environment gives one (`resolve`
   * falls back to it; help shows it). Not for secrets.
   */
  readonly default?: string | undefined
}

/**
 * Resolved settings by name; absent or empty ones are undefined.
 *
 * @since 0.1.0
 * @category models
 */
export type Values = Readonly<Record<string, string | Redacted.Redacted<string> | undefined>>

/**
 * The config-file key of a setting.
 *
 * @since 0.1.0
 * @category accessors
 */
export const fileKey = (setting: Setting): string | undefined => setting.flag?.replace(/-/g, "_")

/**
 * Unset or only whitespace: a setting not given (a pasted empty token is no credential).
 *
 * @since 0.1.0
 * @category settings
 */
export const isBlank = (value: string | Redacted.Redacted<string> | undefined): boolean =>
  value === undefined || (Redacted.isRedacted(value) ? Redacted.value(value) : value).trim() === ""

const trimmed = (value: string | Redacted.Redacted<string>) =>
  Redacted.isRedacted(value) ? Redacted.make(Redacted.value(value).trim()) : value.trim()

const fromEnv = (setting: Setting): Config.Config<Option.Option<string | Redacted.Redacted<string>>> => {
  const one = (name: string) =>
    Config.option<string | Redacted.Redacted<string>>(setting.secret === true ? Config.redacted(name) : Config.string(name)).pipe(
      Config.map(Option.filter((v) => !isBlank(v)))
    )
  return (setting.env ?? []).reduce(
    (acc, name) => Config.zipWith(acc, one(name), (a, b) => Option.orElse(a, () => b)),
    Config.succeed(Option.none()) as Config.Config<Option.Option<string | Redacted.Redacted<string>>>
  )
}

/**
 * The settings from the environment (the current `ConfigProvider`), with `explicit` values
 * winning; groups are taken whole from one side. Values are trimmed; empty ones count as
 * unset.
 *
 * @since 0.1.0
 * @category resolving
 */
export const resolve = (
  provider: string,
  settings: ReadonlyArray<Setting>,
  explicit: Values = {}
): Effect.Effect<Values, InvalidRequest> =>
  Effect.gen(function*() {
    const env = yield* Config.all(settings.map((s) => fromEnv(s))).pipe(
      Effect.mapError((e) =>
        new InvalidRequest({ provider, detail: `could not read the environment: ${String(e).replace(/\s+/g, " ")}` })
      )
    )
    const givenGroups = new Set(settings.filter((s) => s.group !== undefined && !isBlank(explicit[s.name])).map((s) => s.group))
    const out: Record<string, string | Redacted.Redacted<string> | undefined> = {}
    settings.forEach((setting, i) => {
      const given = explicit[setting.name]
      const fallback = setting.group !== undefined && givenGroups.has(setting.group) ? undefined : Option.getOrUndefined(env[i]!)
      const value = isBlank(given) ? fallback ?? setting.default : given
      out[setting.name] = value === undefined ? undefined : trimmed(value)
    })
    return out
  })

/**
 * Only the defined values of a typed config, for `resolve`'s `explicit`.
 *
 * @since 0.1.0
 * @category resolving
 */
export const explicit = (config: object): Values =>
  Object.fromEntries(
    Object.entries(config).filter(([, v]) => typeof v === "string" || Redacted.isRedacted(v))
  ) as Values

/**
 * A plain setting's value.
 *
 * @since 0.1.0
 * @category accessors
 */
export const text = (values: Values, name: string): string | undefined => {
  const value = values[name]
  return value === undefined || isBlank(value) ? undefined : Redacted.isRedacted(value) ? Redacted.value(value) : value.trim()
}

/**
 * A secret setting's value, still `Redacted`.
 *
 * @since 0.1.0
 * @category accessors
 */
export const secret = (values: Values, name: string): Redacted.Redacted<string> | undefined => {
  const value = values[name]
  return value === undefined || isBlank(value) ? undefined : Redacted.isRedacted(value) ? value : Redacted.make(value)
}

const loopback = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i

/**
 * A URL to this machine (`localhost`, `127.x.x.x`, `[::1]`): where plain http is allowed, and
 * where a provider may take no credential (a local dev server).
 *
 * @since 0.2.0
 * @category base URL
 */
export const isLoopback = (url: string): boolean => {
  try {
    return loopback.test(new URL(url).hostname)
  } catch {
    return false
  }
}

/**
 * The one base URL policy: http(s) only, no credentials in the URL, and plain http only to a
 * loopback host unless `allowInsecure` (credentials travel with every request).
 *
 * @since 0.1.0
 * @category policies
 */
export const checkBaseUrl = (
  provider: string,
  value: string,
  allowInsecure = false
): Effect.Effect<string, InvalidRequest> => {
  const refuse = (detail: string) => Effect.fail(new InvalidRequest({ provider, detail, field: "base_url" }))
  let url: URL
  try {
    url = new URL(value)
  } catch {
    // whatever sits where credentials would (`//user:secret@`) is not echoed
    return refuse(`base URL ${JSON.stringify(value.slice(0, 200).replace(/\/\/[^/?#]*@/, "//***@"))} is not a URL`)
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return refuse(`base URL must be http(s), got ${url.protocol}`)
  if (url.username !== "" || url.password !== "") {
    return refuse("base URL must not carry credentials; use the environment variables")
  }
  if (url.protocol === "http:" && !loopback.test(url.hostname) && !allowInsecure) {
    return refuse(
      `base URL uses plain http to ${url.hostname}: credentials would travel unencrypted; use https or pass --allow-insecure`
    )
  }
  return Effect.succeed(value.trim())
}

/**
 * The one credential policy: a credential that is missing is `Unauthorized` (exit 3), raised
 * when the provider is built, before any request, naming the variables that would hold it.
 *
 * @since 0.1.0
 * @category policies
 */
export const missingCredentials = (provider: string, settings: ReadonlyArray<Setting>, hint?: string): Unauthorized => {
  const names = settings.filter((s) => s.secret === true || s.group !== undefined).flatMap((s) => (s.env ?? []).slice(0, 1))
  return new Unauthorized({ provider, detail: `no credentials: set ${hint ?? names.join(" or ")}` })
}

/**
 * `Authorization: Bearer <key>`, still `Redacted`.
 *
 * @since 0.1.0
 * @category policies
 */
export const bearer = (key: Redacted.Redacted<string>): Redacted.Redacted<string> =>
  Redacted.make(`Bearer ${Redacted.value(key).trim()}`)

/**
 * The base URL setting every provider has: `--base-url`, a config file's `base_url`, and the
 * provider's variables.
 *
 * @since 0.1.0
 * @category settings
 */
export const baseUrlSetting = (env: ReadonlyArray<string>, defaultUrl: string): Setting => ({
  name: "baseUrl",
  flag: "base-url",
  env,
  placeholder: "URL",
  default: defaultUrl,
  description: `API base URL, version prefix included (or ${env.join(" or ")}).`
})

/**
 * An API key setting (`apiKey`), read from `env` and named in a config file by `key_env`.
 *
 * @since 0.1.0
 * @category settings
 */
export const apiKeySetting = (env: string, description = "API key."): Setting => ({
  name: "apiKey",
  env: [env],
  secret: true,
  credential: "key_env",
  description
})
