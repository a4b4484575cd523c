/**
 * What the rehearsals share: an emulator in this process (so its counts can be read directly),
 * the built CLI in a child process (real time, real budgets), and the arithmetic of a budget.
 */
import { Emulator } from "@steptrail/emulator"
import { Effect, type Scope } from "effect"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { BIN } from "../cli.js"

export type Provider = "cloudflare" | "orchestra" | "onepin"

export interface Running {
  readonly child: ChildProcess
  readonly stderr: () => string
  readonly done: Promise<{ readonly code: number | null; readonly signal: NodeJS.Signals | null; readonly millis: number }>
}

/** The CLI as a child process; stdout goes to a file (or is dropped). */
export const start = (args: ReadonlyArray<string>, env: Record<string, string>, stdoutFile?: string): Running => {
  const started = performance.now()
  const out = stdoutFile === undefined ? "ignore" : fs.openSync(stdoutFile, "w")
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { PATH: process.env.PATH ?? "", HOME: os.tmpdir(), ...env },
    stdio: ["ignore", out, "pipe"]
  })
  if (typeof out === "number") fs.closeSync(out)
  const err: Array<Buffer> = []
  child.stderr!.on("data", (c: Buffer) => err.push(c))
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null; millis: number }>((resolve) => {
    // bounded: a rehearsal that hangs fails instead of holding the suite
    const timer = setTimeout(() => child.kill("SIGKILL"), 140_000)
    child.on("close", (code, signal) => {
      clearTimeout(timer)
      resolve({ code, signal, millis: performance.now() - started })
    })
  })
  return { child, stderr: () => Buffer.concat(err).toString("utf8"), done }
}

export const run = (args: ReadonlyArray<string>, env: Record<string, string>, stdoutFile?: string) => {
  const running = start(args, env, stdoutFile)
  return running.done.then((result) => ({ ...result, stderr: running.stderr() }))
}

/** An emulator for one rehearsal, closed with the scope. */
export const emulator = (options: Emulator.Options): Effect.Effect<Emulator.Emulator, Emulator.EmulatorError, Scope.Scope> =>
  Emulator.start({ seed: 7, ...options })

/** The flags and environment that point an export of `provider` at the emulator. */
export const target = (
  em: Emulator.Emulator,
  provider: Provider,
  token = em.info.token
): { readonly args: ReadonlyArray<string>; readonly env: Record<string, string> } => {
  const info = em.info
  switch (provider) {
    case "cloudflare":
      return {
        args: ["export", "cloudflare", "--base-url", info.cloudflare.baseUrl, "--account-id", info.cloudflare.accountId, "--workflow", info.cloudflare.workflow],
        env: { CLOUDFLARE_API_TOKEN: token }
      }
    case "orchestra":
      return { args: ["export", "orchestra", "--base-url", info.orchestra.baseUrl, "--workflow", info.orchestra.workflow], env: { ORCHESTRA_API_KEY: token } }
    case "onepin":
      return {
        args: ["export", "onepin", "--base-url", info.onepin.baseUrl, "--workflow", info.onepin.workflow, "--workspace", info.onepin.workspaceId],
        env: { ONEPIN_API_KEY: token }
      }
  }
}

/**
 * The shortest time a sliding window of `limit` per `windowMs` allows `requests` requests to
 * take, first start to last start: every `limit` requests wait one window.
 */
export const dictatedMillis = (requests: number, limit: number, windowMs: number) =>
  (Math.ceil(requests / limit) - 1) * windowMs

export const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-rehearsal-"))

export const readLines = (file: string) => {
  const text = fs.readFileSync(file, "utf8")
  return text === "" ? [] : text.replace(/\n$/, "").split("\n")
}
