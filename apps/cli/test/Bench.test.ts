/**
 * The benchmark in its smoke size: every section runs against a real emulator process and
 * prints its figures. A speed goal is not asserted here (that is what `pnpm bench` reports);
 * what is asserted is that the harness works and the contenders wrote the same records.
 */
import { expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../../", import.meta.url))

it.live("bench --smoke measures every section and prints the table", () =>
  Effect.async<{ code: number | null; stdout: string }>((resume) => {
    const child = spawn(process.execPath, ["bench/run.mjs", "--smoke"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()))
    child.stderr.resume()
    const timer = setTimeout(() => child.kill("SIGKILL"), 170_000)
    child.on("close", (code) => {
      clearTimeout(timer)
      resume(Effect.succeed({ code, stdout }))
    })
  }).pipe(Effect.map(({ code, stdout }) => {
    expect(code).toBe(0)
    for (const heading of ["Throughput", "Memory", "Rate budget", "Request economy", "Start-up"]) {
      expect(stdout).toContain(heading)
    }
    expect(stdout).toMatch(/steptrail \/ floor: throughput \*?\*?\d+\.\d+x/)
    const latest = JSON.parse(fs.readFileSync(`${root}/bench/results/latest.json`, "utf8"))
    expect(latest.sections.throughput.sameLines).toBe(true)
  })), 180_000)
