// CPU of two steptrail bundles on the throughput case, interleaved on one emulator:
//   node bench/ab.mjs BASE_DIST NEW_DIST [PAIRS]
// BASE_DIST and NEW_DIST are copies of `apps/cli/dist` (build the base commit in a worktree of
// its own and copy its dist aside). Each pair runs both, the order alternating; CPU time (user +
// system) comes from `bench/rss.cjs`, so a busy machine moves wall time much more than it. The
// two outputs are compared byte for byte after every pair.
import { spawn } from "node:child_process"
import { closeSync, cpSync, openSync, readFileSync, rmSync, statSync } from "node:fs"
import os from "node:os"
import path from "node:path"
import { fileURLToPath } from "node:url"

const [baseDist, newDist, pairs = "7"] = process.argv.slice(2)
if (baseDist === undefined || newDist === undefined) {
  console.error("usage: node bench/ab.mjs BASE_DIST NEW_DIST [PAIRS]")
  process.exit(2)
}
const here = path.dirname(fileURLToPath(import.meta.url))
const preload = path.join(here, "rss.cjs")
const work = path.join(os.tmpdir(), `steptrail-ab-${process.pid}`)
const TOKEN = "steptrail-emulator-token"
// private copies: a rebuild while this runs does not change what is measured
cpSync(baseDist, path.join(work, "base"), { recursive: true })
cpSync(newDist, path.join(work, "new"), { recursive: true })

const emulator = spawn(process.execPath, [
  path.join(work, "new", "bin.js"), "emulator", "--port", "0", "--seed", "1", "--instances", "2000", "--steps", "20",
  "--output-bytes", "3000", "--live", "0", "--token", TOKEN
], { stdio: ["ignore", "pipe", "inherit"] })
const info = await new Promise((resolve) => {
  let buf = ""
  emulator.stdout.on("data", (chunk) => {
    buf += chunk
    const nl = buf.indexOf("\n")
    if (nl < 0) return
    emulator.stdout.removeAllListeners("data")
    emulator.stdout.resume()
    resolve(JSON.parse(buf.slice(0, nl)))
  })
})

const once = (which) =>
  new Promise((resolve) => {
    const rss = path.join(work, `${which}.rss`)
    const out = path.join(work, `${which}.ndjson`)
    rmSync(rss, { force: true })
    const fd = openSync(out, "w")
    const args = [
      "--require", preload, path.join(work, which, "bin.js"), "export", "cloudflare", "--base-url", info.cloudflare.baseUrl,
      "--account-id", info.cloudflare.accountId, "--workflow", info.cloudflare.workflow, "--concurrency", "16", "--quiet",
      "--rate-limit", "100000000/1s"
    ]
    const child = spawn(process.execPath, args, {
      stdio: ["ignore", fd, "inherit"],
      env: { ...process.env, CLOUDFLARE_API_TOKEN: TOKEN, BENCH_RSS_FILE: rss }
    })
    child.on("exit", (code) => {
      closeSync(fd)
      const usage = JSON.parse(readFileSync(rss, "utf8").trim())
      resolve({ code, cpuMs: (usage.userUs + usage.systemUs) / 1000, bytes: statSync(out).size })
    })
  })

try {
  await once("new") // warms the emulator
  const cpu = { base: [], new: [] }
  for (let i = 0; i < Number(pairs); i++) {
    for (const which of i % 2 === 0 ? ["base", "new"] : ["new", "base"]) {
      const r = await once(which)
      if (r.code !== 0) throw new Error(`${which} exited ${r.code}`)
      cpu[which].push(r.cpuMs)
      console.log(`${which} #${i + 1}: ${Math.round(r.cpuMs)} ms CPU, ${r.bytes} bytes`)
    }
    const same = readFileSync(path.join(work, "base.ndjson")).equals(readFileSync(path.join(work, "new.ndjson")))
    if (!same) throw new Error("the two bundles wrote different records")
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]
  for (const which of ["base", "new"]) {
    console.log(`${which}: ${cpu[which].map(Math.round).sort((a, b) => a - b).join(" ")}; median ${Math.round(median(cpu[which]))}`)
  }
  console.log(`new / base (medians): ${(median(cpu.new) / median(cpu.base)).toFixed(3)}`)
} finally {
  emulator.kill("SIGTERM")
  rmSync(work, { recursive: true, force: true })
}
