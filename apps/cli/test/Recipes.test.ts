/**
 * Runs every recipe of docs/recipes.md (jq one-liners and DuckDB queries, read from the
 * markdown itself) against a fresh `steptrail demo` export and checks each answer against one
 * computed here, in plain TypeScript, from the parsed NDJSON. A DuckDB query followed by a
 * table in the docs (recipes.md, and the README once it shows one) must produce that table.
 */
import { DuckDBInstance } from "@duckdb/node-api"
import type { DuckDBConnection } from "@duckdb/node-api"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { providers } from "../src/Providers.js"
import { run } from "./inProcess.js"

const ROOT = fileURLToPath(new URL("../../../", import.meta.url))
const RECIPES = path.join(ROOT, "docs", "recipes.md")
const README = path.join(ROOT, "README.md")
const FILE = "steptrail-demo.ndjson"

// ---------------------------------------------------------------------------------------------
// Markdown: fenced blocks, the heading they sit under, and a table right after them

interface Block {
  readonly heading: string | null // the nearest `### ` heading above, if any
  readonly lang: string
  readonly code: string
  readonly table: ReadonlyArray<ReadonlyArray<string>> | null // header row first, no separator
}

const cells = (line: string) =>
  line.trim().replace(/^\|/, "").replace(/\|$/, "").split("|").map((c) => c.trim())

const parseBlocks = (markdown: string): Array<Block> => {
  const lines = markdown.split("\n")
  const blocks: Array<Block> = []
  let heading: string | null = null
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!
    const h = /^(#{1,6})\s+(.*?)\s*$/.exec(line)
    if (h) {
      heading = h[1]!.length === 3 ? h[2]! : null
      continue
    }
    const fence = /^```(\S*)\s*$/.exec(line)
    if (!fence) continue
    const body: Array<string> = []
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]!); i++) body.push(lines[i]!)
    // a table may follow after blank lines and HTML comments
    let j = i + 1
    while (j < lines.length && (lines[j]!.trim() === "" || /^<!--.*-->\s*$/.test(lines[j]!))) j++
    let table: Array<Array<string>> | null = null
    if (j < lines.length && lines[j]!.trim().startsWith("|")) {
      table = []
      for (; j < lines.length && lines[j]!.trim().startsWith("|"); j++) {
        const row = cells(lines[j]!)
        if (!row.every((c) => /^:?-+:?$/.test(c))) table.push(row)
      }
    }
    blocks.push({ heading, lang: fence[1]!, code: body.join("\n"), table })
  }
  return blocks
}

interface Recipe extends Block {
  readonly id: string
  readonly lang: "sh" | "sql"
}

const parseRecipes = (markdown: string): Array<Recipe> => {
  const recipes = parseBlocks(markdown).filter((b) => b.heading !== null) as Array<Block & { heading: string }>
  for (const r of recipes) {
    if (!/^[a-z0-9-]+$/.test(r.heading)) throw new Error(`recipe heading "${r.heading}" is not an id`)
    if (r.lang !== "sh" && r.lang !== "sql") throw new Error(`recipe ${r.heading}: a \`\`\`${r.lang} block`)
  }
  const ids = recipes.map((r) => r.heading)
  const twice = ids.filter((id, k) => ids.indexOf(id) !== k)
  if (twice.length > 0) throw new Error(`more than one block under ${twice.join(", ")}`)
  return recipes.map((r) => ({ ...r, id: r.heading, lang: r.lang as "sh" | "sql" }))
}

// ---------------------------------------------------------------------------------------------
// The export, read independently of steptrail's own code

interface Attempt {
  readonly success: boolean
}
interface Rec {
  readonly provider: string
  readonly workflow: string
  readonly run_id: string
  readonly step_index: number
  readonly name: string | null
  readonly kind: string
  readonly node_type: string | null
  readonly display_name: string | null
  readonly iteration: number | null
  readonly status: string
  readonly duration_ms: number | null
  readonly attempts: ReadonlyArray<Attempt> | null
  readonly usage: Record<string, number> | null
  readonly error: { readonly name: string; readonly message: string } | null
  readonly run_status: string
}

/** quantile_cont: linear interpolation between the two nearest ranks. */
const quantileCont = (values: ReadonlyArray<number>, q: number): number => {
  const s = [...values].sort((a, b) => a - b)
  const h = (s.length - 1) * q
  const lo = Math.floor(h)
  const hi = Math.ceil(h)
  return s[lo]! + (h - lo) * (s[hi]! - s[lo]!)
}

