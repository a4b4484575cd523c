#!/usr/bin/env node
// `steptrail serve` on one runner (SQLite): its CPU per 1,000 provider requests, and how many
// Cloudflare-budget sources (1,200 requests per 5 minutes each) one core carries.
//
// Default: three sources (one per provider, the budget lifted), the CPU per request, and from
// it the sources one core would carry. `--sources N`: measured instead, N Cloudflare sources
// (N accounts, so N credentials), each held at Cloudflare's average rate (1,200 per 5 minutes is 4
// requests a second; the window is shortened to 1 s, `4/1s`, so that a run of a minute is in
// steady state rather than in the first window's burst), the emulator enforcing the same per
// account (N emulators in one process, `bench/emulators.mjs`): the runner's share of one core
// while every source runs at its budget, and whether each source got its budget's requests.
// The emulator runs as its own process with its clock running (live runs progress); serve
// runs for --seconds, then SIGTERM. CPU is read from /proc (user + system ticks of the serve
// process), requests from its own /metrics. Plain Node ESM; needs the built CLI (`pnpm build`).
//
//   node bench/serve.mjs [--seconds 30]
//   node bench/serve.mjs --sources 100 [--seconds 60] [--json] [--cli PATH]
import { spawn } from "node:child_process"
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
// --cli PATH: another copy of the bundle (`bench/run.mjs` measures a private one)
const cli = process.argv.includes("--cli") ? process.argv[process.argv.indexOf("--cli") + 1] : path.join(root, "apps/cli/dist/bin.js")
const json = process.argv.includes("--json")
const arg = (name, fallback) => (process.argv.includes(name) ? Number(process.argv[process.argv.indexOf(name) + 1]) || fallback : fallback)
const seconds = arg("--seconds", 30)
const many = arg("--sources", 0)
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

// --sources N: N emulators (one account each) in one process of their own; else one emulator
const emulator = many > 0
  ? spawn(process.execPath, [path.join(root, "bench/emulators.mjs"), String(many), "400", "4", "1000"], { stdio: ["ignore", "pipe", "inherit"] })
  : spawn(process.execPath, [cli, "emulator", "--instances", "3000", "--runs", "3000", "--live", "20", "--clock-speed", "60"], { stdio: ["ignore", "pipe", "inherit"] })
const infos = many > 0 ? JSON.parse(await firstLine(emulator)) : [JSON.parse(await firstLine(emulator))]
const info = infos[0]
const limit = "100000000/1s"
const sources = many > 0
  ? infos.map((i) => ({ provider: "cloudflare", account_id: i.cloudflare.accountId, workflow: i.cloudflare.workflow, base_url: i.cloudflare.baseUrl, full_output: true, rate_limit: "4/1s" }))
  : [
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
// from the first request on (start-up, the tables, is not the steady state)
const scrape = async () => {
  const base = /listening on (http:\/\/[^ ]+) /.exec(stderr)?.[1]
  return base === undefined ? "" : fetch(`${base}/metrics`).then((r) => r.text(), () => "")
}
const count = (metrics, name) => [...metrics.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)$`, "gm"))].reduce((n, m) => n + Number(m[1]), 0)
// whatever ends this script, the emulator and serve end with it
let served = false
serve.once("close", () => (served = true))
process.on("exit", () => {
  emulator.kill("SIGKILL")
  serve.kill("SIGKILL")
})
let start
for (let i = 0; i < 600 && start === undefined && !served; i++) {
  await new Promise((r) => setTimeout(r, 100))
  const metrics = await scrape()
  if (count(metrics, "steptrail_requests") > 0) start = { at: performance.now(), ticks: ticks(), metrics }
}
if (start === undefined) {
  process.stderr.write(`serve made no request within 60 s${served ? " (it exited)" : ""}:\n${stderr}`)
  process.exit(1)
}
await new Promise((r) => setTimeout(r, seconds * 1000))
const metrics = await scrape()
const cpuSeconds = (ticks() - start.ticks) / 100 // USER_HZ
const wall = (performance.now() - start.at) / 1000
serve.kill("SIGTERM")
await new Promise((r) => serve.once("close", r))
emulator.kill("SIGTERM")
const requests = count(metrics, "steptrail_requests") - count(start.metrics, "steptrail_requests")
const limited = count(metrics, "steptrail_rate_limited")
const records = count(metrics, "steptrail_serve_records_written_total") - count(start.metrics, "steptrail_serve_records_written_total")
const perThousand = (cpuSeconds / requests) * 1000
if (many > 0) {
  // every source at its budget: 4 requests a second each, at most
  const share = cpuSeconds / wall
  const ofBudget = requests / (many * 4 * wall)
  // (a source's first pass outlasts the run: its records are committed, but counted at the pass's end)
  if (json) console.log(JSON.stringify({ sources: many, seconds: wall, requests, ofBudget, tooManyRequests: limited, cpuSeconds, share, perThousand, sourcesPerCore: Math.floor((many * ofBudget) / share) }))
  else console.log(`| ${many} Cloudflare sources at 4/1s, ${wall.toFixed(0)} s | ${requests} requests, ${(ofBudget * 100).toFixed(0)} % of the budgets, ${limited} 429s | ${cpuSeconds.toFixed(1)} s CPU, ${(share * 100).toFixed(0)} % of one core | ${perThousand.toFixed(2)} s CPU per 1,000 requests |`)
} else {
  // one Cloudflare budget: 1,200 requests per 5 minutes = 4 requests a second at most
  const sourcesPerCore = Math.floor(1 / ((perThousand / 1000) * 4))
  console.log(`| serve, one runner, SQLite, ${wall.toFixed(0)} s | ${requests} requests | ${records} records | ${cpuSeconds.toFixed(1)} s CPU | ${perThousand.toFixed(2)} s CPU per 1,000 requests | ${sourcesPerCore} Cloudflare-budget sources per core (derived) |`)
}
