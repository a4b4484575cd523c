/**
 * steptrail as people install it. Every package is packed (`pnpm pack`) and installed with npm
 * into a fresh project under the OS temp dir, outside the workspace, whose `effect` is another
 * patch of the 3.22 line than the workspace's. There the README's Library example (read from
 * README.md) is compiled with `tsc --strict` under `nodenext` and `bundler` resolution and run
 * against the emulator, configured through the environment only; the CLI tarball is installed
 * under a temporary global prefix and run as `steptrail`.
 *
 * Needs `pnpm build` (the packages' `dist` and the CLI bundle) and the npm registry (or a warm
 * npm cache: `--prefer-offline`).
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import { createRequire } from "node:module"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { BIN } from "../cli.js"
import { providers } from "../../src/Providers.js"

const ROOT = fileURLToPath(new URL("../../../../", import.meta.url))
const LIBRARIES = ["core", "cloudflare", "orchestra", "onepin", "temporal", "export", "emulator"]
const CLI_DIR = path.join(ROOT, "apps", "cli")
/** The consumer's Effect: a patch of the 3.22 line other than the workspace's 3.22.4. */
const CONSUMER = {
  effect: "3.22.3",
  "@effect/platform": "0.97.2",
  "@effect/platform-node": "0.108.2",
  typescript: "5.9.3",
  "@types/node": "20.19.43"
}

interface Result {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const exec = (
  command: string,
  args: ReadonlyArray<string>,
  options: { readonly cwd: string; readonly env?: NodeJS.ProcessEnv; readonly timeoutMs: number }
): Promise<Result> =>
  new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] })
    const out: Array<Buffer> = []
    const err: Array<Buffer> = []
    child.stdout.on("data", (c: Buffer) => out.push(c))
    child.stderr.on("data", (c: Buffer) => err.push(c))
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs)
    child.on("error", reject)
    child.on("close", (code) => {
      clearTimeout(timer)
      resolve({ code, stdout: Buffer.concat(out).toString("utf8"), stderr: Buffer.concat(err).toString("utf8") })
    })
  })

/** Fails with the command's output, so a broken step says why. */
const ok = async (what: string, result: Promise<Result>): Promise<Result> => {
  const r = await result
  if (r.code !== 0) throw new Error(`${what} exited ${r.code}\n${r.stdout}\n${r.stderr}`)
  return r
}

/** The first fenced `ts` block after the `heading` line of a markdown file. */
const tsBlock = (file: string, heading: RegExp): string | undefined => {
  const lines = fs.readFileSync(file, "utf8").split("\n")
  const at = lines.findIndex((line) => heading.test(line))
  if (at < 0) return undefined
  const start = lines.findIndex((line, i) => i > at && /^```ts\s*$/.test(line))
  if (start < 0) return undefined
  const end = lines.findIndex((line, i) => i > start && /^```\s*$/.test(line))
  return lines.slice(start + 1, end).join("\n") + "\n"
}

const readJson = (file: string) => JSON.parse(fs.readFileSync(file, "utf8"))

const filesUnder = (dir: string, prefix = ""): Array<string> =>
  fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory()
      ? filesUnder(path.join(dir, entry.name), `${prefix}${entry.name}/`)
      : [`${prefix}${entry.name}`]
  ).sort()

/** Every installed copy of every package: name -> versions, one entry per copy. */
const installed = (nodeModules: string, found = new Map<string, Array<string>>()) => {
  if (!fs.existsSync(nodeModules)) return found
  for (const entry of fs.readdirSync(nodeModules)) {
    if (entry.startsWith(".")) continue
    const dirs = entry.startsWith("@")
      ? fs.readdirSync(path.join(nodeModules, entry)).map((name) => path.join(nodeModules, entry, name))
      : [path.join(nodeModules, entry)]
    for (const dir of dirs) {
      const manifest = path.join(dir, "package.json")
      if (!fs.existsSync(manifest)) continue
      const { name, version } = readJson(manifest)
      found.set(name, [...(found.get(name) ?? []), version])
      installed(path.join(dir, "node_modules"), found)
    }
  }
  return found
}

