// The bundle carries code of other packages (effect and its dependencies); their licenses
// ask that their notices travel with it, so the bundle step writes them next to bin.js.
import { readdirSync, readFileSync, writeFileSync } from "node:fs"
import * as path from "node:path"

const packageDir = (input) => {
  const parts = input.split(/[\\/]/)
  const at = parts.lastIndexOf("node_modules")
  if (at < 0) return undefined
  const size = parts[at + 1]?.startsWith("@") ? 3 : 2
  return parts.slice(0, at + size).join("/")
}

const licenseText = (dir) => {
  const file = readdirSync(dir).find((name) => /^licen[cs]e(\.(md|txt))?$/i.test(name))
  return file === undefined ? undefined : readFileSync(path.join(dir, file), "utf8").trim()
}

/**
 * Writes `target` listing every package with a module in the esbuild `metafile`, with its
 * license text.
 */
export const writeLicenses = (metafile, cwd, target) => {
  const dirs = new Set(Object.keys(metafile.inputs).map(packageDir).filter((dir) => dir !== undefined))
  const entries = [...dirs].map((dir) => {
    const abs = path.resolve(cwd, dir)
    const pkg = JSON.parse(readFileSync(path.join(abs, "package.json"), "utf8"))
    return { name: pkg.name, version: pkg.version, license: pkg.license ?? "unknown", text: licenseText(abs) }
  }).sort((a, b) => a.name.localeCompare(b.name))
  const sections = entries.map(({ license, name, text, version }) =>
    `## ${name}@${version} (${license})\n\n${text ?? "The package ships no license file; its package.json names the license above."}\n`
  )
  const head = "# Third-party licenses\n\nThe steptrail bundle (`bin.js`) includes code of the packages below.\n"
  writeFileSync(target, [head, ...sections].join("\n"))
  return entries.length
}
