#!/usr/bin/env node
// `steptrail serve` on one runner (SQLite): its CPU per 1,000 provider requests, and from it
// how many Cloudflare-budget sources (1,200 requests per 5 minutes each) one core carries.
// The emulator runs as its own process with its clock running (live runs progress); serve runs
// for --seconds against three sources (one per provider, the budget lifted), then SIGTERM.
// CPU is read from /proc (user + system ticks of the serve process), requests from its own
// /metrics. Plain Node ESM; needs the built CLI (`pnpm build`).
//
//   node bench/serve.mjs [--seconds 30]
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const cli = path.join(root, "apps/cli/dist/bin.js")
const seconds = Number(process.argv[process.argv.indexOf("--seconds") + 1] ?? 30) || 30
const TOKEN = "steptrail-emulator-token"
const dir = mkdtempSync(path.join(os.tmpdir(), "steptrail-bench-serve-"))

const firstLine = (child) =>
  new Promise((resolve) => {
    let text = ""
    child.stdout.on("data", (c) => {
      text += c
      const i = text.indexOf("\n")
      if (i >= 0) resolve(text.slice(0, i))
    })
  })

const emulator = spawn(process.execPath, [cli, "emulator", "--instances", "3000", "--runs", "3000", "--live", "20", "--clock-speed", "60"], { stdio: ["ignore", "pipe", "inherit"] })
const info = JSON.parse(await firstLine(emulator))
const limit = "100000000/1s"
const sources = [
  { provider: "cloudflare", account_id: info.cloudflare.accountId, workflow: info.cloudflare.workflow, base_url: info.cloudflare.baseUrl, full_output: true, rate_limit: limit },
  { provider: "orchestra", workflow: info.orchestra.workflow, base_url: info.orchestra.baseUrl, rate_limit: limit },
  { provider: "onepin", workflow: info.onepin.workflow, base_url: info.onepin.baseUrl, workspace: info.onepin.workspaceId, rate_limit: limit }
]
const config = path.join(dir, "sources.json")
writeFileSync(config, JSON.stringify({ sources }))
const env = { PATH: process.env.PATH, CLOUDFLARE_API_TOKEN: TOKEN, ORCHESTRA_API_KEY: TOKEN, ONEPIN_API_KEY: TOKEN }
const serve = spawn(process.execPath, [cli, "serve", "--config", config, "--out", `sqlite:${path.join(dir, "steps.db")}`, "--poll-interval", "1", "--log-format", "json"], {
  env,
  stdio: ["ignore", "ignore", "pipe"]
})
let stderr = ""
serve.stderr.on("data", (c) => (stderr += c))
const ticks = () => {
  const fields = readFileSync(`/proc/${serve.pid}/stat`, "utf8").split(") ")[1].split(" ")
  return Number(fields[11]) + Number(fields[12]) // utime + stime, after the state field
}
await new Promise((r) => setTimeout(r, seconds * 1000))
const base = /listening on (http:\/\/[^ ]+) /.exec(stderr)?.[1]
const metrics = await fetch(`${base}/metrics`).then((r) => r.text())
const cpuSeconds = ticks() / 100 // USER_HZ
serve.kill("SIGTERM")
await new Promise((r) => serve.once("close", r))
emulator.kill("SIGTERM")
const requests = Number(/^steptrail_requests (\d+)$/m.exec(metrics)?.[1] ?? 0)
const records = [...metrics.matchAll(/^steptrail_serve_records_written_total\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0)
const perThousand = (cpuSeconds / requests) * 1000
// one Cloudflare budget: 1,200 requests per 5 minutes = 4 requests a second at most
const sourcesPerCore = Math.floor(1 / ((perThousand / 1000) * 4))
console.log(`| serve, one runner, SQLite, ${seconds} s | ${requests} requests | ${records} records | ${cpuSeconds.toFixed(1)} s CPU | ${perThousand.toFixed(2)} s CPU per 1,000 requests | ${sourcesPerCore} Cloudflare-budget sources per core |`)
