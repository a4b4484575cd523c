#!/usr/bin/env node
// N emulators in one process, each its own seed (so its own Cloudflare account id), port and
// per-token rate limit: N distinct Cloudflare sources for `bench/serve.mjs --sources N` (one
// emulator serves one account and one main workflow). Prints the infos as one JSON array on
// a line, then serves until killed. Needs the built packages (`pnpm build`).
//
//   node bench/emulators.mjs N INSTANCES LIMIT WINDOW_MS
import { createRequire } from "node:module"
import path from "node:path"
import { fileURLToPath, pathToFileURL } from "node:url"

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..")
const require = createRequire(path.join(root, "packages/emulator/package.json"))
const { Effect } = await import(pathToFileURL(require.resolve("effect")).href)
const { Emulator } = await import(pathToFileURL(path.join(root, "packages/emulator/dist/index.js")).href)

const [n, instances, limit, windowMs] = process.argv.slice(2).map(Number)
const program = Effect.gen(function*() {
  const infos = []
  for (let i = 0; i < n; i++) {
    const em = yield* Emulator.start({ seed: 1000 + i, cloudflare: { instances, live: 5 }, rateLimit: { limit, windowMs }, clockSpeed: 60 })
    infos.push(em.info)
  }
  process.stdout.write(JSON.stringify(infos) + "\n")
  return yield* Effect.never
})
Effect.runPromise(Effect.scoped(program)).catch((e) => {
  process.stderr.write(`emulators: ${e}\n`)
  process.exit(1)
})