const groupBy = <A>(items: ReadonlyArray<A>, key: (a: A) => string): Map<string, Array<A>> => {
  const m = new Map<string, Array<A>>()
  for (const a of items) {
    const k = key(a)
    const g = m.get(k)
    if (g) g.push(a)
    else m.set(k, [a])
  }
  return m
}

const k2 = (...parts: ReadonlyArray<unknown>) => JSON.stringify(parts)
const byKey = <A>(rows: ReadonlyArray<A>, key: (a: A) => string) => [...rows].sort((a, b) => key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0)

const nonIncreasing = (values: ReadonlyArray<number>) => values.every((v, i) => i === 0 || values[i - 1]! >= v)

type Row = Record<string, unknown>

/** DuckDB values as plain JS: BIGINT as number, UUID as string. */
const plain = (v: unknown): unknown => (typeof v === "bigint" ? Number(v) : v)

// ---------------------------------------------------------------------------------------------

let dir = ""
let records: Array<Rec> = []
let recipes: Array<Recipe> = []
let instance: DuckDBInstance | undefined
let db: DuckDBConnection | undefined

const sql = async (query: string): Promise<Array<Row>> => {
  const reader = await db!.runAndReadAll(query)
  return reader.getRowObjectsJS().map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, plain(v)])))
}

const jq = (code: string): string => {
  const r = spawnSync("sh", ["-c", code], { cwd: dir, encoding: "utf8", timeout: 20_000 })
  if (r.status !== 0) throw new Error(`${code}\nexit ${r.status}: ${r.stderr}`)
  return r.stdout
}
const jsonLines = (text: string): Array<Row> =>
  text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Row)

/** How a table in the docs shows a DuckDB value. */
const show = (v: unknown) => (v === null ? "NULL" : String(v))

const checkTable = async (where: string, block: Block) => {
  const rows = await sql(block.code)
  const [header, ...body] = block.table!
  expect(header, `${where}: the table's columns`).toEqual(Object.keys(rows[0] ?? {}))
  expect(body, `${where}: the table under the query`).toEqual(rows.map((r) => header!.map((c) => show(r[c]))))
}

