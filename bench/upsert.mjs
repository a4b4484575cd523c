#!/usr/bin/env node
// The database output's write path alone: the records of an NDJSON export upserted through
// `Database.store` (rows made as the export makes them, then committed 2,000 rows a
// transaction), timed apart from any fetching. Prints one JSON line: rows, ms to make the
// rows, ms to commit them.
//
//   node bench/upsert.mjs FILE.ndjson sqlite:PATH|postgres://…
import { readFileSync } from "node:fs"
import path from "node:path"
import { fileURLToPath } from "node:url"

const here = path.dirname(fileURLToPath(import.meta.url))
const dist = path.join(here, "../packages/database/dist")
const { Database, Url } = await import(path.join(dist, "index.js"))
// effect as the package resolves it: one copy
const { Effect } = await import(path.join(here, "../packages/database/node_modules/effect/dist/esm/index.js"))

const [file, out] = process.argv.slice(2)
const records = readFileSync(file, "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l))
const url = await Effect.runPromise(Url.parse(out))
const program = Effect.scoped(Effect.gen(function*() {
  yield* Database.migrate(url.display)
  const store = yield* Database.store(url.display)
  yield* store.claim("bench/upsert")
  let t = performance.now()
  const batches = []
  for (let i = 0; i < records.length; i += 2000) batches.push(store.rows(records.slice(i, i + 2000)).rows)
  const rowsMs = performance.now() - t
  t = performance.now()
  for (const rows of batches) yield* store.commit("bench/upsert", rows, { _tag: "Rows" })
  const commitMs = performance.now() - t
  yield* store.release("bench/upsert")
  return { rows: records.length, rowsMs: Math.round(rowsMs), commitMs: Math.round(commitMs) }
})).pipe(Effect.provide(Url.layer(url)))
process.stdout.write(JSON.stringify(await Effect.runPromise(program)) + "\n")
