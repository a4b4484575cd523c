#!/usr/bin/env node
// The operating envelope: a scaled rehearsal of exports at a server-enforced budget whose
// window outlasts a request's whole retry allowance, latency on every request, for each
// provider; then what that predicts at Cloudflare's documented budget (1,200 per 5 minutes).
//
//   node bench/envelope.mjs [--limit 40] [--window 15] [--runs 130] [--latency 20-150]
//
// Needs the built CLI (`pnpm build`). Markdown on stdout, progress on stderr.
import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const cli = path.join(root, "apps/cli/dist/bin.js")
const argv = process.argv.slice(2)
const flag = (name, fallback) => {
  const i = argv.indexOf(`--${name}`)
  return i < 0 ? fallback : argv[i + 1]
}
const limit = Number(flag("limit", 40))
const windowS = Number(flag("window", 15))
const runs = Number(flag("runs", 130))
const latency = String(flag("latency", "20-150"))
const log = (...a) => process.stderr.write(`[envelope] ${a.join(" ")}\n`)

const startEmulator = () =>
  new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [
      cli, "emulator", "--port", "0", "--seed", "7", "--instances", String(runs), "--runs", String(runs),
      "--rate-limit", `${limit}/${windowS}s`, "--latency", latency
    ], { stdio: ["ignore", "pipe", "inherit"] })
    let buf = ""
    proc.stdout.on("data", (c) => {
      buf += c
      if (buf.includes("\n")) resolve({ proc, info: JSON.parse(buf.slice(0, buf.indexOf("\n"))) })
    })
    proc.once("exit", (code) => reject(new Error(`emulator exited ${code}`)))
  })

const exportOf = (info, provider) => {
  const token = info.token
  const args = {
    cloudflare: ["--base-url", info.cloudflare.baseUrl, "--account-id", info.cloudflare.accountId, "--workflow", info.cloudflare.workflow],
    orchestra: ["--base-url", info.orchestra.baseUrl, "--workflow", info.orchestra.workflow],
    onepin: ["--base-url", info.onepin.baseUrl, "--workflow", info.onepin.workflow]
  }[provider]
  const env = { CLOUDFLARE_API_TOKEN: token, ORCHESTRA_API_KEY: token, ONEPIN_API_KEY: token }
  return new Promise((resolve) => {
    const t0 = performance.now()
    const proc = spawn(process.execPath, [
      cli, "export", provider, ...args, "--rate-limit", `${limit}/${windowS}s`, "--timeout", "2", "--retries", "2", "--quiet"
    ], { stdio: ["ignore", "ignore", "pipe"], env: { PATH: process.env.PATH, ...env } })
    let err = ""
    proc.stderr.on("data", (c) => (err += c))
    proc.once("exit", (code) => resolve({ provider, code, ms: performance.now() - t0, err }))
  })
}

const emu = await startEmulator()
log(`emulator enforces ${limit}/${windowS}s with ${latency} ms latency; ${runs} runs per provider`)
const results = await Promise.all(["cloudflare", "orchestra", "onepin"].map((p) => exportOf(emu.info, p)))
for (const r of results) if (r.code !== 0) log(`${r.provider} exited ${r.code}: ${r.err.slice(0, 300)}`)
const stats = await fetch(`${emu.info.adminUrl}/stats?window=${windowS * 1000}`).then((r) => r.json())
emu.proc.kill("SIGTERM")

const windowMs = windowS * 1000
const dictated = (requests, l, w) => (Math.ceil(requests / l) - 1) * w
const rows = results.map((r) => {
  const c = stats.credentials[r.provider]["0"]
  const d = dictated(c.requests, limit, windowMs)
  return { ...r, requests: c.requests, tooMany: c.tooManyRequests, peak: c.peakInWindow.arrived, dictatedMs: d, ratio: r.ms / d }
})
const out = []
out.push(`### Scaled rehearsal: ${limit} requests per ${windowS} s enforced by the server, ${latency} ms latency, \`--timeout 2 --retries 2\``, "")
out.push("| provider | exit | requests | windows | dictated s | measured s | measured / dictated | 429s | peak in any window |")
out.push("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
for (const r of rows) {
  out.push(`| ${r.provider} | ${r.code} | ${r.requests} | ${Math.ceil(r.requests / limit)} | ${(r.dictatedMs / 1000).toFixed(1)} | ${(r.ms / 1000).toFixed(1)} | ${r.ratio.toFixed(3)} | ${r.tooMany} | ${r.peak} |`)
}
// what the rehearsal took beyond the budget's own time (start-up, one answer's latency at each
// window, the last window's fetches), per window: a cost per window, not a share of it
const perWindow = Math.max(...rows.map((r) => (r.ms - r.dictatedMs) / Math.ceil(r.requests / limit)))
out.push("", "### At Cloudflare's documented budget (1,200 requests per 5 minutes per token)", "")
out.push("Requests of an export of N instances without `--full-output`: one count, one listing page per 100, one step log per instance.")
out.push(`Time: the windows those requests need, plus what the rehearsal took beyond its budget per window (${(perWindow / 1000).toFixed(2)} s: start-up, an answer's latency at each window, the last window's fetches).`, "")
out.push("| instances | requests | windows of 5 min | dictated | expected |")
out.push("| ---: | ---: | ---: | ---: | ---: |")
const hm = (ms) => {
  const m = Math.round(ms / 60000)
  return m < 60 ? `${m} min` : `${Math.floor(m / 60)} h ${String(m % 60).padStart(2, "0")} min`
}
for (const n of [1000, 20000, 100000]) {
  const requests = 1 + Math.ceil(n / 100) + n
  const d = dictated(requests, 1200, 300_000)
  const windows = Math.ceil(requests / 1200)
  out.push(`| ${n.toLocaleString("en-US")} | ${requests.toLocaleString("en-US")} | ${windows} | ${d === 0 ? "within the first window" : hm(d)} | ${d === 0 ? "as fast as latency allows" : hm(d + windows * perWindow)} |`)
}
process.stdout.write(out.join("\n") + "\n")
process.exit(rows.every((r) => r.code === 0) ? 0 : 1)
