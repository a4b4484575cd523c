import { describe, expect, it } from "@effect/vitest"
import { type StepRecord } from "@steptrail/core"
import { Export, Incremental, Output, Singer, State } from "@steptrail/export"
import { Effect, Exit, Schema } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { collect, drive, fakeProvider, FileSystemLive, record, tempDir } from "./fixtures.js"

type Message = { type: string; stream?: string; record?: any; value?: any; schema?: any; key_properties?: Array<string> }

/** Splits Singer output into messages, checking the line format on the way. */
const messages = (text: string): Array<Message> => {
  expect(text.endsWith("\n")).toBe(true)
  const lines = text.slice(0, -1).split("\n")
  for (const line of lines) expect(line.length).toBeGreaterThan(0)
  return lines.map((l) => JSON.parse(l))
}

// The keywords Singer targets understand (draft 4 subset); the schema must use no other.
const KEYWORDS = new Set(["type", "enum", "pattern", "format", "minimum", "properties", "required", "additionalProperties", "items", "description", "title"])

const keywordsOf = (schema: any, found: Set<string> = new Set()): Set<string> => {
  for (const [k, v] of Object.entries(schema)) {
    found.add(k)
    if (k === "properties") for (const p of Object.values(v as object)) keywordsOf(p, found)
    if (k === "items") keywordsOf(v, found)
  }
  return found
}

const typeOf = (value: unknown): string =>
  value === null ? "null" : Array.isArray(value) ? "array" : Number.isInteger(value) ? "integer" : typeof value

/** A validator for exactly that subset: the errors found, with their paths. */
const validate = (schema: any, value: unknown, at = "$"): Array<string> => {
  const errors: Array<string> = []
  const types: Array<string> = schema.type === undefined ? [] : [schema.type].flat()
  const t = typeOf(value)
  if (types.length > 0 && !types.includes(t) && !(t === "integer" && types.includes("number"))) errors.push(`${at}: ${t} is not ${types}`)
  if (schema.enum !== undefined && !schema.enum.some((e: unknown) => e === value)) errors.push(`${at}: not in enum`)
  if (typeof value === "string" && schema.pattern !== undefined && !new RegExp(schema.pattern).test(value)) errors.push(`${at}: pattern`)
  if (typeof value === "string" && schema.format === "date-time" && Number.isNaN(Date.parse(value))) errors.push(`${at}: date-time`)
  if (typeof value === "number" && schema.minimum !== undefined && value < schema.minimum) errors.push(`${at}: minimum`)
  if (t === "object") {
    const obj = value as Record<string, unknown>
    for (const r of schema.required ?? []) if (!(r in obj)) errors.push(`${at}.${r}: required`)
    for (const [k, v] of Object.entries(obj)) {
      const sub = schema.properties?.[k]
      if (sub !== undefined) errors.push(...validate(sub, v, `${at}.${k}`))
      else if (schema.additionalProperties === false) errors.push(`${at}.${k}: not allowed`)
    }
  }
  if (t === "array" && schema.items !== undefined) (value as Array<unknown>).forEach((v, i) => errors.push(...validate(schema.items, v, `${at}[${i}]`)))
  return errors
}

/** Records of every shape the schema allows: null account, attempts, retry config, odd outputs. */
const varied = () => {
  const base = fakeProvider(3, 3)
  const shapes: Array<Partial<StepRecord.StepRecord>> = [
    { account: null, output: "text", output_encoding: "base64", duration_ms: null, started_at: null, ended_at: null },
    {
      account: null,
      attempts: [{ started_at: "2026-01-01T00:00:00Z", ended_at: null, duration_ms: 5, success: false, error: { name: "Error", message: "x" } }],
      retry_config: { limit: 3, delay: "10 seconds", backoff: "exponential", timeout: 1000 },
      output: [1, { a: null }],
      iteration: 2
    },
    {
      account: null,
      input: { prompt: "p" },
      output: 42.5,
      usage: { prompt_tokens: 1, completion_tokens: null, total_tokens: 1 },
      error: { name: "E", message: "m" },
      status: "errored",
      trigger: "api"
    }
  ]
  return {
    ...base,
    account: null,
    steps: (run: Parameters<typeof base.steps>[0]) => base.steps(run).pipe(Effect.map((rs) => rs.map((r) => ({ ...r, ...shapes[r.step_index]! }))))
  }
}

