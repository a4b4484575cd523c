import { describe, expect, it } from "@effect/vitest"
import { ConfigProvider, Effect, Redacted } from "effect"
import * as ProviderConfig from "../src/ProviderConfig.js"
import * as ProviderError from "../src/ProviderError.js"

/** Settings shaped like Cloudflare's: a plain setting with two variables, a credential group. */
const settings: ReadonlyArray<ProviderConfig.Setting> = [
  { name: "accountId", flag: "account-id", env: ["ACME_ACCOUNT_ID"], description: "account" },
  { name: "baseUrl", flag: "base-url", env: ["ACME_API_BASE_URL", "ACME_BASE_URL"], description: "base URL" },
  { name: "token", env: ["ACME_TOKEN"], secret: true, group: "credentials", description: "token" },
  { name: "email", env: ["ACME_EMAIL"], group: "credentials", description: "email" },
  { name: "key", env: ["ACME_KEY"], secret: true, group: "credentials", description: "key" }
]

const withEnv = (env: Record<string, string>) => Effect.withConfigProvider(ConfigProvider.fromMap(new Map(Object.entries(env))))

const resolve = (env: Record<string, string>, explicit: ProviderConfig.Values = {}) =>
  ProviderConfig.resolve("acme", settings, explicit).pipe(withEnv(env))

const reveal = (value: string | Redacted.Redacted<string> | undefined) =>
  Redacted.isRedacted(value) ? Redacted.value(value) : value

describe("ProviderConfig.resolve", () => {
  it.effect("reads every setting from the environment, secrets as Redacted", () =>
    Effect.gen(function*() {
      const values = yield* resolve({ ACME_ACCOUNT_ID: "acc", ACME_BASE_URL: "https://sdk.test", ACME_TOKEN: "t0k" })
      expect(values["accountId"]).toBe("acc")
      expect(values["baseUrl"]).toBe("https://sdk.test")
      expect(Redacted.isRedacted(values["token"])).toBe(true)
      expect(reveal(values["token"])).toBe("t0k")
      expect(values["email"]).toBeUndefined()
      expect(values["key"]).toBeUndefined()
      // a secret never shows when the values are printed or logged
      expect(JSON.stringify(values)).not.toContain("t0k")
      expect(String(values["token"])).not.toContain("t0k")
    }))

  it.effect("the first variable that is set wins; an empty one counts as unset", () =>
    Effect.gen(function*() {
      const both = yield* resolve({ ACME_API_BASE_URL: "https://wrangler.test", ACME_BASE_URL: "https://sdk.test" })
      expect(both["baseUrl"]).toBe("https://wrangler.test")
      const firstEmpty = yield* resolve({ ACME_API_BASE_URL: "  ", ACME_BASE_URL: "https://sdk.test" })
      expect(firstEmpty["baseUrl"]).toBe("https://sdk.test")
      const none = yield* resolve({ ACME_API_BASE_URL: "", ACME_BASE_URL: "" })
      expect(none["baseUrl"]).toBeUndefined()
    }))

  it.effect("an empty secret in the environment is unset, not an empty Redacted", () =>
    Effect.gen(function*() {
      const values = yield* resolve({ ACME_TOKEN: " \t ", ACME_EMAIL: "" })
      expect(values["token"]).toBeUndefined()
      expect(values["email"]).toBeUndefined()
    }))

  it.effect("values are trimmed, secrets included", () =>
    Effect.gen(function*() {
      const values = yield* resolve({ ACME_ACCOUNT_ID: "  acc\n", ACME_TOKEN: " t0k " })
      expect(values["accountId"]).toBe("acc")
      expect(reveal(values["token"])).toBe("t0k")
      expect(Redacted.isRedacted(values["token"])).toBe(true)
    }))

  it.effect("explicit values win over the environment, one by one", () =>
    Effect.gen(function*() {
      const values = yield* resolve(
        { ACME_ACCOUNT_ID: "env-acc", ACME_BASE_URL: "https://env.test", ACME_TOKEN: "env-token" },
        { accountId: "flag-acc" }
      )
      expect(values["accountId"]).toBe("flag-acc")
      expect(values["baseUrl"]).toBe("https://env.test")
      expect(reveal(values["token"])).toBe("env-token")
    }))

  it.effect("an empty explicit value is unset: the environment's applies", () =>
    Effect.gen(function*() {
      const values = yield* resolve({ ACME_ACCOUNT_ID: "env-acc" }, { accountId: "  ", token: Redacted.make("") })
      expect(values["accountId"]).toBe("env-acc")
      expect(values["token"]).toBeUndefined()
    }))

  it.effect("a group is taken whole from one side: an explicit email never pairs with the environment's token", () =>
    Effect.gen(function*() {
      const env = { ACME_TOKEN: "env-token", ACME_EMAIL: "env@example.com", ACME_KEY: "env-key" }
      const values = yield* resolve(env, { email: "flag@example.com" })
      expect(values["email"]).toBe("flag@example.com")
      expect(values["token"]).toBeUndefined()
      expect(values["key"]).toBeUndefined()
      // settings outside the group are not affected
      const other = yield* resolve({ ...env, ACME_ACCOUNT_ID: "acc" }, { key: Redacted.make("flag-key") })
      expect(other["accountId"]).toBe("acc")
      expect(reveal(other["key"])).toBe("flag-key")
      expect(other["token"]).toBeUndefined()
      expect(other["email"]).toBeUndefined()
    }))

  it.effect("a blank explicit member does not claim its group", () =>
    Effect.gen(function*() {
      const values = yield* resolve({ ACME_TOKEN: "env-token" }, { email: " " })
      expect(reveal(values["token"])).toBe("env-token")
      expect(values["email"]).toBeUndefined()
    }))

  it.effect("a setting's default applies when neither an explicit value nor the environment gives one", () =>
    Effect.gen(function*() {
      const withDefault = [
        ProviderConfig.baseUrlSetting(["ACME_BASE_URL"], "https://api.acme.test"),
        { name: "namespace", flag: "namespace", env: ["ACME_NAMESPACE"], default: "default", description: "namespace" }
      ]
      const run = (env: Record<string, string>, explicit: ProviderConfig.Values = {}) =>
        ProviderConfig.resolve("acme", withDefault, explicit).pipe(withEnv(env))
      expect(yield* run({})).toEqual({ baseUrl: "https://api.acme.test", namespace: "default" })
      expect(yield* run({ ACME_NAMESPACE: "env-ns" }, { baseUrl: " " })).toEqual({ baseUrl: "https://api.acme.test", namespace: "env-ns" })
      expect(yield* run({ ACME_NAMESPACE: "env-ns" }, { namespace: "flag-ns" })).toMatchObject({ namespace: "flag-ns" })
    }))

  it("isLoopback is true for this machine's names only", () => {
    expect(["http://localhost:7233", "http://127.0.0.1/api", "http://[::1]:8080"].map(ProviderConfig.isLoopback)).toEqual([true, true, true])
    expect(["https://localhost.example", "http://10.0.0.1", "not a url"].map(ProviderConfig.isLoopback)).toEqual([false, false, false])
  })

  it.effect("without an environment or explicit values, every setting is undefined", () =>
    Effect.gen(function*() {
      const values = yield* resolve({})
      expect(Object.keys(values).sort()).toEqual(["accountId", "baseUrl", "email", "key", "token"])
      expect(Object.values(values).every((v) => v === undefined)).toBe(true)
    }))
})

