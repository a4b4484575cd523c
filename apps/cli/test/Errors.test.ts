/**
 * Every case of `errorCases.ts`, in-process: the documented exit code, exactly one stderr
 * line (the documented message), no stack trace, nothing on stdout, nothing left in the
 * output directory. A case for each exit code, and those only a process shows (stdout on a
 * full disk, a file size limit, a closed pipe), again through the bundle. And
 * `docs/errors.md` lists every case with its exit code.
 */
import { describe, expect, it, layer } from "@effect/vitest"
import { Effect } from "effect"
import { spawn, spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { BIN, type Result, stderrLines } from "./cli.js"
import {
  caseDir,
  cases,
  type Ctx,
  type ErrorCase,
  listFiles,
  matches,
  needsProcess,
  runCase,
  runSpawned,
  SECRETS,
  ServersTag,
  serversLayer,
  TOKEN
} from "./errorCases.js"
import * as InProcess from "./inProcess.js"

const DOC = fileURLToPath(new URL("../../../docs/errors.md", import.meta.url))
const hasDevFull = fs.existsSync("/dev/full")

/** Mounts a tmpfs of `kib` KiB at `dir`; false where this process may not mount (not root). */
const mountTmpfs = (dir: string, kib: number): boolean =>
  spawnSync("mount", ["-t", "tmpfs", "-o", `size=${kib}k`, "tmpfs", dir], { stdio: "ignore" }).status === 0
const canMount = (() => {
  if (process.getuid?.() !== 0) return false
  const dir = caseDir()
  const ok = mountTmpfs(dir, 16)
  if (ok) spawnSync("umount", [dir])
  fs.rmSync(dir, { recursive: true, force: true })
  return ok
})()

/**
 * Through the bundle as well: a case of each exit code (the environment, a config file's
 * variable, argv and the network as a process reads them), and what only a process shows.
 */
const SPAWNED = [
  "bodies.html", // 1
  "usage.insecure-env-base-url", // 2, a base URL from the process's environment
  "ids.empty", // 2, found in the process's argv
  "credentials.config-missing", // 3, a variable a --config file names
  "answers.cloudflare-instance-404", // 4
  "network.refused", // 5
  "outputs.stdout-full", // stdout redirected to /dev/full
  "outputs.file-too-large" // ulimit -f
]

/** The rows of docs/errors.md's tables whose first cell is a case id: id → exit code cell. */
const documented = (): Map<string, string> => {
  const rows = new Map<string, string>()
  for (const line of fs.readFileSync(DOC, "utf8").split("\n")) {
    const cells = line.split("|").map((cell) => cell.trim())
    const id = /^`([a-z]+\.[a-z0-9-]+)`$/.exec(cells[1] ?? "")?.[1]
    if (id !== undefined) rows.set(id, cells[cells.length - 2] ?? "")
  }
  return rows
}

describe("the error table", () => {
  it("has at least 30 cases with unique ids, across all three providers", () => {
    expect(cases.length).toBeGreaterThanOrEqual(30)
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length)
    const text = JSON.stringify(cases.map((c) => c.id))
    for (const provider of ["cloudflare", "orchestra", "onepin"]) expect(text).toContain(provider)
  })

  it("docs/errors.md lists every case with its exit code, and no other", () => {
    const rows = documented()
    for (const kase of cases) {
      expect(rows.has(kase.id), `${kase.id} missing from docs/errors.md`).toBe(true)
      expect(rows.get(kase.id), `${kase.id}'s exit code in docs/errors.md`).toBe(String(kase.code))
    }
    expect([...rows.keys()].filter((id) => !cases.some((c) => c.id === id))).toEqual([])
  })

  it("the bundle runs a case of every exit code, and every case only a process can run", () => {
    const spawned = cases.filter((k) => SPAWNED.includes(k.id))
    expect(spawned.map((k) => k.id).sort()).toEqual([...SPAWNED].sort())
    expect([...new Set(spawned.map((k) => k.code))].sort()).toEqual([1, 2, 3, 4, 5])
    for (const kase of cases.filter(needsProcess)) expect(SPAWNED).toContain(kase.id)
  })
})

/** Runs a case in a fresh directory and checks its one line, exit code and leftovers. */
const check = (kase: ErrorCase, run: (kase: ErrorCase, c: Ctx) => Effect.Effect<Result>) =>
  Effect.gen(function*() {
    const servers = yield* ServersTag
    const c: Ctx = { ...servers, dir: caseDir() }
    try {
      kase.setup?.(c)
      const before = listFiles(c.dir)
      const r = yield* run(kase, c)
      const lines = stderrLines(r)
      expect(r.stderr, "no stack trace").not.toMatch(/^\s+at /m)
      expect(lines, r.stderr).toHaveLength(1)
      expect(matches(kase.stderr, lines[0]!, c), `stderr ${JSON.stringify(lines[0])} vs ${String(kase.stderr)}`).toBe(true)
      expect(r.code, r.stderr).toBe(kase.code)
      expect(r.stdout).toBe("")
      expect(listFiles(c.dir), "no output, no .partial, no half file").toEqual(before)
      for (const secret of SECRETS) expect(r.stderr).not.toContain(secret)
      kase.after?.(c)
    } finally {
      fs.rmSync(c.dir, { recursive: true, force: true })
    }
  })

