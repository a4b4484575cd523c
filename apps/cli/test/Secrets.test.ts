/**
 * The secret suite: recognizable tokens in the environment, every error case of
 * `errorCases.ts` with `--verbose`, and successful exports of all three providers with
 * `--out`, `--state` and `--verbose`. stdout, stderr, the output file and the state file never
 * hold a token, and (seen through a recording proxy) no request carries one in its URL: only
 * in its headers. In-process (`Main.run`), but for a case only a process can run and one
 * export through the bundle.
 */
import { describe, expect, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import {
  caseDir,
  cases,
  type Ctx,
  type ErrorCase,
  listFiles,
  needsProcess,
  runCase,
  runSpawned,
  SECRETS,
  type Servers,
  ServersTag,
  serversLayer,
  TOKEN
} from "./errorCases.js"
import * as Stub from "./stub.js"

/** The secrets as they could appear: raw, URL-encoded, base64 (as in a Basic header). */
const forms = (secret: string) => [secret, encodeURIComponent(secret), Buffer.from(secret).toString("base64")]

const leaks = (where: string, text: string): Array<string> =>
  SECRETS.flatMap((secret) => forms(secret).filter((form) => text.includes(form)).map((form) => `${where} holds ${form}`))

/** Every file the run left in `dir`, read as bytes (a secret is found in any encoding of the text). */
const fileLeaks = (dir: string): Array<string> =>
  listFiles(dir).flatMap((name) => {
    const file = path.join(dir, name)
    return fs.statSync(file).isFile() ? leaks(name, fs.readFileSync(file).toString("latin1")) : []
  })

const proxied = (servers: Servers, proxy: string): Servers => {
  const via = (url: string) => proxy + new URL(url).pathname
  const main = servers.main
  return {
    ...servers,
    main: {
      ...main,
      cloudflare: { ...main.cloudflare, baseUrl: via(main.cloudflare.baseUrl) },
      orchestra: { ...main.orchestra, baseUrl: via(main.orchestra.baseUrl) },
      onepin: { ...main.onepin, baseUrl: via(main.onepin.baseUrl) }
    }
  }
}

/** Successful exports: each writes records and a state file. */
const exports: ReadonlyArray<ErrorCase> = [
  {
    id: "ok.cloudflare-token",
    group: "answers",
    title: "Cloudflare with a token, full outputs",
    args: (c) => [
      "export", "cloudflare", "--base-url", c.main.cloudflare.baseUrl, "--account-id", c.main.cloudflare.accountId,
      "--workflow", c.main.cloudflare.workflow, "--full-output", "--state", path.join(c.dir, "state.json")
    ],
    env: () => ({ CLOUDFLARE_API_TOKEN: TOKEN }),
    code: 0,
    stderr: ""
  },
  {
    id: "ok.cloudflare-key",
    group: "answers",
    title: "Cloudflare with an email and a global API key",
    args: (c) => [
      "export", "cloudflare", "--base-url", c.main.cloudflare.baseUrl, "--account-id", c.main.cloudflare.accountId,
      "--workflow", c.main.cloudflare.workflow, "--state", path.join(c.dir, "state.json")
    ],
    env: () => ({ CLOUDFLARE_EMAIL: "me@example.com", CLOUDFLARE_API_KEY: TOKEN }),
    code: 0,
    stderr: ""
  },
  {
    id: "ok.orchestra",
    group: "answers",
    title: "Orchestra",
    args: (c) => ["export", "orchestra", "--base-url", c.main.orchestra.baseUrl, "--workflow", c.main.orchestra.workflow, "--state", path.join(c.dir, "state.json")],
    env: () => ({ ORCHESTRA_API_KEY: TOKEN }),
    code: 0,
    stderr: ""
  },
  {
    id: "ok.onepin",
    group: "answers",
    title: "Onepin, with its workspace",
    args: (c) => [
      "export", "onepin", "--base-url", c.main.onepin.baseUrl, "--workflow", c.main.onepin.workflow,
      "--workspace", c.main.onepin.workspaceId, "--state", path.join(c.dir, "state.json")
    ],
    env: () => ({ ONEPIN_API_KEY: TOKEN }),
    code: 0,
    stderr: ""
  }
]

layer(serversLayer, { excludeTestServices: true, timeout: "30 seconds" })("secrets", (it) => {
  describe.concurrent("no error case prints, logs or writes a token, even with --verbose", () => {
    for (const kase of cases) {
      const skip = kase.stdoutFull === true && !fs.existsSync("/dev/full")
      it.effect.skipIf(skip)(`${kase.id} --verbose`, () =>
        Effect.gen(function*() {
          const servers = yield* ServersTag
          const c: Ctx = { ...servers, dir: caseDir() }
          try {
            kase.setup?.(c)
            const r = yield* (needsProcess(kase) ? runSpawned : runCase)(kase, c, ["--verbose"])
            expect(r.code, r.stderr).toBe(kase.code)
            expect(r.stderr).not.toMatch(/^\s+at /m)
            expect([...leaks("stdout", r.stdout), ...leaks("stderr", r.stderr), ...fileLeaks(c.dir)]).toEqual([])
          } finally {
            fs.rmSync(c.dir, { recursive: true, force: true })
          }
        }), 30_000)
    }
  })

  describe.concurrent("successful exports keep tokens out of records, state, logs and URLs", () => {
    for (const kase of exports) {
      it.effect(`${kase.id}: ${kase.title}`, () =>
        Effect.scoped(Effect.gen(function*() {
          const servers = yield* ServersTag
          const proxy = yield* Stub.recordingProxy(new URL(servers.main.adminUrl).origin)
          const c: Ctx = { ...proxied(servers, proxy.url), dir: caseDir() }
          try {
            const r = yield* runCase(kase, c, ["--verbose"])
            expect(r.code, r.stderr).toBe(0)
            const files = listFiles(c.dir)
            expect(files).toEqual(["runs.ndjson", "state.json"])
            expect(fs.readFileSync(path.join(c.dir, "runs.ndjson"), "utf8").split("\n").length).toBeGreaterThan(2)
            expect([...leaks("stdout", r.stdout), ...leaks("stderr", r.stderr), ...fileLeaks(c.dir)]).toEqual([])

            // on the wire: every request authenticated by header, no URL holding a token
            expect(proxy.recorded.length).toBeGreaterThan(1)
            for (const request of proxy.recorded) {
              expect(leaks(`URL ${request.url}`, decodeURIComponent(request.url) + request.url)).toEqual([])
              const credential = request.headers.authorization ?? request.headers["x-auth-key"]
              expect(String(credential)).toContain(TOKEN)
            }
          } finally {
            fs.rmSync(c.dir, { recursive: true, force: true })
          }
        })), 30_000)
    }

    for (const [where, runner] of [["in-process", runCase], ["the bundle", runSpawned]] as const) {
      it.effect(`an export to stdout with --verbose (${where})`, () =>
        Effect.gen(function*() {
          const servers = yield* ServersTag
          const c: Ctx = { ...servers, dir: caseDir() }
          const kase: ErrorCase = { ...exports[2]!, out: false, args: (c) => ["export", "orchestra", "--base-url", c.main.orchestra.baseUrl, "--workflow", c.main.orchestra.workflow] }
          try {
            const r = yield* runner(kase, c, ["--verbose"])
            expect(r.code, r.stderr).toBe(0)
            expect(r.stdout.length).toBeGreaterThan(100)
            expect([...leaks("stdout", r.stdout), ...leaks("stderr", r.stderr)]).toEqual([])
          } finally {
            fs.rmSync(c.dir, { recursive: true, force: true })
          }
        }), 30_000)
    }
  })
})