describe("ProviderConfig accessors", () => {
  it("explicit keeps the defined strings and secrets of a typed config", () => {
    const token = Redacted.make("t")
    const values = ProviderConfig.explicit({ accountId: "a", baseUrl: undefined, retry: { times: 1 }, token, allowInsecure: true })
    expect(values).toEqual({ accountId: "a", token })
  })

  it("text unwraps and trims; blank is undefined", () => {
    expect(ProviderConfig.text({ a: " x " }, "a")).toBe("x")
    expect(ProviderConfig.text({ a: Redacted.make("s") }, "a")).toBe("s")
    expect(ProviderConfig.text({ a: "  " }, "a")).toBeUndefined()
    expect(ProviderConfig.text({}, "a")).toBeUndefined()
  })

  it("secret keeps (or makes) a Redacted; blank is undefined", () => {
    const kept = Redacted.make("k")
    expect(ProviderConfig.secret({ a: kept }, "a")).toBe(kept)
    const made = ProviderConfig.secret({ a: "plain" }, "a")
    expect(Redacted.isRedacted(made)).toBe(true)
    expect(Redacted.value(made!)).toBe("plain")
    expect(ProviderConfig.secret({ a: Redacted.make(" ") }, "a")).toBeUndefined()
    expect(ProviderConfig.secret({ a: undefined }, "a")).toBeUndefined()
  })

  it("fileKey is the flag with underscores; a secret has none", () => {
    expect(ProviderConfig.fileKey(settings[0]!)).toBe("account_id")
    expect(ProviderConfig.fileKey(settings[1]!)).toBe("base_url")
    expect(ProviderConfig.fileKey(settings[2]!)).toBeUndefined()
  })

  it("bearer is a trimmed Authorization value, still Redacted", () => {
    const header = ProviderConfig.bearer(Redacted.make("  sk-1 \n"))
    expect(Redacted.isRedacted(header)).toBe(true)
    expect(Redacted.value(header)).toBe("Bearer sk-1")
    expect(String(header)).not.toContain("sk-1")
  })
})