// Each recipe's check: runs it and compares with the answer computed from `records`.
const checks: Record<string, (recipe: Recipe) => Promise<void> | void> = {
  // --- jq
  "count-by-provider-status": (recipe) => {
    const expected: Record<string, Record<string, number>> = {}
    for (const r of records) {
      const p = (expected[r.provider] ??= {})
      p[r.status] = (p[r.status] ?? 0) + 1
    }
    expect(JSON.parse(jq(recipe.code))).toEqual(expected)
  },
  "errored-steps": (recipe) => {
    const expected = records
      .filter((r) => r.status === "errored")
      .map((r) => ({ provider: r.provider, run_id: r.run_id, step_index: r.step_index, name: r.name, error: r.error?.message ?? null }))
    expect(expected.length).toBeGreaterThan(0)
    expect(jsonLines(jq(recipe.code))).toEqual(expected)
  },
  "slowest-steps": (recipe) => {
    const out = jsonLines(jq(recipe.code))
    const durations = records.flatMap((r) => (r.duration_ms === null ? [] : [r.duration_ms])).sort((a, b) => b - a)
    expect(out.map((o) => o.duration_ms)).toEqual(durations.slice(0, 10))
    for (const o of out) {
      const r = records.find((r) => r.provider === o.provider && r.run_id === o.run_id && r.name === o.name && r.duration_ms === o.duration_ms)
      expect(r, JSON.stringify(o)).toBeDefined()
      expect(o.kind).toBe(r!.kind)
    }
  },
  "runs-with-retries": (recipe) => {
    const retried = records.filter((r) => (r.attempts?.length ?? 0) > 1)
    const expected = [...groupBy(retried, (r) => r.run_id)].map(([run_id, steps]) => ({
      run_id,
      retried_steps: steps.length,
      retries: steps.reduce((n, r) => n + r.attempts!.length - 1, 0)
    }))
    expect(expected.length).toBeGreaterThan(0)
    expect(byKey(jsonLines(jq(recipe.code)), (r) => String(r.run_id))).toEqual(byKey(expected, (r) => r.run_id))
  },
  "orchestra-token-usage": (recipe) => {
    const expected: Record<string, number> = {}
    for (const r of records) {
      if (r.provider !== "orchestra" || r.usage === null) continue
      for (const [k, v] of Object.entries(r.usage)) expected[k] = (expected[k] ?? 0) + v
    }
    expect(expected.total_tokens).toBeGreaterThan(0)
    expect(JSON.parse(jq(recipe.code))).toEqual(expected)
  },

  // --- DuckDB
  overview: async (recipe) => {
    const rows = await sql(recipe.code)
    const expected = [...groupBy(records, (r) => r.provider)].sort(([a], [b]) => (a < b ? -1 : 1)).map(([provider, rs]) => {
      const d = rs.flatMap((r) => (r.duration_ms === null ? [] : [r.duration_ms]))
      return {
        provider,
        runs: new Set(rs.map((r) => r.run_id)).size,
        steps: rs.length,
        errored: rs.filter((r) => r.status === "errored").length,
        p50_ms: Math.round(quantileCont(d, 0.5)),
        p95_ms: Math.round(quantileCont(d, 0.95))
      }
    })
    expect(rows).toEqual(expected)
    expect(recipe.table, "overview shows its output").not.toBeNull()
    await checkTable(`docs/recipes.md#${recipe.id}`, recipe)
  },
  "step-duration-percentiles": async (recipe) => {
    const rows = await sql(recipe.code)
    const timed = records.filter((r) => r.duration_ms !== null)
    const expected = new Map(
      [...groupBy(timed, (r) => k2(r.provider, r.name))].map(([key, rs]) => {
        const d = rs.map((r) => r.duration_ms!)
        return [key, { n: d.length, p50_ms: quantileCont(d, 0.5), p95_ms: quantileCont(d, 0.95) }]
      })
    )
    expect(rows.length).toBe(expected.size)
    for (const row of rows) {
      const e = expected.get(k2(row.provider, row.name))
      expect(e, `${row.provider} ${row.name}`).toBeDefined()
      expect(row.n).toBe(e!.n)
      expect(row.p50_ms as number).toBeCloseTo(e!.p50_ms, 6)
      expect(row.p95_ms as number).toBeCloseTo(e!.p95_ms, 6)
    }
    expect(nonIncreasing(rows.map((r) => r.p95_ms as number))).toBe(true)
  },
  "error-rate-by-step": async (recipe) => {
    const rows = await sql(recipe.code)
    const named = records.filter((r) => r.name !== null)
    const expected = new Map(
      [...groupBy(named, (r) => k2(r.provider, r.name))].map(([key, rs]) => {
        const errored = rs.filter((r) => r.status === "errored").length
        return [key, { executions: rs.length, errored, error_rate: errored / rs.length }]
      })
    )
    expect(rows.length).toBe(expected.size)
    for (const row of rows) {
      const e = expected.get(k2(row.provider, row.name))
      expect(e, `${row.provider} ${row.name}`).toBeDefined()
      expect(row.executions).toBe(e!.executions)
      expect(row.errored).toBe(e!.errored)
      expect(row.error_rate as number).toBeCloseTo(e!.error_rate, 12)
    }
    expect(rows.some((r) => (r.error_rate as number) > 0)).toBe(true)
    expect(nonIncreasing(rows.map((r) => r.error_rate as number))).toBe(true)
  },
  "retries-per-run": async (recipe) => {
    const rows = await sql(recipe.code)
    const withAttempts = records.filter((r) => (r.attempts?.length ?? 0) > 0)
    const expected = [...groupBy(withAttempts, (r) => k2(r.provider, r.workflow, r.run_id))]
      .map(([, rs]) => ({
        provider: rs[0]!.provider,
        workflow: rs[0]!.workflow,
        run_id: rs[0]!.run_id,
        retries: rs.reduce((n, r) => n + r.attempts!.length - 1, 0),
        failed_attempts: rs.reduce((n, r) => n + r.attempts!.filter((a) => a.success === false).length, 0)
      }))
      .filter((r) => r.retries > 0)
    expect(expected.length).toBeGreaterThan(0)
    expect(expected.some((r) => r.failed_attempts !== r.retries)).toBe(true) // the two measures differ somewhere
    const key = (r: Row) => k2(r.provider, r.workflow, r.run_id)
    expect(byKey(rows, key)).toEqual(byKey(expected, key))
    expect(nonIncreasing(rows.map((r) => r.retries as number))).toBe(true)
  },
  "runs-per-status": async (recipe) => {
    const rows = await sql(recipe.code)
    const expected = [...groupBy(records, (r) => k2(r.provider, r.run_status))].map(([, rs]) => ({
      provider: rs[0]!.provider,
      run_status: rs[0]!.run_status,
      runs: new Set(rs.map((r) => r.run_id)).size
    }))
    const key = (r: Row) => k2(r.provider, r.run_status)
    expect(byKey(rows, key)).toEqual(byKey(expected, key))
    // every run has one run_status: the runs add up to the distinct runs per provider
    const total = new Set(records.map((r) => k2(r.provider, r.run_id))).size
    expect(rows.reduce((n, r) => n + (r.runs as number), 0)).toBe(total)
  },
  "onepin-iterations-per-node": async (recipe) => {
    const rows = await sql(recipe.code)
    const onepin = records.filter((r) => r.provider === "onepin")
    const expected = [...groupBy(onepin, (r) => k2(r.name, r.node_type, r.display_name))].map(([, rs]) => ({
      node: rs[0]!.name,
      node_type: rs[0]!.node_type,
      display_name: rs[0]!.display_name,
      runs: new Set(rs.map((r) => r.run_id)).size,
      executions: rs.length,
      max_iteration: Math.max(...rs.map((r) => r.iteration ?? 0))
    }))
    expect(expected.some((r) => r.max_iteration > 1)).toBe(true) // the demo has a loop
    const key = (r: Row) => k2(r.node, r.node_type, r.display_name)
    expect(byKey(rows, key)).toEqual(byKey(expected, key))
    expect(nonIncreasing(rows.map((r) => r.executions as number))).toBe(true)
  }
}

