// Checks the rules the type checker cannot: which package may import which, and a few
// habits (no @effect/schema, no console output from library code).
import { readdirSync, readFileSync, statSync } from "node:fs"
import { join } from "node:path"

const allowed = {
  core: [],
  cloudflare: ["core"],
  orchestra: ["core"],
  onepin: ["core"],
  export: ["core"],
  emulator: [],
  cli: ["core", "cloudflare", "orchestra", "onepin", "export", "emulator"]
}
const dirs = { cli: "apps/cli/src" }
const files = (dir) =>
  readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    return statSync(p).isDirectory() ? files(p) : p.endsWith(".ts") ? [p] : []
  })

const problems = []
for (const [pkg, deps] of Object.entries(allowed)) {
  const dir = dirs[pkg] ?? `packages/${pkg}/src`
  for (const file of files(dir)) {
    const text = readFileSync(file, "utf8")
    for (const m of text.matchAll(/from\s+"@steptrail\/([\w-]+)"/g)) {
      if (!deps.includes(m[1])) problems.push(`${file}: ${pkg} must not import @steptrail/${m[1]}`)
    }
    if (/from\s+"@effect\/schema/.test(text)) problems.push(`${file}: import Schema from "effect", not @effect/schema`)
    if (pkg !== "cli" && pkg !== "emulator" && /\bconsole\.(log|info)\(/.test(text)) {
      problems.push(`${file}: library code must not write to stdout`)
    }
  }
}
if (problems.length > 0) {
  console.error(problems.join("\n"))
  process.exit(1)
}
console.error("lint: ok")
