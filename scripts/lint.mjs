// Checks the rules the type checker cannot: which package may import which, a few habits (no
// @effect/schema, no console output from library code), and tracked files that only make
// sense on one machine (absolute paths, scratch files).
import { execFileSync } from "node:child_process"
import { readdirSync, readFileSync, statSync } from "node:fs"
import { dirname, join, resolve } from "node:path"
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

const problems = []
for (const [pkg, deps] of Object.entries(allowed)) {
  const dir = join(root, dirs[pkg] ?? `packages/${pkg}/src`)
  for (const file of files(dir)) {
    const text = readFileSync(file, "utf8")
    const name = file.slice(root.length + 1)
    for (const m of text.matchAll(/(?:from\s+|import\s*\(\s*)"@steptrail\/([\w-]+)(?:\/[\w/]+)?"/g)) {
      if (!deps.includes(m[1])) problems.push(`${name}: ${pkg} must not import @steptrail/${m[1]}`)
    }
    if (/from\s+"@effect\/schema/.test(text)) problems.push(`${name}: import Schema from "effect", not @effect/schema`)
    if (pkg !== "cli" && pkg !== "emulator" && /\bconsole\.(log|info)\(/.test(text)) {
      problems.push(`${name}: library code must not write to stdout`)
    }
  }
}

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
