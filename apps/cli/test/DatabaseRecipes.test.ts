/**
 * The SQL recipes of docs/database.md, run against SQLite and PostgreSQL loaded by the CLI
 * from the same export of the emulator, each answer checked against one computed from the
 * NDJSON records of that export.
 */
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { PgClient } from "@effect/sql-pg"
import { SqliteClient } from "@effect/sql-sqlite-node"
import * as SqlClient from "@effect/sql/SqlClient"
import type { StepRecord } from "@steptrail/core"
import * as postgres from "@steptrail/database/TestServer"
import { Emulator } from "@steptrail/emulator"
import { Effect, type Layer } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { lines, runWithEnv as run } from "./inProcess.js"

const TOKEN = "recipes-db-token"
const DOC = fileURLToPath(new URL("../../../docs/database.md", import.meta.url))

type Dialect = "postgres" | "sqlite"

/** `### id` sections of the Queries part, with their `sql` blocks (both dialects, or one each). */
const recipes = (): Map<string, Record<Dialect, string>> => {
  const text = fs.readFileSync(DOC, "utf8")
  const queries = text.slice(text.indexOf("## Queries"))
  const out = new Map<string, Record<Dialect, string>>()
  for (const section of queries.split(/^### /m).slice(1)) {
    const id = section.split("\n")[0]!.trim()
    const blocks: Partial<Record<Dialect, string>> = {}
    for (const m of section.matchAll(/^```sql( postgres| sqlite)?\n([\s\S]*?)^```$/gm)) {
      const dialect = m[1]?.trim() as Dialect | undefined
      if (dialect === undefined) blocks.postgres = blocks.sqlite = m[2]!
      else blocks[dialect] = m[2]!
    }
    out.set(id, blocks as Record<Dialect, string>)
  }
  return out
}

type Row = Record<string, unknown>
const count = <A>(xs: ReadonlyArray<A>, key: (a: A) => string) => {
  const m = new Map<string, Array<A>>()
  for (const x of xs) m.set(key(x), [...(m.get(key(x)) ?? []), x])
  return m
}
const percentile = (values: ReadonlyArray<number>, p: number) => {
  const v = [...values].sort((a, b) => a - b)
  const at = p * (v.length - 1)
  const lo = Math.floor(at)
  return lo + 1 < v.length ? v[lo]! + (at - lo) * (v[lo + 1]! - v[lo]!) : v[lo]!
}

/** Each recipe's answer, from the records. */
const expected: Record<string, (records: ReadonlyArray<StepRecord.StepRecord>, dialect: Dialect) => Array<Row>> = {
  "runs-per-status": (rs) =>
    [...count(rs, (r) => `${r.provider}\u0000${r.run_status}`).values()].map((g) => ({
      provider: g[0]!.provider,
      run_status: g[0]!.run_status,
      runs: new Set(g.map((r) => r.run_id)).size
    })),
  "errored-steps": (rs) =>
    rs.filter((r) => r.status === "errored").map((r) => ({ provider: r.provider, run_id: r.run_id, step_index: r.step_index, name: r.name, message: r.error?.message ?? null })),
  "error-rate-by-step": (rs) =>
    [...count(rs.filter((r) => r.name !== null), (r) => `${r.provider}\u0000${r.name}`).values()].map((g) => {
      const errored = g.filter((r) => r.status === "errored").length
      return { provider: g[0]!.provider, name: g[0]!.name, executions: g.length, errored, error_rate: errored / g.length }
    }),
  "retries-per-run": (rs) =>
    [...count(rs.filter((r) => (r.attempts?.length ?? 0) > 1), (r) => `${r.provider}\u0000${r.workflow}\u0000${r.run_id}`).values()].map((g) => ({
      provider: g[0]!.provider,
      workflow: g[0]!.workflow,
      run_id: g[0]!.run_id,
      retries: g.reduce((n, r) => n + r.attempts!.length - 1, 0)
    })),
  "orchestra-token-usage": (rs) => {
    const usage = rs.filter((r) => r.provider === "orchestra" && r.usage !== null).map((r) => r.usage!)
    const sum = (k: "prompt_tokens" | "completion_tokens" | "total_tokens") => usage.reduce((n, u) => n + (u[k] ?? 0), 0)
    return [{ prompt_tokens: sum("prompt_tokens"), completion_tokens: sum("completion_tokens"), total_tokens: sum("total_tokens") }]
  },
  "step-duration-percentiles": (rs, dialect) =>
    [...count(rs.filter((r) => r.duration_ms !== null), (r) => `${r.provider}\u0000${r.name}`).values()].map((g) => {
      const d = g.map((r) => r.duration_ms!)
      return dialect === "postgres"
        ? { provider: g[0]!.provider, name: g[0]!.name, n: g.length, p50_ms: percentile(d, 0.5), p95_ms: percentile(d, 0.95) }
        : { provider: g[0]!.provider, name: g[0]!.name, n: g.length, avg_ms: d.reduce((a, b) => a + b, 0) / d.length, max_ms: Math.max(...d) }
    }),
  "onepin-iterations-per-node": (rs) =>
    [...count(rs.filter((r) => r.provider === "onepin"), (r) => JSON.stringify([r.name, r.node_type, r.display_name])).values()].map((g) => ({
      node: g[0]!.name,
      node_type: g[0]!.node_type,
      display_name: g[0]!.display_name,
      runs: new Set(g.map((r) => r.run_id)).size,
      executions: g.length,
      max_iteration: g.reduce<number | null>((m, r) => (r.iteration === null ? m : m === null ? r.iteration : Math.max(m, r.iteration)), null)
    }))
}

/** Rows compared whatever the driver's types (PostgreSQL's bigint and numeric come as text) and order. */
const canonical = (rows: ReadonlyArray<Row>) =>
  rows
    .map((row) =>
      JSON.stringify(Object.fromEntries(Object.entries(row).map(([k, v]) => {
        const n = typeof v === "string" && /^-?\d+(\.\d+)?$/.test(v) ? Number(v) : v
        return [k, typeof n === "number" ? Number(n.toPrecision(9)) : n]
      })))
    )
    .sort()

let server: postgres.Server
let records: ReadonlyArray<StepRecord.StepRecord> = []
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-recipes-db-"))
const layers = {} as Record<Dialect, () => Layer.Layer<SqlClient.SqlClient, unknown>>

beforeAll(async () => {
  server = await postgres.start()
  server.createDatabase("recipes")
  await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
    const { info } = yield* Emulator.start({ token: TOKEN, seed: 2, cloudflare: { instances: 60 }, orchestra: { runs: 40 }, onepin: { runs: 40 } })
    const config = path.join(dir, "steptrail.json")
    fs.writeFileSync(config, JSON.stringify({
      sources: [
        { provider: "cloudflare", account_id: info.cloudflare.accountId, workflow: info.cloudflare.workflow, base_url: info.cloudflare.baseUrl },
        { provider: "orchestra", workflow: info.orchestra.workflow, base_url: info.orchestra.baseUrl },
        { provider: "onepin", workflow: info.onepin.workflow, base_url: info.onepin.baseUrl, workspace: info.onepin.workspaceId }
      ]
    }))
    const env = { CLOUDFLARE_API_TOKEN: TOKEN, ORCHESTRA_API_KEY: TOKEN, ONEPIN_API_KEY: TOKEN }
    const clean = yield* run(["export", "--config", config, "--quiet"], env)
    records = lines(clean.stdout).map((l) => JSON.parse(l))
    for (const out of [`sqlite:${path.join(dir, "recipes.db")}`, server.url("recipes")]) {
      const r = yield* run(["export", "--config", config, "--out", out, "--quiet"], env)
      if (r.code !== 0) throw new Error(r.stderr)
    }
  })))
  layers.sqlite = () => SqliteClient.layer({ filename: path.join(dir, "recipes.db") })
  layers.postgres = () => PgClient.layer({ host: "127.0.0.1", port: server.port, database: "recipes", username: "postgres" })
}, 120_000)
afterAll(() => server?.stop())

describe("the SQL recipes of docs/database.md", () => {
  const all = recipes()
  it("are the ones this test knows, each with a query for both databases", () => {
    expect([...all.keys()].sort()).toEqual(Object.keys(expected).sort())
    for (const [id, blocks] of all) expect([id, Object.keys(blocks).sort()]).toEqual([id, ["postgres", "sqlite"]])
  })
  for (const dialect of ["sqlite", "postgres"] as const) {
    for (const [id, blocks] of all) {
      it.live(`${id} on ${dialect}`, () =>
        Effect.gen(function*() {
          const sql = yield* SqlClient.SqlClient
          const rows = yield* sql.unsafe<Row>(blocks[dialect]).withoutTransform
          const want = expected[id]!(records, dialect)
          expect(want.length).toBeGreaterThan(0)
          expect(canonical(rows)).toEqual(canonical(want))
        }).pipe(Effect.provide(layers[dialect]())))
    }
  }
})
