// Bundles the CLI into one file: one module graph to load makes cold start cheap.
import { build } from "esbuild"
import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { writeLicenses } from "./licenses.mjs"

const here = (p) => fileURLToPath(new URL(p, import.meta.url))
const pkg = JSON.parse(readFileSync(here("../package.json"), "utf8"))

const result = await build({
  entryPoints: [here("../src/bin.ts")],
  outfile: here("../dist/bin.js"),
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  conditions: ["source"],
  sourcemap: "linked",
  legalComments: "none",
  logLevel: "warning",
  metafile: true,
  define: { STEPTRAIL_VERSION: JSON.stringify(pkg.version) },
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"
  }
})

writeLicenses(result.metafile, process.cwd(), here("../dist/THIRD-PARTY-LICENSES.md"))
