import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc } from "effect"
import * as Json from "../src/Json.js"

// JSON number tokens of every form the grammar allows: long integers, long fractions,
// exponents far past a double's range, `-0`
const digits = (min: number, max: number) =>
  fc.array(fc.constantFrom(..."0123456789"), { minLength: min, maxLength: max }).map((d) => d.join(""))
const numberToken = fc
  .tuple(
    fc.boolean(),
    fc.oneof(fc.constant("0"), fc.tuple(fc.constantFrom(..."123456789"), digits(0, 30)).map(([a, b]) => a + b)),
    fc.option(digits(1, 30), { nil: undefined }),
    fc.option(fc.tuple(fc.constantFrom("e", "E"), fc.constantFrom("", "+", "-"), digits(1, 4)), { nil: undefined })
  )
  .map(([minus, int, frac, exp]) =>
    (minus ? "-" : "") + int + (frac === undefined ? "" : "." + frac) + (exp === undefined ? "" : exp.join(""))
  )

// compact JSON text, strings escaped as JSON.stringify escapes them, keys unique per object
// (and not array indexes, which a JavaScript object lists first, whatever the text's order)
const key = fc.oneof(fc.string(), fc.constant("__proto__")).filter((k) => !/^(0|[1-9]\d*)$/.test(k))
const { text: jsonText } = fc.letrec<{ text: string }>((tie) => ({
  text: fc.oneof(
    { depthSize: "small", withCrossShrink: true },
    numberToken,
    fc.string().map((s) => JSON.stringify(s)),
    fc.constantFrom("true", "false", "null"),
    fc.array(tie("text"), { maxLength: 4 }).map((items) => `[${items.join(",")}]`),
    fc
      .uniqueArray(fc.tuple(key, tie("text")), { maxLength: 4, selector: ([k]) => k })
      .map((entries) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${v}`).join(",")}}`)
  )
}))

const sent = [
  "12345678901234567891",
  "9007199254740993",
  "1e400",
  "0.1000000000000000055511151231257827",
  "-0",
  "1.50",
  "-1E-400"
]

describe("Json", () => {
  it("writes back the exact text of any JSON it parses (numbers with their digits)", () => {
    fc.assert(fc.property(jsonText, (text) => Json.stringify(Json.parse(text)) === text), { numRuns: 2000 })
  })

  it("keeps each number a double would change, and parses the rest as JSON.parse does", () => {
    for (const token of sent) {
      const value = Json.parse(`{"id":${token},"list":[ ${token} ]}`) as { id: unknown; list: Array<unknown> }
      expect(value.id).toBeInstanceOf(Json.RawNumber)
      expect(String(value.id)).toBe(token)
      expect(Json.stringify(value)).toBe(`{"id":${token},"list":[${token}]}`)
    }
    const plain = `{"n":42,"f":1.5,"at":"2026-01-31T12:00:05.123Z","s":"x:1.50","big":123456789012345}`
    expect(Json.parse(plain)).toStrictEqual(JSON.parse(plain))
    expect(Json.hasChangedNumber(plain)).toBe(false)
    expect(Json.parse(sent[0]!)).toStrictEqual(new Json.RawNumber(sent[0]!))
  })

  it("reads objects as JSON.parse does: __proto__ an own key, the last of a repeated key wins", () => {
    const value = Json.parse(`{"__proto__":{"x":1e400},"a":1,"a":2.50}`) as Record<string, unknown>
    expect(Object.getPrototypeOf(value)).toBe(Object.prototype)
    expect(Object.keys(value)).toStrictEqual(["__proto__", "a"])
    expect(Json.stringify(value)).toBe(`{"__proto__":{"x":1e400},"a":2.50}`)
  })

  it("refuses text that is not JSON as JSON.parse does", () => {
    for (const text of ["{\"a\":1e400", "[1.50,]", "-", "\"\u0001\""]) {
      expect(() => Json.parse(text)).toThrow(SyntaxError)
    }
  })

  it("parses and writes 100,000-deep arrays and objects exactly", () => {
    const depth = 100_000
    for (const leaf of ["1e400", "7", "\"x\""]) {
      const arrays = "[".repeat(depth) + leaf + "]".repeat(depth)
      const objects = "{\"a\":".repeat(depth) + `[${leaf},{}]` + "}".repeat(depth)
      for (const text of [arrays, objects]) expect(Json.stringify(Json.parse(text)) === text).toBe(true)
    }
  })

  it("writes any value as JSON.stringify does, by its loop as well", () => {
    const withUndefined = fc.anything({ values: [fc.jsonValue(), fc.constant(undefined)], maxDepth: 4 })
    fc.assert(
      fc.property(fc.oneof(fc.jsonValue(), withUndefined), (value) => {
        const expected = JSON.stringify(value)
        return Json.stringify(value) === expected && Json.deep(value) === expected
      }),
      { numRuns: 1000 }
    )
    const dated = { at: new Date(0), nested: [undefined, () => 1, Symbol("s")], gone: undefined }
    expect(Json.deep(dated)).toBe(JSON.stringify(dated))
  })

  it("a string that looks like a marked number stays a string", () => {
    const value = { s: "~steptrail-number-00000000000000000000000000000000~1", n: new Json.RawNumber("1e400") }
    expect(Json.stringify(value)).toBe(`{"s":"~steptrail-number-00000000000000000000000000000000~1","n":1e400}`)
  })

  it("outside stringify, JSON.stringify writes a RawNumber as its nearest double", () => {
    expect(JSON.stringify({ n: new Json.RawNumber("9007199254740993"), m: new Json.RawNumber("1e400") })).toBe(`{"n":9007199254740992,"m":null}`)
  })
})
