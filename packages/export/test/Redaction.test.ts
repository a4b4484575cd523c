import { describe, expect, it } from "@effect/vitest"
import { Json, type StepRecord } from "@steptrail/core"
import { Export, Incremental, Ndjson, Output, Redaction } from "@steptrail/export"
import { Effect, Either, Exit } from "effect"
import * as fs from "node:fs"
import * as path from "node:path"
import { PassThrough } from "node:stream"
import { drive, fakeProvider, FileSystemLive, record, tempDir } from "./fixtures.js"

const paths = (...texts: Array<string>) => texts.map((t) => Either.getOrThrowWith(Redaction.parse(t), (e) => new Error(e)))
const redact = (r: StepRecord.StepRecord, ...texts: Array<string>) => Redaction.apply(paths(...texts))(r)

const deepFreeze = <A>(value: A): A => {
  if (typeof value === "object" && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

const customer = () =>
  deepFreeze(record("r", 0, {
    input: {
      messages: [{ role: "user", content: "I am Jane, jane@example.com" }, { role: "assistant", content: "hi Jane" }],
      model: "m"
    },
    output: {
      customer: { email: "jane@example.com", name: "Jane", tier: "gold" },
      items: [{ sku: "a", card: "4111" }, { sku: "b", card: "5500" }],
      accounts: { stripe: { token: "sk_1", id: 1 }, github: { token: "gh_2", id: 2 }, none: null }
    }
  }))

describe("Redaction.parse", () => {
  it("parses keys, indexes, wildcards and quoted keys", () => {
    expect(paths("output.customer.email")[0]).toEqual({
      text: "output.customer.email",
      root: "output",
      segments: [{ _tag: "Key", key: "customer" }, { _tag: "Key", key: "email" }]
    })
    expect(paths("input.messages[*].content")[0]!.segments).toEqual([
      { _tag: "Key", key: "messages" },
      { _tag: "Any" },
      { _tag: "Key", key: "content" }
    ])
    expect(paths("output.items[0].card")[0]!.segments[1]).toEqual({ _tag: "Index", index: 0 })
    expect(paths("output.*.token")[0]!.segments[0]).toEqual({ _tag: "Any" })
    expect(paths("output[\"odd key.with [dots]\"]")[0]!.segments).toEqual([{ _tag: "Key", key: "odd key.with [dots]" }])
    expect(paths("output")[0]!.segments).toEqual([])
    expect(paths("output.user-id.x_y")[0]!.segments).toEqual([{ _tag: "Key", key: "user-id" }, { _tag: "Key", key: "x_y" }])
  })

  it("refuses bad paths with one clear line naming the path", () => {
    const cases: Array<[string, string]> = [
      ["", "must start with input or output"],
      ["error.message", "must start with input or output, not \"error\""],
      ["outputs.a", "must start with input or output"],
      ["output.", "a key is missing after \".\""],
      ["output..a", "unexpected \".\" at column 8"],
      ["output[", "expected an index, * or a quoted key after \"[\""],
      ["output[x]", "expected an index"],
      ["output[-1]", "expected an index"],
      ["output[01]", "expected an index"],
      ["output[\"a", "unterminated quoted key"],
      ["output[\"a\"", "expected \"]\" after the quoted key"],
      ["output]", "unexpected \"]\""],
      ["output.a b", "unexpected \" \""]
    ]
    for (const [text, message] of cases) {
      const result = Redaction.parse(text)
      expect(Either.isLeft(result), text).toBe(true)
      if (Either.isLeft(result)) {
        expect(result.left).toContain(message)
        expect(result.left).toContain(JSON.stringify(text))
        expect(result.left).not.toContain("\n")
      }
    }
    expect(Either.isLeft(Redaction.parseAll(["output.a", "nope"]))).toBe(true)
    expect(Either.getOrThrow(Redaction.parseAll(["output.a", "input[*]"]))).toHaveLength(2)
  })
})

describe("Redaction.apply", () => {
  it("replaces a nested value and copies only along the path, never mutating the record", () => {
    const r = customer()
    const out = redact(r, "output.customer.email")
    const o = out.output as any
    expect(o.customer).toEqual({ email: "[REDACTED]", name: "Jane", tier: "gold" })
    expect(Object.keys(o.customer)).toEqual(["email", "name", "tier"]) // key order kept
    expect((r.output as any).customer.email).toBe("jane@example.com")
    // untouched branches are shared, not copied
    expect(o.items).toBe((r.output as any).items)
    expect(out.input).toBe(r.input)
    // nothing else in the record changes
    expect({ ...out, output: null }).toEqual({ ...r, output: null })
    expect({ ...o, customer: null }).toEqual({ ...(r.output as any), customer: null })
  })

  it("wildcards match every element of an array and every key of an object", () => {
    const r = customer()
    const out = redact(r, "input.messages[*].content", "output.*.token", "output.accounts.*.token")
    expect((out.input as any).messages).toEqual([
      { role: "user", content: "[REDACTED]" },
      { role: "assistant", content: "[REDACTED]" }
    ])
    expect((out.input as any).model).toBe("m")
    // `output.*.token`: no direct child of output has a token; the deeper path does
    expect((out.output as any).accounts).toEqual({ stripe: { token: "[REDACTED]", id: 1 }, github: { token: "[REDACTED]", id: 2 }, none: null })
    expect((out.output as any).customer).toBe((r.output as any).customer)
    expect(redact(r, "output.items.*.card").output).toEqual(redact(r, "output.items[*].card").output)
    expect(redact(r, "output.*").output).toEqual({ customer: "[REDACTED]", items: "[REDACTED]", accounts: "[REDACTED]" })
  })

  it("indexes pick one element; out-of-range indexes, missing keys and type mismatches are no-ops", () => {
    const r = customer()
    expect((redact(r, "output.items[0].card").output as any).items).toEqual([{ sku: "a", card: "[REDACTED]" }, { sku: "b", card: "5500" }])
    for (const miss of ["output.items[5].card", "output.nope.email", "output.customer[0]", "output.items.card", "output.customer.email.x", "input.messages[*].nope"]) {
      expect(redact(r, miss), miss).toBe(r) // the very same object: no copy at all
    }
  })

  it("leaves a string or base64 output alone unless the path is output itself, and keeps nulls", () => {
    const text = deepFreeze(record("r", 0, { output: "jane@example.com" }))
    expect(redact(text, "output.email", "output[0]", "output.*")).toBe(text)
    const bytes = deepFreeze(record("r", 0, { output: "aGVsbG8=", output_encoding: "base64" }))
    expect(redact(bytes, "output.*")).toBe(bytes)
    const whole = redact(bytes, "output")
    expect(whole).toEqual({ ...bytes, output: "[REDACTED]", output_encoding: "json", output_redacted: true })
    const wholeInput = redact(customer(), "input")
    expect(wholeInput.input).toBe("[REDACTED]")
    expect(wholeInput.output_redacted).toBe(false)
    const nulls = deepFreeze(record("r", 0, { input: null, output: { email: null } }))
    expect(redact(nulls, "input", "output.email")).toBe(nulls)
  })

  it("treats __proto__ as an ordinary key", () => {
    const r = deepFreeze(record("r", 0, { output: JSON.parse("{\"__proto__\": {\"secret\": 1}, \"a\": 2}") }))
    const out = redact(r, "output[\"__proto__\"].secret")
    expect(JSON.stringify(out.output)).toBe("{\"__proto__\":{\"secret\":\"[REDACTED]\"},\"a\":2}")
    expect(Object.getPrototypeOf(out.output)).toBe(Object.prototype)
  })
})

describe("Export with redact", () => {
  const provider = () => {
    const base = fakeProvider(4, 2)
    return {
      ...base,
      steps: (run: Parameters<typeof base.steps>[0]) =>
        base.steps(run).pipe(Effect.map((rs) => rs.map((r) => ({ ...r, input: { email: `${run.id}@example.com`, keep: 1 } }))))
    }
  }

  it.effect("Export.run and Incremental.run write redacted records", () =>
    Effect.gen(function*() {
      const sink = new PassThrough()
      const chunks: Array<Buffer> = []
      sink.on("data", (c: Buffer) => chunks.push(c))
      const redactPaths = paths("input.email", "output.index")
      const exit = yield* drive(Export.run([{ provider: provider(), workflow: "wf" }], Output.stdout(sink), { redact: redactPaths }))
      expect(Exit.isSuccess(exit)).toBe(true)
      const lines = Buffer.concat(chunks).toString().trimEnd().split("\n").map((l) => JSON.parse(l))
      expect(lines).toHaveLength(8)
      for (const l of lines) {
        expect(l.input).toEqual({ email: "[REDACTED]", keep: 1 })
        expect(l.output).toEqual({ index: "[REDACTED]" })
      }
      const dir = tempDir()
      const out = path.join(dir, "out.ndjson")
      yield* drive(Incremental.run([{ provider: provider(), workflow: "wf" }], { state: path.join(dir, "s.json"), out, redact: redactPaths }))
      const text = fs.readFileSync(out, "utf8")
      expect(text).not.toContain("@example.com")
      expect(text.trimEnd().split("\n")).toHaveLength(8)
    }).pipe(Effect.provide(FileSystemLive)))

  it("a number kept as its digits is a value: redacted where named, never looked into, kept where not named", () => {
    const output = Json.parse(`{"id":12345678901234567891,"card":{"n":1e400},"list":[-0,9007199254740993]}`)
    const r = record("r", 0, { output })
    expect(Ndjson.line(redact(r, "output.id"))).toContain(`"output":{"id":"[REDACTED]","card":{"n":1e400},"list":[-0,9007199254740993]}`)
    expect(redact(r, "output.id.text", "output.card.n.*", "output.list[1][0]")).toBe(r)
    expect(Ndjson.line(redact(r, "output.list[*]", "output.card.*"))).toContain(
      `"output":{"id":12345678901234567891,"card":{"n":"[REDACTED]"},"list":["[REDACTED]","[REDACTED]"]}`
    )
  })
})
