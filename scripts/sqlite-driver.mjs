#!/usr/bin/env node
// Builds better-sqlite3 (the native driver behind `--out sqlite:`, through
// @effect/sql-sqlite-node) after `pnpm install`. pnpm runs no build of it (`allowBuilds:`
// false): its own script downloads Node's headers, which a machine without the internet
// cannot, and pnpm passes no `nodedir` to it. Here node-gyp is pointed at the headers installed
// with this Node when they are there (`<prefix>/include/node`), and downloads them otherwise.
import { spawnSync } from "node:child_process"
import { existsSync } from "node:fs"
import { createRequire } from "node:module"
import path from "node:path"
import { fileURLToPath } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const fromDatabase = createRequire(path.join(root, "packages", "database", "package.json"))
const driver = path.dirname(
  createRequire(fromDatabase.resolve("@effect/sql-sqlite-node/package.json")).resolve("better-sqlite3/package.json")
)
if (existsSync(path.join(driver, "build", "Release", "better_sqlite3.node"))) process.exit(0)

const prefix = path.resolve(path.dirname(process.execPath), "..")
const env = { ...process.env }
if (env.npm_config_nodedir === undefined && existsSync(path.join(prefix, "include", "node", "node_api.h"))) {
  env.npm_config_nodedir = prefix
}
const gyp = createRequire(path.join(root, "package.json")).resolve("node-gyp/bin/node-gyp.js")
process.stderr.write(`building better-sqlite3 (the SQLite driver) with ${env.npm_config_nodedir ? `the headers in ${env.npm_config_nodedir}` : "downloaded headers"}\n`)
const r = spawnSync(process.execPath, [gyp, "rebuild", "--release", "--loglevel=error"], { cwd: driver, env, stdio: ["ignore", "ignore", "inherit"] })
if (r.status !== 0) {
  process.stderr.write("better-sqlite3 did not build: --out sqlite: will not work (see docs/database.md)\n")
  process.exit(1)
}