layer(serversLayer, { excludeTestServices: true, timeout: "30 seconds" })("steptrail error cases", (it) => {
  describe.concurrent("each prints one line, exits with its code, leaves nothing behind", () => {
    for (const kase of cases.filter((k) => !needsProcess(k))) {
      const skip = kase.stdoutFull === true && !hasDevFull
      it.effect.skipIf(skip)(`${kase.id}: ${kase.title} → ${kase.code}`, () => check(kase, (k, c) => runCase(k, c)), 30_000)
    }
  })

  // a real full disk: a tmpfs of four pages, three of them taken; the lock file takes the last
  it.effect.skipIf(!canMount)("a full disk under --state: one line in words, exit 1, no temporary file left beside the state", () =>
    Effect.gen(function*() {
      const { main } = yield* ServersTag
      const dir = caseDir()
      const disk = path.join(dir, "disk")
      fs.mkdirSync(disk)
      expect(mountTmpfs(disk, 16)).toBe(true)
      try {
        fs.writeFileSync(path.join(disk, "filler"), Buffer.alloc(12 * 1024))
        const state = path.join(disk, "s.json")
        const r = yield* InProcess.runWithEnv(
          ["export", "orchestra", "--base-url", main.orchestra.baseUrl, "--workflow", main.orchestra.workflow, "--state", state, "--out", path.join(dir, "runs.ndjson")],
          { ORCHESTRA_API_KEY: TOKEN }
        )
        expect(stderrLines(r)).toEqual([`steptrail: cannot write state file ${state}: no space left on device`])
        expect(r.code).toBe(1)
        expect(fs.readdirSync(disk)).toEqual(["filler"])
      } finally {
        spawnSync("umount", [disk])
        fs.rmSync(dir, { recursive: true, force: true })
      }
    }), 30_000)

  // permissions do not bind root: the bundle runs as nobody, on a state file only root may read
  const canDropPrivileges = process.getuid?.() === 0 && spawnSync("setpriv", ["--version"], { stdio: "ignore" }).status === 0
  it.skipIf(!canDropPrivileges)("an unreadable --state: one line in words, exit 2 (a --state that cannot be used)", () => {
    const dir = caseDir()
    try {
      fs.chmodSync(dir, 0o777)
      const state = path.join(dir, "s.json")
      fs.writeFileSync(state, "{}\n", { mode: 0o600 })
      const r = spawnSync(
        "setpriv",
        ["--reuid=65534", "--regid=65534", "--clear-groups", process.execPath, BIN, "export", "orchestra", "--base-url", "http://127.0.0.1:9/api", "--workflow", "w", "--state", state],
        { encoding: "utf8", env: { PATH: process.env.PATH ?? "", ORCHESTRA_API_KEY: TOKEN }, timeout: 30_000 }
      )
      expect(r.stderr).toBe(`steptrail: cannot read state file ${state}: permission denied\n`)
      expect(r.status).toBe(2)
      expect(r.stdout).toBe("")
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }, 30_000)

  describe.concurrent("the bundle: a case of each exit code, and what only a process shows", () => {
    for (const kase of cases.filter((k) => SPAWNED.includes(k.id))) {
      const skip = kase.stdoutFull === true && !hasDevFull
      it.effect.skipIf(skip)(`${kase.id}: ${kase.title} → ${kase.code}`, () => check(kase, (k, c) => runSpawned(k, c)), 30_000)
    }

    it.effect("an export to a reader that closed the pipe (| true) exits 0 and prints nothing", () =>
      Effect.gen(function*() {
        const { main } = yield* ServersTag
        const args = [
          "export", "cloudflare", "--base-url", main.cloudflare.baseUrl, "--account-id", main.cloudflare.accountId,
          "--workflow", main.cloudflare.workflow, "--full-output"
        ]
        // `true` exits without reading; the writer's exit code comes out on stderr after its own
        const script = `{ "$0" "$@"; echo "rc=$?" >&2; } | true`
        const r = yield* Effect.async<{ stderr: string }>((resume) => {
          const child = spawn("/bin/sh", ["-c", script, process.execPath, BIN, ...args], {
            env: { PATH: process.env.PATH ?? "", CLOUDFLARE_API_TOKEN: TOKEN },
            stdio: ["ignore", "ignore", "pipe"]
          })
          let stderr = ""
          child.stderr.on("data", (c: Buffer) => (stderr += c.toString()))
          child.on("close", () => resume(Effect.succeed({ stderr })))
          return Effect.sync(() => child.kill("SIGKILL"))
        })
        expect(r.stderr).toBe("rc=0\n")
      }), 30_000)
  })
})
