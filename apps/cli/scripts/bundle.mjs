// Bundles the CLI into dist/: `bin.js`, a small entry that answers --version, --help and
// --completions from the command spec embedded in it, and chunks it imports when a command
// has to run (the emulator's own chunk only for `emulator` and `demo`, the database output's
// for `--out sqlite:` / `postgres://`). Self-contained but for one native module: the SQLite
// driver, `better-sqlite3`, which the package lists as an optional dependency and loads only
// for `--out sqlite:`. See docs/performance.md (start-up).
//
// Two passes: the command tree is bundled and loaded once to read its spec
// (`Cli.spec()`), which the second pass embeds in bin.js as STEPTRAIL_COMMANDS.
import { build } from "esbuild"
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"
import { writeLicenses } from "./licenses.mjs"

const here = (p) => fileURLToPath(new URL(p, import.meta.url))
const pkg = JSON.parse(readFileSync(here("../package.json"), "utf8"))

/**
 * Packages the CLI never calls, stubbed: `fast-check` (re-exported by `effect/FastCheck` for
 * Schema arbitraries) and the YAML, TOML and INI parsers of @effect/cli's config-file
 * options. Each would otherwise be compiled and evaluated by every command that runs.
 * `apps/cli/test/Bundle.test.ts` checks they stay out.
 */
const unused = ["fast-check", "yaml", "toml", "ini"]
const stubUnused = {
  name: "stub-unused",
  setup(build) {
    build.onResolve({ filter: new RegExp(`^(${unused.join("|")})$`) }, (args) => ({ path: args.path, namespace: "stub-unused" }))
    build.onLoad({ filter: /.*/, namespace: "stub-unused" }, () => ({ contents: "export {}", loader: "js" }))
  }
}

const common = {
  plugins: [stubUnused],
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node20",
  conditions: ["source"],
  legalComments: "none",
  // a native module cannot be inlined; pg's optional native binding is never asked for
  external: ["better-sqlite3", "pg-native"],
  logLevel: "warning",
  define: { STEPTRAIL_VERSION: JSON.stringify(pkg.version) },
  banner: {
    js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);"
  }
}

// pass 1: the spec of the command tree, as the CLI itself computes it
const probe = await build({
  ...common,
  stdin: {
    contents: `export { spec } from "./src/Cli.ts"`,
    resolveDir: here(".."),
    sourcefile: "spec-probe.ts",
    loader: "ts"
  },
  write: false
})
// beside the package, so that the external native module resolves as it will when installed
const dir = mkdtempSync(join(here(".."), ".spec-probe-"))
let spec
try {
  const file = join(dir, "spec-probe.mjs")
  writeFileSync(file, probe.outputFiles[0].text)
  spec = (await import(pathToFileURL(file).href)).spec()
} finally {
  rmSync(dir, { recursive: true, force: true })
}

// pass 2: the CLI, split at its dynamic imports
rmSync(here("../dist"), { recursive: true, force: true })
const result = await build({
  ...common,
  metafile: true,
  entryPoints: { bin: here("../src/bin.ts") },
  outdir: here("../dist"),
  splitting: true,
  chunkNames: "chunks/[name]-[hash]",
  sourcemap: "linked",
  define: { ...common.define, STEPTRAIL_COMMANDS: JSON.stringify(JSON.stringify(spec)) }
})
chmodSync(here("../dist/bin.js"), 0o755)
writeLicenses(result.metafile, process.cwd(), here("../dist/THIRD-PARTY-LICENSES.md"))