describe("ProviderConfig.checkBaseUrl", () => {
  const refused = (value: string, allowInsecure = false) =>
    Effect.flip(ProviderConfig.checkBaseUrl("acme", value, allowInsecure))

  it.effect.each([
    "https://api.example.com/v1",
    "https://api.example.com:8443",
    "http://127.0.0.1:8787/cloudflare/client/v4",
    "http://127.1.2.3",
    "http://localhost:3000/api",
    "http://LOCALHOST",
    "http://[::1]:9000/x"
  ])("accepts %s", (url) =>
    Effect.gen(function*() {
      expect(yield* ProviderConfig.checkBaseUrl("acme", url)).toBe(url)
    }))

  it.effect("returns the value trimmed", () =>
    Effect.gen(function*() {
      expect(yield* ProviderConfig.checkBaseUrl("acme", "  https://api.example.com/v1 \n")).toBe("https://api.example.com/v1")
    }))

  it.effect.each(["api.example.com", "", "https//x", "not a url"])("refuses %j: not a URL", (url) =>
    Effect.gen(function*() {
      const error = yield* refused(url)
      expect(error).toMatchObject({ _tag: "InvalidRequest", field: "base_url", provider: "acme" })
      expect(error.detail).toContain("is not a URL")
      expect(error.status).toBeUndefined()
      expect(ProviderError.exitCode(error)).toBe(2)
    }))

  it.effect("never echoes what sits where credentials would in a value that is not a URL", () =>
    Effect.gen(function*() {
      const error = yield* refused("htp ://user:hunter2@api.example.com")
      expect(error.detail).toContain("is not a URL")
      expect(error.message).not.toContain("hunter2")
      expect(error.message).toContain("//***@")
    }))

  it.effect.each(["ftp://files.example.com", "file:///etc/passwd", "ws://127.0.0.1:1"])("refuses %s: not http(s)", (url) =>
    Effect.gen(function*() {
      const error = yield* refused(url)
      expect(error).toMatchObject({ _tag: "InvalidRequest", field: "base_url" })
      expect(error.detail).toMatch(/^base URL must be http\(s\), got [a-z]+:$/)
    }))

  it.effect.each(["https://user:hunter2@api.example.com", "https://user@api.example.com", "http://:hunter2@127.0.0.1"])(
    "refuses %s: credentials in the URL, never echoed",
    (url) =>
      Effect.gen(function*() {
        const error = yield* refused(url, true)
        expect(error.detail).toBe("base URL must not carry credentials; use the environment variables")
        expect(error.message).not.toContain("hunter2")
      })
  )

  it.effect.each([
    "http://api.example.com",
    "http://10.0.0.5:8787",
    "http://localhost.example.com",
    "http://127.0.0.1.nip.io",
    "http://0.0.0.0:8787"
  ])("refuses %s: plain http off loopback, unless allowInsecure", (url) =>
    Effect.gen(function*() {
      const error = yield* refused(url)
      expect(error).toMatchObject({ _tag: "InvalidRequest", field: "base_url" })
      expect(error.detail).toContain("plain http")
      expect(error.detail).toContain("--allow-insecure")
      expect(yield* ProviderConfig.checkBaseUrl("acme", url, true)).toBe(url)
    }))
})

describe("ProviderConfig.missingCredentials", () => {
  it("is Unauthorized (exit 3) without a status, naming the first variable of each credential", () => {
    const error = ProviderConfig.missingCredentials("acme", settings)
    expect(error._tag).toBe("Unauthorized")
    expect(error.status).toBeUndefined()
    expect(ProviderError.exitCode(error)).toBe(3)
    expect(error.message).toBe("acme: not authorized: no credentials: set ACME_TOKEN or ACME_EMAIL or ACME_KEY")
  })

  it("a hint replaces the list", () => {
    const error = ProviderConfig.missingCredentials("acme", settings, "ACME_TOKEN, or ACME_EMAIL and ACME_KEY")
    expect(error.message).toBe("acme: not authorized: no credentials: set ACME_TOKEN, or ACME_EMAIL and ACME_KEY")
  })

  it("a single secret setting names its variable", () => {
    const error = ProviderConfig.missingCredentials("solo", [
      { name: "baseUrl", flag: "base-url", env: ["SOLO_BASE_URL"], description: "" },
      { name: "apiKey", env: ["SOLO_API_KEY", "SOLO_KEY"], secret: true, description: "" }
    ])
    expect(error.message).toBe("solo: not authorized: no credentials: set SOLO_API_KEY")
  })
})
