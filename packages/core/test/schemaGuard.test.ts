import { describe, expect, it } from "@effect/vitest"
import { Arbitrary, Either, FastCheck as fc, Schema } from "effect"
import * as SchemaGuard from "../src/internal/schemaGuard.js"

const Message = Schema.Struct({ code: Schema.Number, message: Schema.String })
const Attempt = Schema.Struct({
  start: Schema.optional(Schema.NullOr(Schema.String)),
  success: Schema.optional(Schema.NullOr(Schema.Boolean)),
  error: Schema.optional(Schema.NullOr(Schema.Struct({ message: Schema.String, name: Schema.optional(Schema.String) })))
})
const Step = Schema.Union(
  Schema.Struct({ type: Schema.Literal("step"), name: Schema.String, attempts: Schema.optional(Schema.Array(Attempt)) }),
  Schema.Struct({ type: Schema.Literal("sleep"), name: Schema.String, finished: Schema.optional(Schema.Boolean) }),
  Schema.Struct({ type: Schema.Literal("termination"), trigger: Schema.Struct({ source: Schema.String }) })
)
const Body = Schema.Struct({
  success: Schema.Boolean,
  errors: Schema.optional(Schema.Array(Message)),
  result: Schema.Struct({
    status: Schema.Literal("running", "complete"),
    count: Schema.NullOr(Schema.Int.pipe(Schema.between(0, 100))),
    output: Schema.optional(Schema.Unknown),
    steps: Schema.Array(Step)
  })
})

const guard = SchemaGuard.compile(Body.ast)!
const decoded = (u: unknown) => Schema.decodeUnknownEither(Body, { onExcessProperty: "ignore" })(u)

/** Valid bodies with one value somewhere replaced: most are then invalid, some still valid. */
const mutated = Arbitrary.make(Body).chain((body) =>
  fc.tuple(fc.nat(), fc.constantFrom<unknown>(null, undefined, 1.5, -1, 101, "x", true, [], {}, "step")).map(
    ([pick, value]) => {
      const copy = JSON.parse(JSON.stringify(body)) as unknown
      const slots: Array<[Record<string, unknown>, string]> = []
      const walk = (node: unknown) => {
        if (typeof node !== "object" || node === null) return
        for (const key of Object.keys(node)) {
          slots.push([node as Record<string, unknown>, key])
          walk((node as Record<string, unknown>)[key])
        }
      }
      walk(copy)
      const slot = slots[pick % slots.length]
      if (slot !== undefined) {
        if (value === undefined) delete slot[0][slot[1]]
        else slot[0][slot[1]] = value
      }
      return copy
    }
  )
)

describe("SchemaGuard", () => {
  it("accepts every value the schema generates, and the decoder returns it unchanged", () => {
    fc.assert(
      fc.property(Arbitrary.make(Body), (body) => {
        const plain = JSON.parse(JSON.stringify(body)) as unknown
        const result = decoded(plain)
        if (Either.isLeft(result)) return // JSON has no Infinity: it came back as null
        expect(guard(plain)).toBe(true)
        expect(result.right).toEqual(plain)
      }),
      { numRuns: 300 }
    )
  })

  it("never accepts a value the decoder refuses", () => {
    let refused = 0
    fc.assert(
      fc.property(mutated, (body) => {
        const result = decoded(body)
        if (Either.isLeft(result)) {
          refused++
          expect(guard(body)).toBe(false)
        } else if (guard(body)) {
          // the same value, but for the undeclared keys the decoder drops
          expect(body).toMatchObject(result.right as object)
        }
      }),
      { numRuns: 1000 }
    )
    expect(refused).toBeGreaterThan(100)
  })

  it("refuses the shapes that differ only in a detail", () => {
    const base = { success: true, result: { status: "complete", count: 3, steps: [] } }
    expect(guard(base)).toBe(true)
    expect(guard({ ...base, result: { ...base.result, count: 3.5 } })).toBe(false) // Int refinement
    expect(guard({ ...base, result: { ...base.result, count: 101 } })).toBe(false) // between
    expect(guard({ ...base, result: { ...base.result, status: "paused" } })).toBe(false) // literal
    expect(guard({ ...base, result: { ...base.result, steps: [{ type: "teleport", name: "x" }] } })).toBe(false)
    expect(guard({ ...base, result: { ...base.result, steps: {} } })).toBe(false) // not an array
    expect(guard({ success: true })).toBe(false) // required key missing
    expect(guard({ ...base, errors: undefined })).toBe(true) // an optional key may hold undefined
    expect(guard(null)).toBe(false)
    expect(guard([base])).toBe(false)
    // undeclared keys are left alone, as the decoder ignores them
    expect(guard({ ...base, extra: { anything: 1 } })).toBe(true)
  })

  it("gives up on what it cannot answer exactly, so the decoder runs", () => {
    expect(SchemaGuard.compile(Schema.NumberFromString.ast)).toBeUndefined()
    expect(SchemaGuard.compile(Schema.Struct({ a: Schema.optionalWith(Schema.Number, { default: () => 0 }) }).ast))
      .toBeUndefined()
    expect(SchemaGuard.compile(Schema.Record({ key: Schema.String, value: Schema.Number }).ast)).toBeUndefined()
    expect(SchemaGuard.compile(Schema.Tuple(Schema.String, Schema.Number).ast)).toBeUndefined()
    expect(SchemaGuard.compile(Schema.DateFromSelf.ast)).toBeUndefined()
    interface Tree {
      readonly children: ReadonlyArray<Tree>
    }
    const Tree: Schema.Schema<Tree> = Schema.Struct({ children: Schema.Array(Schema.suspend(() => Tree)) })
    expect(SchemaGuard.compile(Tree.ast)).toBeUndefined()
  })
})