/** The package names a module imports (bare specifiers, `node:` builtins left out). */
const imported = (source: string): Array<string> =>
  [...source.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|\bimport\s+)["']([^"'.][^"']*)["']/g)]
    .map((m) => m[1]!)
    .filter((s) => !s.startsWith("node:"))
    .map((s) => s.split("/").slice(0, s.startsWith("@") ? 2 : 1).join("/"))

let tmp = ""
let app = ""
let prefix = ""
let emulator: ChildProcess | undefined
let info: { token: string; cloudflare: { baseUrl: string; accountId: string; workflow: string } }
const tarballs: Record<string, string> = {}
/** The README examples written into the consumer project, as file names. */
const examples: Array<string> = []

const cliVersion = (): string => readJson(path.join(CLI_DIR, "package.json")).version

const startEmulator = (): Promise<typeof info> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, "emulator", "--port", "0"], { cwd: tmp, stdio: ["ignore", "pipe", "pipe"] })
    emulator = child
    let out = ""
    const timer = setTimeout(() => reject(new Error(`the emulator printed no startup line: ${out}`)), 20_000)
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString("utf8")
      const newline = out.indexOf("\n")
      if (newline < 0) return
      clearTimeout(timer)
      resolve(JSON.parse(out.slice(0, newline)))
    })
    child.on("exit", (code) => reject(new Error(`the emulator exited ${code}: ${out}`)))
  })

