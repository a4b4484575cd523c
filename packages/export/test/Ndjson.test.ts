import { describe, expect, it } from "@effect/vitest"
import { Json, StepRecord } from "@steptrail/core"
import { Ndjson, Singer } from "@steptrail/export"
import { Schema } from "effect"
import { record } from "./fixtures.js"

describe("Ndjson", () => {
  it("writes one line per record, newline-terminated, keys in schema order", () => {
    const text = Buffer.from(Ndjson.encode([record("r", 0), record("r", 1)])).toString("utf8")
    expect(text.endsWith("\n")).toBe(true)
    const lines = text.split("\n")
    expect(lines).toHaveLength(3)
    expect(lines[2]).toBe("")
    expect(Object.keys(JSON.parse(lines[0]!))).toEqual(Object.keys(StepRecord.StepRecord.fields))
  })

  it("orders keys by the schema whatever order the object has, and writes missing values as null", () => {
    const r = record("r", 0)
    const shuffled = Object.fromEntries(Object.entries(r).reverse()) as StepRecord.StepRecord
    const { output: _output, ...withoutOutput } = r
    expect(Ndjson.line(shuffled)).toBe(Ndjson.line(r))
    expect(JSON.parse(Ndjson.line(withoutOutput as StepRecord.StepRecord)).output).toBeNull()
  })

  it("never puts a raw newline inside a line and round-trips any string", () => {
    const nasty = "line1\nline2\r\u2028\u0000\"quote\" \ud83d\ude00 lone \ud800"
    const line = Ndjson.line(record("r", 0, { output: nasty, error: { name: "E\n", message: "m\r\n" } }))
    expect(line.indexOf("\n")).toBe(line.length - 1)
    expect(line.includes("\r")).toBe(false)
    const parsed = JSON.parse(line)
    expect(parsed.error).toEqual({ name: "E\n", message: "m\r\n" })
    expect(parsed.output.startsWith("line1\nline2")).toBe(true)
    expect(Schema.decodeUnknownSync(StepRecord.StepRecord)(parsed).run_id).toBe("r")
  })

  it("encodes UTF-8", () => {
    const bytes = Ndjson.encode([record("r", 0, { output: "é€😀" })])
    expect(Buffer.from(bytes).toString("utf8")).toContain("é€😀")
    expect(bytes.length).toBeGreaterThan(Ndjson.line(record("r", 0, { output: "eee" })).length)
  })

  it("writes numbers with the digits sent and outputs of any depth, in NDJSON and Singer alike", () => {
    const depth = 100_000
    const sent = `{"id":12345678901234567891,"x":0.1000000000000000055511151231257827,"deep":${"[".repeat(depth)}-0${"]".repeat(depth)}}`
    const r = record("r", 0, { output: Json.parse(sent), input: Json.parse("[1e400,9007199254740993]") })
    const line = Ndjson.line(r)
    expect(line.includes(`"input":[1e400,9007199254740993],"output":${sent},"output_encoding"`)).toBe(true)
    expect(line.endsWith("}\n")).toBe(true)
    expect(Singer.recordLine(r).includes(`"record":${line.slice(0, -1)}`)).toBe(true)
  })
})
