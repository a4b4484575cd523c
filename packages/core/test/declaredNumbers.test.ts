import { describe, expect, it } from "@effect/vitest"
import { Effect, Schema } from "effect"
import * as Json from "../src/Json.js"
import * as ProviderClient from "../src/ProviderClient.js"
import * as StepRecord from "../src/StepRecord.js"

const Body = Schema.Struct({
  total: Schema.NullOr(Schema.Number),
  steps: Schema.Array(Schema.Struct({ limit: Schema.optional(Schema.Union(Schema.String, Schema.Number)), output: Schema.Unknown }))
})
const parse = ProviderClient.parseJson("test", Body)
const body = (text: string): ProviderClient.Body => ({ contentType: "application/json", bytes: Buffer.from(text), endpoint: "GET /x", status: 200 })

describe("decoding numbers a double would change", () => {
  it.effect("keeps them as their digits where the schema declares no number, a double where it does", () =>
    Effect.gen(function*() {
      const decoded = yield* parse(body(`{"total":2.0,"steps":[{"limit":3.50,"output":{"id":12345678901234567891,"n":-0}}]}`))
      expect(decoded.total).toBe(2)
      expect(decoded.steps[0]!.limit).toBe(3.5)
      expect(Json.stringify(decoded.steps[0]!.output)).toBe(`{"id":12345678901234567891,"n":-0}`)
    }))

  it.effect("still names the bad field of a body that holds one", () =>
    Effect.gen(function*() {
      const failure = yield* Effect.flip(parse(body(`{"total":"x","steps":[{"output":1e400}]}`)))
      expect(failure).toMatchObject({ _tag: "DecodeFailure", path: "$.total" })
    }))

  it("an error value that is not a message is kept readable with its digits", () => {
    expect(StepRecord.errorOf(Json.parse(`{"code":9007199254740993}`))).toStrictEqual({
      name: "Error",
      message: `{"code":9007199254740993}`
    })
  })
})
