// Summarizes a V8 .cpuprofile (from `node --cpu-prof`): the top functions by self time.
//   node bench/profile-top.mjs FILE.cpuprofile [N]
import { readFileSync } from "node:fs"

const [file, n = "25"] = process.argv.slice(2)
const prof = JSON.parse(readFileSync(file, "utf8"))
const byId = new Map(prof.nodes.map((node) => [node.id, node]))
const self = new Map()
const dt = prof.timeDeltas
for (let i = 0; i < prof.samples.length; i++) {
  self.set(prof.samples[i], (self.get(prof.samples[i]) ?? 0) + (dt[i] ?? 0))
}
const total = dt.reduce((a, b) => a + b, 0)
const agg = new Map()
for (const [id, us] of self) {
  const cf = byId.get(id).callFrame
  const key = `${cf.functionName || "(anonymous)"} ${cf.url.split("/").slice(-2).join("/")}:${cf.lineNumber + 1}`
  agg.set(key, (agg.get(key) ?? 0) + us)
}
console.log(`total ${(total / 1000).toFixed(0)} ms sampled`)
for (const [key, us] of [...agg].sort((a, b) => b[1] - a[1]).slice(0, Number(n))) {
  console.log(`${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`)
}
