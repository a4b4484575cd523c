#!/usr/bin/env node
// The state file an incremental export keeps, measured: its size and the time one save takes
// (temporary file, fsync, rename, fsync of the directory) after an export of N runs, with
// the export package's own State and window code (packages/export/dist; build first).
//
//   node bench/state.mjs [20000,200000] [--repeat 15]
//
// Two shapes of history: runs created evenly over 30 days (1 % still running), and a burst
// where every run was created within the lateness margin (the worst case: all are "recent").
// For comparison, the version-1 state of the same runs (every run, saved the way version 1
// did: synchronously).
import { closeSync, fsyncSync, mkdtempSync, openSync, renameSync, rmSync, statSync, writeSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const load = (p) => import(pathToFileURL(path.join(root, p)).href)

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b)
  return s[s.length >> 1]
}

export const measureState = async (sizes, repeat = 15) => {
  const { Effect } = await load("packages/export/node_modules/effect/dist/esm/index.js")
  const { NodeFileSystem } = await load("apps/cli/node_modules/@effect/platform-node/dist/esm/index.js")
  const State = await load("packages/export/dist/State.js")
  const { Window, markOf } = await load("packages/export/dist/internal/window.js")
  const dir = mkdtempSync(path.join(os.tmpdir(), "steptrail-state-bench-"))
  const rows = []
  try {
    for (const n of sizes) {
      for (const shape of ["30 days", "burst"]) {
        const t0 = Date.parse("2026-01-01T00:00:00Z")
        const span = shape === "burst" ? 9 * 60_000 : 30 * 86_400_000
        const window = new Window(10 * 60_000)
        const v1 = {}
        for (let i = 0; i < n; i++) {
          const id = `${(0x10000000 + i).toString(16)}-4c1e-4b7e-9d55-5c1f0a0b${String(i % 10000).padStart(4, "0")}`
          const terminal = i % 100 !== 0
          const run = {
            provider: "cloudflare", account: "0123456789abcdef0123456789abcdef", workflow: "order-pipeline", id,
            status: terminal ? "complete" : "running", providerStatus: terminal ? "complete" : "running", terminal,
            createdAt: new Date(t0 + Math.floor((i / n) * span)).toISOString(), updatedAt: null,
            version: `${terminal ? "complete" : "running"}@2026-01-01T00:00:00.000Z`
          }
          window.add(run, markOf(run, 20))
          v1[id] = { status: run.providerStatus, terminal, steps: 20, version: run.version }
        }
        const state = { version: 2, sources: { "cloudflare/0123456789abcdef0123456789abcdef/order-pipeline": window.toState() }, pending: null }
        const file = path.join(dir, "state.json")
        const times = []
        for (let k = 0; k < repeat; k++) {
          const t = performance.now()
          await Effect.runPromise(Effect.provide(State.save(file, state), NodeFileSystem.layer))
          times.push(performance.now() - t)
        }
        const bytes = statSync(file).size
        // version 1: every run, written synchronously (the export waited for it)
        const v1File = path.join(dir, "v1.json")
        const v1Times = []
        const v1State = { version: 1, sources: { "cloudflare/0123456789abcdef0123456789abcdef/order-pipeline": v1 }, pending: null }
        for (let k = 0; k < Math.min(repeat, 5); k++) {
          const t = performance.now()
          const fd = openSync(`${v1File}.tmp`, "w")
          writeSync(fd, JSON.stringify(v1State) + "\n")
          fsyncSync(fd)
          closeSync(fd)
          renameSync(`${v1File}.tmp`, v1File)
          v1Times.push(performance.now() - t)
        }
        const s = state.sources["cloudflare/0123456789abcdef0123456789abcdef/order-pipeline"]
        rows.push({
          runs: n, shape, bytes, saveMs: median(times), open: Object.keys(s.open).length, recent: Object.keys(s.recent).length,
          v1Bytes: statSync(v1File).size, v1SaveMs: median(v1Times)
        })
      }
    }
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
  return rows
}

if (import.meta.url === pathToFileURL(process.argv[1]).href) {
  const sizes = (process.argv[2] && !process.argv[2].startsWith("--") ? process.argv[2] : "20000,200000").split(",").map(Number)
  const i = process.argv.indexOf("--repeat")
  for (const row of await measureState(sizes, i > 0 ? Number(process.argv[i + 1]) : 15)) console.log(JSON.stringify(row))
}