describe("Singer", () => {
  it("the schema is self-contained and uses only keywords targets accept", () => {
    const schema = Singer.schema()
    expect(JSON.stringify(schema)).not.toMatch(/\$ref|\$defs|anyOf|const/)
    expect([...keywordsOf(schema)].filter((k) => !KEYWORDS.has(k) && !(k in (schema.properties as object)))).toEqual([])
    const p = schema.properties as any
    expect(p.started_at).toMatchObject({ type: ["null", "string"], format: "date-time" })
    expect(p.step_index.type).toBe("integer")
    expect(p.schema_version).toMatchObject({ type: "integer", enum: [2] })
    expect(p.account.type).toBe("string") // a key property: never null in the stream
    // and what it says of the value is what the stream carries
    expect(p.account.description).toContain(`otherwise ""`)
    expect(p.account.description).not.toContain("null.")
    expect(p.retry_config.properties.delay.type).toEqual(["null", "string", "number"])
    expect(Object.keys(p)).toEqual(Object.keys(record("r", 0)))
  })

  it("a record line is a RECORD message whose record is the NDJSON record, account null as \"\"", () => {
    const r = record("r", 1, { account: null })
    const message = JSON.parse(Singer.recordLine(r, "2026-01-01T00:00:00.000Z"))
    expect(message).toEqual({ type: "RECORD", stream: "steptrail_steps", record: { ...r, account: "" }, time_extracted: "2026-01-01T00:00:00.000Z" })
    expect(Object.keys(message.record)).toEqual(Object.keys(r))
    expect(JSON.parse(Singer.recordLine(record("r", 1))).time_extracted).toBeUndefined()
  })

  it.effect("Export.run: SCHEMA first and once, a valid RECORD per step, one STATE last", () =>
    Effect.gen(function*() {
      const { sink, text } = collect()
      const exit = yield* drive(Export.run([{ provider: varied(), workflow: "wf" }], Output.stdout(sink), { format: "singer" }))
      expect(Exit.isSuccess(exit)).toBe(true)
      const all = messages(text())
      expect(all[0]!.type).toBe("SCHEMA")
      expect(all.filter((m) => m.type === "SCHEMA")).toHaveLength(1)
      expect(all[0]).toMatchObject({ stream: "steptrail_steps", key_properties: ["provider", "account", "workflow", "run_id", "step_index"] })
      const schema = all[0]!.schema
      const records = all.filter((m) => m.type === "RECORD")
      expect(records).toHaveLength(9)
      for (const m of records) {
        expect(m.stream).toBe("steptrail_steps")
        expect(validate(schema, m.record)).toEqual([])
        for (const k of all[0]!.key_properties!) expect(m.record[k]).not.toBeNull()
      }
      // the validator is not vacuous
      expect(validate(schema, { ...records[0]!.record, account: null, step_index: -1, started_at: "yesterday", extra: 1 }).map((e) => e.split(":")[0]))
        .toEqual(["$.account", "$.step_index", "$.started_at", "$.started_at", "$.extra"])
      expect(all.map((m) => m.type)).toEqual(["SCHEMA", ...records.map(() => "RECORD"), "STATE"])
      // the runs carry no creation time here, so the terminal ones are named (see State)
      const state = Schema.decodeUnknownSync(State.State)(all.at(-1)!.value)
      expect(state.sources[State.sourceKey("cloudflare", null, "wf")]).toEqual({
        watermark: null,
        open: {},
        recent: { "run-0": null, "run-1": null, "run-2": null }
      })
    }))

  it.effect("Incremental.run to a gzip file: one STATE, after the last record, holding the committed state", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const out = path.join(dir, "out.singer.gz")
      const exit = yield* drive(
        Incremental.run([{ provider: fakeProvider(6, 2), workflow: "wf" }], { state: path.join(dir, "s.json"), out, format: "singer", gzip: true, checkpointMillis: 0, concurrency: 1 })
      )
      expect(Exit.isSuccess(exit)).toBe(true)
      const all = messages(zlib.gunzipSync(fs.readFileSync(out)).toString())
      expect(all.map((m) => m.type)).toEqual(["SCHEMA", ...Array.from({ length: 12 }, () => "RECORD"), "STATE"])
      expect(all.at(-1)!.value).toEqual(JSON.parse(fs.readFileSync(path.join(dir, "s.json"), "utf8")))
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("the last STATE handed back as the state file makes the next export skip what was loaded", () =>
    Effect.gen(function*() {
      const dir = tempDir()
      const first = collect()
      yield* drive(Incremental.run([{ provider: fakeProvider(5, 2), workflow: "wf" }], { state: path.join(dir, "a.json"), stdout: first.sink, format: "singer" }))
      const last = messages(first.text()).at(-1)!
      expect(last.type).toBe("STATE")
      // what a Singer runner does: persist the value, pass it to the next run as --state
      const statePath = path.join(dir, "runner-state.json")
      fs.writeFileSync(statePath, JSON.stringify(last.value))
      const second = collect()
      const exit = yield* drive(Incremental.run([{ provider: fakeProvider(7, 2), workflow: "wf" }], { state: statePath, stdout: second.sink, format: "singer" }))
      expect(Exit.isSuccess(exit) && exit.value.unchangedRuns).toBe(5)
      const runs = new Set(messages(second.text()).filter((m) => m.type === "RECORD").map((m) => m.record.run_id))
      expect([...runs]).toEqual(["run-5", "run-6"])
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("a target that commits in batches and echoes STATE loses nothing, wherever the pipeline is cut", () =>
    Effect.gen(function*() {
      // The Singer model: a target echoes a STATE once it has committed everything before it,
      // the runner keeps the last one echoed and passes it back as the state. Here the export
      // is cut (both processes killed) after a random number of lines, 12 times; the target
      // had committed only its full batches of 7 lines.
      const dir = tempDir()
      const random = mulberry32(11)
      const stored = new Set<string>()
      const wanted = new Set<string>()
      const runnerState = path.join(dir, "runner.json")
      let kept: unknown = undefined // what the runner persisted: the last STATE the target echoed
      for (let round = 0; round < 12; round++) {
        if (kept === undefined) fs.rmSync(runnerState, { force: true })
        else fs.writeFileSync(runnerState, JSON.stringify(kept))
        const provider = fakeProvider(10 + round, 2) // one new run per round
        const { sink, text } = collect()
        const exit = yield* drive(Incremental.run([{ provider, workflow: "wf" }], { state: runnerState, stdout: sink, format: "singer" }))
        expect(Exit.isSuccess(exit)).toBe(true)
        for (let r = 0; r < 10 + round; r++) for (let s = 0; s < 2; s++) wanted.add(`run-${r}/${s}`)
        const sent = messages(text())
        // the last round ends cleanly: the target commits at the end of its input
        const cut = Math.floor(random() * sent.length)
        const committed = round === 11 ? sent : sent.slice(0, cut - (cut % 7))
        for (const m of committed) if (m.type === "RECORD") stored.add(`${m.record.run_id}/${m.record.step_index}`)
        const echoed = committed.filter((m) => m.type === "STATE").at(-1)
        if (echoed !== undefined) kept = echoed.value
      }
      expect([...wanted].filter((k) => !stored.has(k))).toEqual([])
    }).pipe(Effect.provide(FileSystemLive)))

  it.effect("a resumed Singer file has one SCHEMA and the records of an uninterrupted export; a format change is refused", () =>
    Effect.gen(function*() {
      const recordsOf = (file: string) => messages(fs.readFileSync(file, "utf8")).filter((m) => m.type === "RECORD").map((m) => m.record)
      const cleanDir = tempDir()
      yield* drive(Incremental.run([{ provider: fakeProvider(10, 2), workflow: "wf" }], { state: path.join(cleanDir, "s.json"), out: path.join(cleanDir, "o"), format: "singer" }))
      const dir = tempDir()
      const out = path.join(dir, "out.singer")
      const statePath = path.join(dir, "s.json")
      const options = { state: statePath, out, format: "singer" as const, checkpointMillis: 0, concurrency: 1 }
      const crashed = yield* drive(Incremental.run([{ provider: fakeProvider(10, 2, [], { failAfter: 4 }), workflow: "wf" }], options))
      expect(Exit.isFailure(crashed)).toBe(true)
      const refused = yield* drive(Incremental.run([{ provider: fakeProvider(10, 2), workflow: "wf" }], { ...options, format: "ndjson" }))
      expect(Exit.isFailure(refused) && String(refused.cause)).toContain("begun in the singer format")
      const resumed = yield* drive(Incremental.run([{ provider: fakeProvider(10, 2), workflow: "wf" }], options))
      expect(Exit.isSuccess(resumed)).toBe(true)
      const all = messages(fs.readFileSync(out, "utf8"))
      expect(all.filter((m) => m.type === "SCHEMA")).toHaveLength(1)
      expect(recordsOf(out)).toEqual(recordsOf(path.join(cleanDir, "o")))
    }).pipe(Effect.provide(FileSystemLive)))
})

/** A seeded PRNG, so a failing cut can be replayed. */
const mulberry32 = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}
