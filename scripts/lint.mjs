// Checks the rules the type checker cannot: which package may import which, no import cycles
// (within a package or across packages), a few habits (no @effect/schema, no console output
// from library code), and tracked files that only make sense on one machine (absolute paths,
// scratch files).
import { execFileSync } from "node:child_process"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, relative, resolve } from "node:path"
import { fileURLToPath } from "node:url"

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..")

// core and the emulator import nothing of ours; every other package (the providers, export, and
// any package added later) imports core only, but database, which is an output of export's
// pipeline, and serve, which runs that pipeline into a database without end; the CLI composes them all
const packages = readdirSync(join(root, "packages")).filter((name) => statSync(join(root, "packages", name)).isDirectory())
const allowed = Object.fromEntries(packages.map((name) => [name, name === "core" || name === "emulator" ? [] : ["core"]]))
allowed.database = ["core", "export"]
allowed.serve = ["core", "export", "database"]
allowed.cli = packages
const dirs = { cli: "apps/cli/src" }
const files = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : []
  })

/**
 * The modules a source file depends on, as paths from the root: static imports and re-exports,
 * `import type` and `export type … from` included (TypeScript erases them, but a type-only cycle
 * is still two modules that cannot be read, moved or published apart: the shared type belongs in
 * one of them, or in a small module of its own), and `import("...")` (a lazy load is still a
 * dependency: a descriptor that loads its provider lazily while the provider imports the
 * descriptor is a cycle); relative or `@steptrail/<pkg>[/<module>]`.
 */
function importsOf(file, text) {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "")
  const found = []
  const statement = /(?:^|;|\n)\s*(?:import|export)\s+(?:[^"';]*?\s+from\s+)?"([^"]+)"/g
  for (const m of code.matchAll(statement)) found.push(m[1])
  for (const m of code.matchAll(/\bimport\s*\(\s*"([^"]+)"\s*\)/g)) found.push(m[1])
  return found.flatMap((spec) => {
    if (spec.startsWith(".")) return [relative(root, resolve(dirname(file), spec.replace(/\.js$/, ".ts")))]
    const m = spec.match(/^@steptrail\/([\w-]+)(?:\/([\w/]+))?$/)
    if (m === null) return []
    return [`${dirs[m[1]] ?? `packages/${m[1]}/src`}/${m[2] ?? "index"}.ts`]
  })
}

/** Every strongly connected set of two or more modules (or one importing itself), as a path round it. */
function cycles(graph) {
  const index = new Map(), low = new Map(), onStack = new Set(), stack = [], found = []
  let next = 0
  const connect = (v) => {
    index.set(v, next), low.set(v, next++), stack.push(v), onStack.add(v)
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue
      if (!index.has(w)) connect(w), low.set(v, Math.min(low.get(v), low.get(w)))
      else if (onStack.has(w)) low.set(v, Math.min(low.get(v), index.get(w)))
    }
    if (low.get(v) !== index.get(v)) return
    const component = []
    let w
    do (w = stack.pop(), onStack.delete(w), component.push(w))
    while (w !== v)
    if (component.length > 1 || graph.get(v).includes(v)) found.push(pathRound(graph, new Set(component), v))
  }
  for (const v of graph.keys()) if (!index.has(v)) connect(v)
  return found
}

/** A shortest path from `start` back to itself inside one strongly connected set. */
function pathRound(graph, component, start) {
  const previous = new Map([[start, null]])
  const queue = [start]
  while (queue.length > 0) {
    const v = queue.shift()
    for (const w of graph.get(v)) {
      if (w === start) {
        const path = [v]
        while (previous.get(path[0]) !== null) path.unshift(previous.get(path[0]))
        return [...path, start]
      }
      if (component.has(w) && !previous.has(w)) previous.set(w, v), queue.push(w)
    }
  }
  return [start, start]
}

const problems = []
// module -> the modules it imports (see `importsOf`)
const graph = new Map()
for (const [pkg, deps] of Object.entries(allowed)) {
  const dir = join(root, dirs[pkg] ?? `packages/${pkg}/src`)
  for (const file of files(dir)) {
    const text = readFileSync(file, "utf8")
    const name = file.slice(root.length + 1)
    graph.set(name, importsOf(file, text))
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)"@steptrail\/([\w-]+)(?:\/[\w/]+)?"/g)) {
      if (!deps.includes(m[1])) problems.push(`${name}: ${pkg} must not import @steptrail/${m[1]}`)
    }
    if (/from\s+"@effect\/schema/.test(text)) problems.push(`${name}: import Schema from "effect", not @effect/schema`)
    if (pkg !== "cli" && pkg !== "emulator" && /\bconsole\.(log|info)\(/.test(text)) {
      problems.push(`${name}: library code must not write to stdout`)
    }
  }
}

for (const cycle of cycles(graph)) problems.push(`import cycle: ${cycle.join(" -> ")}`)

// A path of this machine (the checkout, its parent, a home directory) in a tracked file is a
// path no other machine has.
const tracked = execFileSync("git", ["ls-files", "-z"], { cwd: root, encoding: "utf8" }).split("\0").filter((f) => f !== "")
const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")
// an absolute path starts a word: a relative path that merely contains the same folder is not it
const absolute = (path) => new RegExp(`(?:^|[\\s"'\`(=:])${escape(path)}`, "m")
// (the checkout's parent too, unless it is a folder every machine has, like /tmp)
const machinePaths = [`${root}/`, `${dirname(root)}/`].filter((p) => !["//", "/tmp/", "/var/tmp/"].includes(p)).map((p) => ({ p, re: absolute(p) }))
const homes = /(?:^|[\s"'`(=:])\/(?:home|Users)\/[A-Za-z0-9._-]+\//m
for (const file of tracked) {
  if (file === "pnpm-lock.yaml") continue
  if (/(^|\/)[^/]*\.tmp\.[^/]+$|(^|\/)(scratch|tmp)\//.test(file)) problems.push(`${file}: a scratch file is tracked`)
  let text
  try {
    text = readFileSync(join(root, file), "utf8")
  } catch {
    continue
  }
  if (text.includes("\0")) continue
  const machine = machinePaths.find(({ re }) => re.test(text))
  if (machine !== undefined) problems.push(`${file}: names the absolute path ${machine.p} of this machine`)
  else if (homes.test(text)) problems.push(`${file}: names a home directory (${text.match(homes)[0].trim()})`)
}

if (problems.length > 0) {
  console.error(problems.join("\n"))
  process.exit(1)
}
console.error("lint: ok")
