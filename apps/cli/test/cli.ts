/**
 * Runs the built CLI as a user would: a child process, its stdout, stderr and exit code.
 * The child gets a clean environment (no credentials leak in from the developer's shell).
 * For what only a process shows; everything else runs in-process (`inProcess.ts`).
 */
import { Effect } from "effect"
import { spawn } from "node:child_process"
import { existsSync } from "node:fs"
import { fileURLToPath } from "node:url"

export const BIN = fileURLToPath(new URL("../dist/bin.js", import.meta.url))

export interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

export const run = (
  args: ReadonlyArray<string>,
  env: Record<string, string> = {},
  options: { readonly timeoutMs?: number; readonly cwd?: string } = {}
): Effect.Effect<Result> =>
  Effect.async<Result>((resume) => {
    if (!existsSync(BIN)) throw new Error(`${BIN} is missing: run \`pnpm build\` first`)
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "/tmp", ...env },
      cwd: options.cwd,
      stdio: ["ignore", "pipe", "pipe"]
    })
    const out: Array<Buffer> = []
    const err: Array<Buffer> = []
    child.stdout.on("data", (c: Buffer) => out.push(c))
    child.stderr.on("data", (c: Buffer) => err.push(c))
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000)
    child.on("close", (code) => {
      clearTimeout(timer)
      resume(Effect.succeed({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") }))
    })
    return Effect.sync(() => child.kill("SIGKILL"))
  })

export const lines = (text: string): Array<string> => (text === "" ? [] : text.replace(/\n$/, "").split("\n"))

/** Every stderr line; a failure must print exactly one. */
export const stderrLines = (result: { readonly stderr: string }) => lines(result.stderr).filter((l) => l.trim() !== "")