describe("docs/recipes.md", () => {
  beforeAll(async () => {
    recipes = parseRecipes(fs.readFileSync(RECIPES, "utf8"))
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-recipes-"))
    const r = await Effect.runPromise(run(["demo", "--out", path.join(dir, FILE)]))
    if (r.code !== 0) throw new Error(`steptrail demo exited ${r.code}: ${r.stderr}`)
    records = fs.readFileSync(path.join(dir, FILE), "utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l) as Rec)
    instance = await DuckDBInstance.create(":memory:")
    db = await instance.connect()
    // relative paths in the recipes resolve in the export's directory, as for a user there
    await db.run(`SET file_search_path = '${dir.replace(/'/g, "''")}'`)
  }, 60_000)

  afterAll(() => {
    db?.closeSync()
    instance?.closeSync()
    if (dir !== "") fs.rmSync(dir, { recursive: true, force: true })
  })

  it("every recipe has a check and every check a recipe", () => {
    expect(recipes.map((r) => r.id).sort()).toEqual(Object.keys(checks).sort())
    for (const r of recipes) {
      if (r.lang === "sh") expect(r.code, r.id).toMatch(/^jq [^\n]*steptrail-demo\.ndjson$/)
      else expect(r.code, r.id).toMatch(/read_(ndjson|json)_auto\('steptrail-demo\.ndjson'/)
    }
  })

  it("jq is installed (the jq recipes are not skipped without it)", () => {
    const r = spawnSync("jq", ["--version"], { encoding: "utf8" })
    expect(r.error, "jq is missing: apt-get install -y jq").toBeUndefined()
    expect(r.status).toBe(0)
  })

  it("the demo export is what the recipes expect", () => {
    expect(new Set(records.map((r) => r.provider))).toEqual(new Set(providers.map((p) => p.name)))
  })

  for (const id of Object.keys(checks)) {
    it(`recipe ${id}`, async () => {
      const recipe = recipes.find((r) => r.id === id)
      expect(recipe, `docs/recipes.md has no recipe ${id}`).toBeDefined()
      await checks[id]!(recipe!)
    })
  }

  it("a DuckDB query in the README followed by a table produces that table", async () => {
    const examples = parseBlocks(fs.readFileSync(README, "utf8")).filter((b) => b.lang === "sql" && b.table !== null)
    for (const [k, block] of examples.entries()) await checkTable(`README.md sql example ${k + 1}`, block)
  })
})
