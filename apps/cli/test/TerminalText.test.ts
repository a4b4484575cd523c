/**
 * Provider text on stderr is inert: control characters in an error message, a log line or
 * the summary are shown as visible escapes, never written raw (a hostile endpoint must not
 * retitle or clear the user's terminal).
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect, type Scope } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import { run as spawnCli, stderrLines } from "./cli.js"
import { run } from "./inProcess.js"

/** Retitles the terminal (OSC 0 … BEL), clears it (CSI 2J), and a C1 CSI and a bidi override. */
const HOSTILE = "Workflow not found \x1b]0;pwned\x07\x1b[2J\x9b31m\u202egnp.exe"
const SHOWN = "Workflow not found \\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202egnp.exe"
const ACCOUNT = "0123456789abcdef0123456789abcdef"

/** A Cloudflare-shaped API on 127.0.0.1 that answers every request with `status` and HOSTILE. */
const hostileServer = (status: number): Effect.Effect<string, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.async<http.Server>((resume) => {
      const server = http.createServer((_, res) => {
        res.writeHead(status, { "content-type": "application/json" })
        res.end(JSON.stringify({ success: false, errors: [{ code: 10200, message: HOSTILE }], messages: [], result: null }))
      })
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed(server)))
    }),
    (server) =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  ).pipe(Effect.map((server) => `http://127.0.0.1:${(server.address() as AddressInfo).port}/client/v4`))

const raw = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e]/

describe("provider text on stderr", () => {
  it.scopedLive("a 404 whose message carries escape sequences reaches stderr as visible escapes (the bundle)", () =>
    Effect.gen(function*() {
      const url = yield* hostileServer(404)
      const r = yield* spawnCli(["export", "cloudflare", "--base-url", url, "--account-id", ACCOUNT, "--workflow", "w"], { CLOUDFLARE_API_TOKEN: "hostile-test-token" })
      expect(r.code).toBe(4)
      expect(stderrLines(r)).toEqual([`steptrail: cloudflare: not found (HTTP 404): ${SHOWN} [10200] (workflow w)`])
      expect(r.stderr).not.toMatch(raw)
    }))

  it.scopedLive("log lines (--verbose) and the failure line are escaped too", () =>
    Effect.gen(function*() {
      const url = yield* hostileServer(503)
      const r = yield* run(
        ["export", "cloudflare", "--base-url", url, "--account-id", ACCOUNT, "--workflow", "w", "--retries", "1", "--verbose", "--quiet"],
        { env: { CLOUDFLARE_API_TOKEN: "hostile-test-token" } }
      )
      expect(r.code).toBe(5)
      const lines = r.stderr.trimEnd().split("\n")
      expect(lines.some((l) => l.startsWith("steptrail: debug: ") && l.includes(SHOWN))).toBe(true)
      expect(lines[lines.length - 1]).toBe(`steptrail: cloudflare: unavailable (HTTP 503): ${SHOWN} [10200] (workflow w)`)
      expect(r.stderr).not.toMatch(raw)
    }))
})