beforeAll(async () => {
  for (const dir of [...LIBRARIES.map((name) => path.join(ROOT, "packages", name, "dist", "index.js")), BIN]) {
    if (!fs.existsSync(dir)) throw new Error(`${dir} is missing: run \`pnpm build\` first`)
  }
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-packaging-"))
  app = path.join(tmp, "app")
  prefix = path.join(tmp, "global")
  fs.mkdirSync(app)

  const packDir = path.join(tmp, "tarballs")
  const packages = [...LIBRARIES.map((name) => path.join(ROOT, "packages", name)), CLI_DIR]
  await Promise.all(packages.map((dir) =>
    ok(`pnpm pack in ${dir}`, exec("pnpm", ["pack", "--pack-destination", packDir], { cwd: dir, timeoutMs: 60_000 }))
  ))
  for (const file of fs.readdirSync(packDir)) tarballs[/^steptrail-(.+)-\d+\.\d+\.\d+.*\.tgz$/.exec(file)![1]!] = path.join(packDir, file)

  const dependencies: Record<string, string> = { ...CONSUMER }
  for (const name of LIBRARIES) dependencies[`@steptrail/${name}`] = `file:${tarballs[name]}`
  fs.writeFileSync(path.join(app, "package.json"), JSON.stringify({ name: "consumer", private: true, type: "module", dependencies }))
  const write = (name: string, code: string | undefined) => {
    if (code === undefined) throw new Error(`no ts example for ${name}`)
    fs.writeFileSync(path.join(app, name), code)
    examples.push(name)
  }
  write("example.ts", tsBlock(path.join(ROOT, "README.md"), /^## Library\s*$/))
  for (const name of LIBRARIES) {
    const code = tsBlock(path.join(ROOT, "packages", name, "README.md"), /^# /)
    if (code !== undefined) write(`readme-${name}.ts`, code)
  }

  // One install for the library consumer, one for the CLI, at once; both use npm's cache.
  const npm = ["--no-audit", "--no-fund", "--prefer-offline", "--ignore-scripts", "--loglevel=error"]
  const [, , emu] = await Promise.all([
    ok("npm install (consumer)", exec("npm", ["install", ...npm], { cwd: app, timeoutMs: 240_000 })),
    ok("npm i -g (CLI)", exec("npm", ["install", "--global", "--prefix", prefix, ...npm, tarballs.cli!], { cwd: tmp, timeoutMs: 120_000 })),
    startEmulator()
  ])
  info = emu
}, 300_000)

afterAll(() => {
  emulator?.kill("SIGKILL")
  if (tmp !== "") fs.rmSync(tmp, { recursive: true, force: true })
})

describe("packed libraries", () => {
  it("hold dist, src, README and LICENSE, no tests, and name every package they import", () => {
    for (const name of LIBRARIES) {
      const dir = path.join(app, "node_modules", "@steptrail", name)
      const files = filesUnder(dir)
      expect(files.filter((f) => !/^(dist|src)\//.test(f))).toEqual(["LICENSE", "README.md", "package.json"])
      expect(files).toContain("dist/index.js")
      expect(files).toContain("dist/index.d.ts")
      expect(files.filter((f) => /(^|\/)test\/|\.test\.|tsbuildinfo/.test(f))).toEqual([])
      expect(fs.readFileSync(path.join(dir, "LICENSE"), "utf8")).toMatch(/^MIT License/)
      expect(fs.readFileSync(path.join(dir, "README.md"), "utf8")).toContain(`npm i ${name === "emulator" ? "-D " : ""}@steptrail/${name}`)

      const pkg = readJson(path.join(dir, "package.json"))
      expect(JSON.stringify(pkg)).not.toContain("workspace:")
      // Effect is a peer, shared with the program; core is a plain dependency, deduplicated by npm
      expect(pkg.dependencies).toEqual(name === "core" || name === "emulator" ? undefined : { "@steptrail/core": `^${pkg.version}` })
      expect(pkg.peerDependencies.effect).toBe("^3.22.0")
      if (name !== "emulator") expect(pkg.peerDependencies["@effect/platform"]).toBe("^0.97.0")
      expect([pkg.main, pkg.types, pkg.exports["."].types, pkg.exports["."].default]).toEqual([
        "./dist/index.js",
        "./dist/index.d.ts",
        "./dist/index.d.ts",
        "./dist/index.js"
      ])
      const declared = new Set([`@steptrail/${name}`, ...Object.keys({ ...pkg.dependencies, ...pkg.peerDependencies })])
      const used = new Set(files.filter((f) => /^dist\/.*\.(js|d\.ts)$/.test(f)).flatMap((f) => imported(fs.readFileSync(path.join(dir, f), "utf8"))))
      expect([...used].filter((u) => !declared.has(u))).toEqual([])
    }
  })

  it("install exactly one copy of effect, @effect/platform and @steptrail/core", () => {
    const copies = installed(path.join(app, "node_modules"))
    expect(copies.get("effect")).toEqual([CONSUMER.effect])
    expect(copies.get("@effect/platform")).toEqual([CONSUMER["@effect/platform"]])
    expect(copies.get("@steptrail/core")).toEqual([readJson(path.join(ROOT, "packages", "core", "package.json")).version])
  })

  it("resolve to their types under moduleResolution node10 too", () => {
    const ts = createRequire(path.join(app, "package.json"))("typescript")
    const resolved = LIBRARIES.map((name) =>
      ts.resolveModuleName(`@steptrail/${name}`, path.join(app, "example.ts"), {
        moduleResolution: ts.ModuleResolutionKind.Node10
      }, ts.sys).resolvedModule?.resolvedFileName
    )
    expect(resolved).toEqual(LIBRARIES.map((name) => path.join(app, "node_modules", "@steptrail", name, "dist", "index.d.ts")))
  })

  it("load in Node, internal modules not exported", async () => {
    const script = `
      const names = ${JSON.stringify(LIBRARIES)}
      const out = {}
      for (const name of names) out[name] = Object.keys(await import("@steptrail/" + name)).sort()
      try { await import("@steptrail/core/internal/response") } catch (e) { out.internal = e.code }
      process.stdout.write(JSON.stringify(out))`
    const r = await ok("node", exec(process.execPath, ["--input-type=module", "-e", script], { cwd: app, timeoutMs: 30_000 }))
    const out = JSON.parse(r.stdout)
    expect(out.cloudflare).toEqual(["Cloudflare", "CloudflareApi", "CloudflareSchema", "Descriptor", "Settings"])
    expect(out.orchestra).toEqual(["Descriptor", "Orchestra", "OrchestraApi", "OrchestraSchema", "Settings"])
    expect(out.onepin).toEqual(["Descriptor", "Onepin", "OnepinApi", "OnepinSchema", "Settings"])
    expect(out.temporal).toEqual(["Descriptor", "Settings", "Temporal", "TemporalSchema"])
    expect(out.core).toContain("WorkflowProvider")
    expect(out.export).toContain("Export")
    expect(out.emulator).toContain("Emulator")
    expect(out.internal).toBe("ERR_PACKAGE_PATH_NOT_EXPORTED")
  })
})

describe("the README's Library example", () => {
  it("compiles with tsc --strict under nodenext and bundler resolution (with the packages' README examples)", async () => {
    const tsc = path.join(app, "node_modules", "typescript", "bin", "tsc")
    const common = ["--strict", "--skipLibCheck", "--target", "es2022", "--lib", "es2022", "--types", "node"]
    const [nodenext, bundler] = await Promise.all([
      exec(process.execPath, [tsc, ...common, "--module", "nodenext", "--moduleResolution", "nodenext", "--outDir", "out", ...examples], { cwd: app, timeoutMs: 120_000 }),
      exec(process.execPath, [tsc, ...common, "--module", "esnext", "--moduleResolution", "bundler", "--noEmit", ...examples], { cwd: app, timeoutMs: 120_000 })
    ])
    expect({ code: nodenext.code, output: nodenext.stdout + nodenext.stderr }).toEqual({ code: 0, output: "" })
    expect({ code: bundler.code, output: bundler.stdout + bundler.stderr }).toEqual({ code: 0, output: "" })
    expect(examples).toContain("readme-cloudflare.ts")
  }, 150_000)

  it("exports against the emulator, configured by the environment, what the CLI exports", async () => {
    const example = path.join(app, "out", "example.js")
    expect(fs.existsSync(example)).toBe(true)
    const env = {
      PATH: process.env.PATH ?? "",
      HOME: tmp,
      CLOUDFLARE_API_TOKEN: info.token,
      CLOUDFLARE_API_BASE_URL: info.cloudflare.baseUrl,
      CLOUDFLARE_ACCOUNT_ID: info.cloudflare.accountId
    }
    const expected = path.join(tmp, "cli.ndjson")
    const [r] = await Promise.all([
      exec(process.execPath, [example], { cwd: app, env, timeoutMs: 60_000 }),
      ok("steptrail export", exec(process.execPath, [
        BIN,
        "export",
        "cloudflare",
        "--workflow",
        info.cloudflare.workflow,
        "--full-output",
        "--quiet",
        "--out",
        expected
      ], { cwd: tmp, env, timeoutMs: 60_000 }))
    ])
    const output = r.stdout + r.stderr
    expect(r.code).toBe(0)
    expect(output).not.toMatch(/Executing an Effect versioned/)
    const summary = /exported (\d+) runs, (\d+) steps to runs\.ndjson/.exec(output)
    expect(summary).not.toBeNull()
    const written = fs.readFileSync(path.join(app, "runs.ndjson"), "utf8")
    expect(written.split("\n").length - 1).toBe(Number(summary![2]))
    expect(written === fs.readFileSync(expected, "utf8")).toBe(true)
  }, 90_000)
})

describe("the CLI tarball installed with npm i -g", () => {
  const env = () => ({ PATH: `${path.join(prefix, "bin")}${path.delimiter}${path.dirname(process.execPath)}`, HOME: tmp })

  it("is one bundle with no dependencies but the optional SQLite driver (a native module, loaded for --out sqlite: only)", () => {
    const dir = path.join(prefix, "lib", "node_modules", "@steptrail", "cli")
    const pkg = readJson(path.join(dir, "package.json"))
    expect(pkg.bin).toEqual({ steptrail: "dist/bin.js" })
    expect([pkg.dependencies, pkg.peerDependencies, pkg.optionalDependencies]).toEqual([undefined, undefined, { "better-sqlite3": "^12.11.1" }])
    const files = filesUnder(dir)
    // (npm puts the optional driver and what it needs under node_modules)
    expect(files.filter((f) => !f.startsWith("dist/") && !f.startsWith("node_modules/"))).toEqual(["LICENSE", "README.md", "package.json"])
    expect(files.filter((f) => f.startsWith("dist/") && !/\.(js|md)$/.test(f))).toEqual([])
    expect(fs.readFileSync(path.join(dir, "dist", "THIRD-PARTY-LICENSES.md"), "utf8")).toMatch(/^## effect@3\.22\.\d+ \(MIT\)$/m)
    const bundle = fs.readFileSync(path.join(dir, "dist", "bin.js"), "utf8")
    expect([...bundle.matchAll(/^import .* from\s*["']([^"']+)["']/gm)].map((m) => m[1]).filter((s) => !s.startsWith("node:"))).toEqual([])
  })

  it("exports into SQLite with its driver, or says in one line how to install it (exit 2)", async () => {
    const cwd = fs.mkdtempSync(path.join(tmp, "sqlite-"))
    const r = await exec("steptrail", [
      "export", "cloudflare", "--base-url", info.cloudflare.baseUrl, "--account-id", info.cloudflare.accountId,
      "--workflow", info.cloudflare.workflow, "--out", "sqlite:steps.db", "--quiet"
    ], { cwd, env: { ...env(), CLOUDFLARE_API_TOKEN: info.token }, timeoutMs: 60_000 })
    if (r.code === 0) expect(fs.existsSync(path.join(cwd, "steps.db"))).toBe(true)
    else expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 2, stderr: expect.stringMatching(/^steptrail: database sqlite:steps\.db: the SQLite driver \(better-sqlite3 12\) is not installed or not built for this Node; install it beside steptrail: npm i -g better-sqlite3@12\n$/) })
  })

  it("runs steptrail --version", async () => {
    const r = await ok("steptrail --version", exec("steptrail", ["--version"], { cwd: tmp, env: env(), timeoutMs: 30_000 }))
    expect(r.stdout.trim()).toBe(cliVersion())
  })

  it("runs steptrail demo in an empty directory", async () => {
    const cwd = fs.mkdtempSync(path.join(tmp, "demo-"))
    const r = await ok("steptrail demo", exec("steptrail", ["demo"], { cwd, env: env(), timeoutMs: 60_000 }))
    const summary = /^exported (\d+) runs, (\d+) steps to steptrail-demo\.ndjson$/m.exec(r.stderr)
    expect(summary).not.toBeNull()
    const records = fs.readFileSync(path.join(cwd, "steptrail-demo.ndjson"), "utf8").split("\n")
    expect(records.pop()).toBe("")
    expect(records.length).toBe(Number(summary![2]))
    const byProvider: Record<string, number> = {}
    for (const line of records) {
      const provider = JSON.parse(line).provider
      byProvider[provider] = (byProvider[provider] ?? 0) + 1
    }
    const printed = Object.fromEntries([...r.stderr.matchAll(/^ {2}(\w+): \d+ runs, (\d+) steps/gm)].map((m) => [m[1], Number(m[2])]))
    expect(Object.keys(printed).sort()).toEqual(providers.map((p) => p.name).sort())
    expect(byProvider).toEqual(printed)
    expect(r.stdout).toBe("")
  }, 90_000)
})
