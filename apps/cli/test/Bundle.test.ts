/**
 * The bundle's shape, which start-up depends on: what `bin.js` loads before it can answer
 * --version, --help and --completions (a few KB, no Effect), and what only a command's
 * dynamic import loads (the emulator). Timings are `pnpm bench`'s business; these are the
 * structural facts behind them. Also how the answers behave on a closed or full stdout.
 */
import { describe, expect, it } from "@effect/vitest"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as path from "node:path"
import { BIN } from "./cli.js"

/** The files a module imports statically (`import … from "./x.js"`), transitively. */
const closure = (entry: string): Array<string> => {
  const seen = new Set<string>([entry])
  const queue = [entry]
  while (queue.length > 0) {
    const file = queue.pop()!
    const text = fs.readFileSync(file, "utf8")
    for (const m of text.matchAll(/^(?:import|export)\s[^;]*?from\s*"(\.[^"]+)"|^import\s*"(\.[^"]+)"/gms)) {
      const next = path.resolve(path.dirname(file), m[1] ?? m[2]!)
      if (!seen.has(next)) {
        seen.add(next)
        queue.push(next)
      }
    }
  }
  return [...seen]
}

const modules = (files: ReadonlyArray<string>) =>
  files.flatMap((f) => [...fs.readFileSync(f, "utf8").matchAll(/^\/\/ ((?:node_modules|packages|apps)\/\S+)$/gm)].map((m) => m[1]!))

const dynamicImports = (file: string) => [...fs.readFileSync(file, "utf8").matchAll(/import\("(\.[^"]+)"\)/g)].map((m) => path.resolve(path.dirname(file), m[1]!))

describe("the bundle", () => {
  it("answers --version, --help and --completions from bin.js and a small chunk: no Effect, no commands", () => {
    const files = closure(BIN)
    const bytes = files.reduce((n, f) => n + fs.statSync(f).size, 0)
    expect(bytes).toBeLessThan(80_000)
    const sources = modules(files)
    expect(sources.filter((m) => m.startsWith("node_modules/"))).toEqual([])
    // a module can have two sections (esbuild hoists its imports of node: modules)
    expect([...new Set(sources.map((m) => path.basename(m)))].sort()).toEqual(
      ["CommandSpec.ts", "Completion.ts", "Help.ts", "Launch.ts", "Suggest.ts", "TerminalText.ts", "bin.ts"]
    )
  })

  it("loads the command tree by a dynamic import, and the emulator only from the command that runs it", () => {
    const [main] = dynamicImports(BIN)
    expect(main).toBeDefined()
    const commands = closure(main!)
    expect(modules(commands).some((m) => m.startsWith("packages/emulator/"))).toBe(false)
    const emulator = commands.flatMap(dynamicImports)
    expect(emulator.length).toBeGreaterThan(0)
    expect(modules(emulator).some((m) => m === "packages/emulator/src/Emulator.ts")).toBe(true)
  })

  it("a plain export loads no emulator, no provider's implementation until it is asked for, and no package the CLI never calls", () => {
    const [main] = dynamicImports(BIN)
    const loaded = modules(closure(main!))
    // of each provider, its descriptor and settings only: the implementation is its descriptor's dynamic import
    const providers = loaded.filter((m) => /^packages\/(?!core|export)[^/]+\/src\//.test(m))
    expect(providers.length).toBeGreaterThan(0)
    for (const m of providers) expect(m, m).toMatch(/\/src\/(Descriptor|Settings)\.ts$/)
    expect(loaded.some((m) => m.startsWith("packages/emulator/"))).toBe(false)
    // stubbed by scripts/bundle.mjs: effect/FastCheck's fast-check, @effect/cli's config-file parsers
    const everywhere = modules(fs.readdirSync(path.join(path.dirname(BIN), "chunks")).filter((f) => f.endsWith(".js")).map((f) => path.join(path.dirname(BIN), "chunks", f)))
    for (const name of ["fast-check", "yaml", "toml", "ini"]) {
      expect(everywhere.filter((m) => m.includes(`/node_modules/${name}/`)), name).toEqual([])
    }
  })

  it("--version is the package's version, embedded at bundle time, after any command too", () => {
    const { version } = JSON.parse(fs.readFileSync(new URL("../package.json", import.meta.url), "utf8")) as { version: string }
    for (const args of [["--version"], ["export", "cloudflare", "--version"]]) {
      const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8" })
      expect(r.stdout, args.join(" ")).toBe(`${version}\n`)
      expect(r.status).toBe(0)
    }
  })

  it("an answer to a reader that closed the pipe exits 0, silently", () => {
    // `true` exits without reading; the writer's status and stderr come out on stderr
    const r = spawnSync("/bin/sh", ["-c", `{ "${process.execPath}" "${BIN}" --completions zsh; echo "rc=$?" >&2; } | true`], { encoding: "utf8" })
    expect(r.stderr).toBe("rc=0\n")
  })

  it.skipIf(!fs.existsSync("/dev/full"))("an answer that cannot be written (a full disk) exits 1 with one line", () => {
    const r = spawnSync("/bin/sh", ["-c", `"${process.execPath}" "${BIN}" --help > /dev/full`], { encoding: "utf8" })
    expect(r.status).toBe(1)
    expect(r.stderr).toBe("steptrail: cannot write stdout: no space left on device\n")
  })
})
