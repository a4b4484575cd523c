// `pnpm steptrail <args>` in the repository: runs the CLI bundle, bundling it first when it is
// missing (a fresh clone after `pnpm install`) or older than a source it is made of. The
// bundle is built from the packages' sources, so no `tsc` build is needed for it.
import { spawnSync } from "node:child_process"
import { existsSync, readdirSync, statSync } from "node:fs"
import { fileURLToPath, pathToFileURL } from "node:url"

const here = (p) => fileURLToPath(new URL(p, import.meta.url))
const bin = here("../dist/bin.js")

const mtime = (file) => {
  try {
    return statSync(file).mtimeMs
  } catch {
    return undefined
  }
}

const newest = (dir) => {
  let latest = 0
  if (!existsSync(dir)) return latest
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const file = `${dir}/${entry.name}`
    latest = Math.max(latest, entry.isDirectory() ? newest(file) : mtime(file) ?? 0)
  }
  return latest
}

const packages = here("../../../packages")
const inputs = () =>
  Math.max(
    newest(here("../src")),
    ...readdirSync(packages).map((name) => newest(`${packages}/${name}/src`)),
    mtime(here("bundle.mjs")) ?? 0,
    mtime(here("../package.json")) ?? 0
  )

const built = mtime(bin)
if (built === undefined || inputs() > built) {
  const result = spawnSync(process.execPath, [here("bundle.mjs")], { encoding: "utf8" })
  if (result.status !== 0) {
    process.stderr.write(result.stdout + result.stderr)
    process.stderr.write("steptrail: could not bundle the CLI (apps/cli/scripts/bundle.mjs)\n")
    process.exit(1)
  }
}

await import(pathToFileURL(bin).href)
