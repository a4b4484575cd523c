/**
 * The benchmark harness works: at its smoke sizes it runs the throughput section (the
 * emulator and every contender as processes, stats read from the emulator's admin API), the
 * state-file section and the start-up section, prints their tables, and the contenders wrote
 * the same records. A speed goal is not asserted here (that is what `pnpm bench` reports).
 *
 * The other sections (memory, large runs, rate budget, request economy) would start an
 * emulator and the bundle a dozen more times, at about a second of CPU each: three times
 * this test's cost, to prove only that their own code still runs. `pnpm bench --smoke`
 * (about 20 s) runs every section; run it after changing the harness.
 */
import { expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import { fileURLToPath } from "node:url"

const root = fileURLToPath(new URL("../../../../", import.meta.url))

it.live("bench --smoke measures throughput, the state file and start-up, and prints their tables", () =>
  Effect.async<{ code: number | null; stdout: string }>((resume) => {
    const child = spawn(process.execPath, ["bench/run.mjs", "--smoke", "--only", "throughput,state,startup"], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    child.stdout.on("data", (c: Buffer) => (stdout += c.toString()))
    child.stderr.resume()
    const timer = setTimeout(() => child.kill("SIGKILL"), 110_000)
    child.on("close", (code) => {
      clearTimeout(timer)
      resume(Effect.succeed({ code, stdout }))
    })
    return Effect.sync(() => child.kill("SIGKILL"))
  }).pipe(Effect.map(({ code, stdout }) => {
    expect(code).toBe(0)
    for (const heading of ["Throughput", "State file", "Start-up"]) expect(stdout).toContain(heading)
    expect(stdout).toMatch(/steptrail \/ floor: throughput \*?\*?\d+\.\d+x/)
    expect(stdout).toContain("same number of records in all outputs: yes; every run exited 0: yes")
    const latest = JSON.parse(fs.readFileSync(`${root}/bench/results/latest.json`, "utf8"))
    expect(latest.sections.throughput.sameLines).toBe(true)
    expect(Object.keys(latest.sections).sort()).toEqual(["startup", "state", "throughput"])
  })), 120_000)
