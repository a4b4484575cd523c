// Self time of a V8 .cpuprofile of the CLI bundle, by source module (esbuild's `// path`
// comments in the bundle) and by function. BUNDLE is a file, or the dist directory (bin.js
// and the chunks it imports).
//   node bench/profile-modules.mjs FILE.cpuprofile BUNDLE [N]
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"

const [file, bundle, n = "30"] = process.argv.slice(2)
const prof = JSON.parse(readFileSync(file, "utf8"))
const files = statSync(bundle).isDirectory()
  ? readdirSync(bundle, { recursive: true }).map(String).filter((f) => f.endsWith(".js")).map((f) => join(bundle, f))
  : [bundle]
/** Per file name: the lines where each bundled module starts. */
const startsOf = new Map(files.map((f) => {
  const starts = []
  readFileSync(f, "utf8").split("\n").forEach((line, i) => {
    const m = /^\/\/ ((?:node_modules|packages|apps)\/\S+)$/.exec(line)
    if (m) starts.push([i, m[1].replace(/^node_modules\/\.pnpm\/[^/]+\/node_modules\//, "")])
  })
  return [f.split("/").at(-1), starts]
}))
const moduleAt = (starts, line) => {
  let lo = 0, hi = starts.length - 1, found = "(bundle prelude)"
  while (lo <= hi) {
    const mid = (lo + hi) >> 1
    if (starts[mid][0] <= line) { found = starts[mid][1]; lo = mid + 1 } else hi = mid - 1
  }
  return found
}
const group = (mod) =>
  mod.startsWith("effect/dist/esm/internal/schema") || mod.includes("effect/dist/esm/ParseResult") || mod.includes("effect/dist/esm/Schema") ? "effect Schema" :
  mod.startsWith("effect/") ? "effect runtime/stream" :
  mod.startsWith("@effect/platform") ? "@effect/platform(-node)" :
  mod.startsWith("undici") ? "undici" :
  mod.startsWith("packages/") || mod.startsWith("apps/") ? mod : mod
const byId = new Map(prof.nodes.map((node) => [node.id, node]))
const total = prof.timeDeltas.reduce((a, b) => a + b, 0)
const mods = new Map(), groups = new Map(), fns = new Map()
prof.samples.forEach((id, i) => {
  const us = prof.timeDeltas[i] ?? 0
  const cf = byId.get(id).callFrame
  const starts = startsOf.get(cf.url.split("/").at(-1))
  const mod = starts !== undefined ? moduleAt(starts, cf.lineNumber) : cf.url === "" ? cf.functionName : `node:${cf.url.split("/").slice(-1)[0]}`
  const key = `${cf.functionName || "(anonymous)"} [${mod}]`
  mods.set(mod, (mods.get(mod) ?? 0) + us)
  groups.set(group(mod), (groups.get(group(mod)) ?? 0) + us)
  fns.set(key, (fns.get(key) ?? 0) + us)
})
const show = (title, m, k) => {
  console.log(`\n${title} (of ${(total / 1000).toFixed(0)} ms sampled)`)
  for (const [key, us] of [...m].sort((a, b) => b[1] - a[1]).slice(0, k)) {
    console.log(`${((100 * us) / total).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`)
  }
}
show("by group", groups, 15)
show("by module", mods, Number(n))
show("by function", fns, Number(n))
