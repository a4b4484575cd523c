import { describe, expect, it } from "@effect/vitest"
import { Either, Schema } from "effect"
import * as StepRecord from "../src/StepRecord.js"

const valid: StepRecord.StepRecord = {
  schema_version: 2,
  provider: "cloudflare",
  account: "acc-1",
  workflow: "my-workflow",
  run_id: "run-1",
  step_index: 0,
  step_id: null,
  name: "fetch user-1",
  kind: "step",
  node_type: null,
  display_name: null,
  iteration: null,
  status: "complete",
  provider_status: "complete",
  started_at: "2024-05-01T10:00:00.123456Z",
  ended_at: "2024-05-01T10:00:01Z",
  duration_ms: 877,
  attempts: [
    {
      started_at: "2024-05-01T10:00:00.123Z",
      ended_at: "2024-05-01T10:00:01Z",
      duration_ms: 877,
      success: true,
      error: null
    }
  ],
  retry_config: { limit: 5, delay: "10 seconds", backoff: "exponential", timeout: 60000 },
  input: null,
  output: { ok: true, items: [1, 2] },
  output_encoding: "json",
  output_truncated: false,
  output_redacted: false,
  usage: null,
  error: null,
  trigger: null,
  run_status: "complete",
  workflow_id: null
}

/** The fields the contract says every record has. */
const contractFields = [
  "schema_version",
  "provider",
  "account",
  "workflow",
  "run_id",
  "step_index",
  "name",
  "kind",
  "status",
  "provider_status",
  "started_at",
  "ended_at",
  "duration_ms",
  "output",
  "error"
] as const

const decode = Schema.decodeUnknownEither(StepRecord.StepRecord)
const accepts = (input: unknown) => Either.isRight(decode(input))
const withField = (key: string, value: unknown) => ({ ...valid, [key]: value })
const without = (key: string) => {
  const copy: Record<string, unknown> = { ...valid }
  delete copy[key]
  return copy
}

describe("StepRecord", () => {
  it("decodes a valid record unchanged", () => {
    const decoded = decode(valid)
    expect(Either.isRight(decoded)).toBe(true)
    expect(Either.getOrThrow(decoded)).toEqual(valid)
  })

  it("decodes a termination entry with a null name and every nullable field null", () => {
    expect(
      accepts({
        ...valid,
        name: null,
        kind: "termination",
        status: "cancelled",
        account: null,
        provider_status: null,
        started_at: null,
        ended_at: null,
        duration_ms: null,
        attempts: null,
        retry_config: null,
        output: null,
        error: { name: "Error", message: "terminated" },
        trigger: "api"
      })
    ).toBe(true)
  })

  it("has every contract field", () => {
    const fields = Object.keys(StepRecord.StepRecord.fields)
    for (const field of contractFields) expect(fields).toContain(field)
  })

  it.each(Object.keys(valid))("requires %s", (field) => {
    expect(accepts(without(field))).toBe(false)
  })

  it("keys are snake_case", () => {
    for (const field of Object.keys(StepRecord.StepRecord.fields)) expect(field).toMatch(/^[a-z]+(_[a-z]+)*$/)
  })

  it("rejects a camelCase key in place of the snake_case one", () => {
    const { run_id, ...rest } = valid
    expect(accepts({ ...rest, runId: run_id })).toBe(false)
    const { step_index, ...rest2 } = valid
    expect(accepts({ ...rest2, stepIndex: step_index })).toBe(false)
  })

  it("does not let an extra camelCase key into the encoded record", () => {
    const encoded = Schema.encodeSync(StepRecord.StepRecord)({ ...valid, runId: "x" } as StepRecord.StepRecord)
    expect(Object.keys(encoded)).not.toContain("runId")
  })

  it.each([
    ["with an offset", "2024-05-01T12:00:00+02:00"],
    ["without a zone", "2024-05-01T10:00:00"],
    ["date only", "2024-05-01"],
    ["as epoch millis", 1714557600000],
    ["with a space separator", "2024-05-01 10:00:00Z"]
  ])("rejects a non-UTC timestamp (%s)", (_, value) => {
    expect(accepts(withField("started_at", value))).toBe(false)
    expect(accepts(withField("ended_at", value))).toBe(false)
  })

  it("rejects a bad step_index", () => {
    expect(accepts(withField("step_index", -1))).toBe(false)
    expect(accepts(withField("step_index", 1.5))).toBe(false)
    expect(accepts(withField("step_index", "0"))).toBe(false)
  })

  it("rejects a bad duration", () => {
    expect(accepts(withField("duration_ms", -5))).toBe(false)
    expect(accepts(withField("duration_ms", 1.25))).toBe(false)
  })

  it("rejects unknown kinds, statuses and providers", () => {
    expect(accepts(withField("kind", "task"))).toBe(false)
    expect(accepts(withField("status", "succeeded"))).toBe(false)
    expect(accepts(withField("status", "COMPLETE"))).toBe(false)
    expect(accepts(withField("run_status", "done"))).toBe(false)
    expect(accepts(withField("provider", "GitHub"))).toBe(false)
    expect(accepts(withField("provider", ""))).toBe(false)
    expect(accepts(withField("provider", "github"))).toBe(true) // any registered provider's name
  })

  it("rejects another schema_version and a malformed error", () => {
    expect(accepts(withField("schema_version", 1))).toBe(false)
    expect(accepts(withField("schema_version", "2"))).toBe(false)
    expect(accepts(withField("error", "boom"))).toBe(false)
    expect(accepts(withField("error", { name: "Error" }))).toBe(false)
  })

  it("accepts every documented kind and status", () => {
    for (const kind of StepRecord.Kind.literals) expect(accepts(withField("kind", kind))).toBe(true)
    for (const status of ["running", "waiting", "retrying", "complete", "errored", "unknown"]) {
      expect(accepts(withField("status", status))).toBe(true)
    }
  })

  describe("jsonSchema", () => {
    const root = StepRecord.jsonSchema() as Record<string, any>
    const resolve = (node: Record<string, any>): Record<string, any> =>
      typeof node.$ref === "string" ? root.$defs[node.$ref.replace("#/$defs/", "")] : node
    const record = resolve(root)
    const fields = Object.keys(StepRecord.StepRecord.fields)

    it("is an object schema of exactly the Schema's fields", () => {
      expect(record.type).toBe("object")
      expect(Object.keys(record.properties).sort()).toEqual([...fields].sort())
      expect(record.additionalProperties).toBe(false)
    })

    it("requires every field", () => {
      expect([...record.required].sort()).toEqual([...fields].sort())
      for (const field of contractFields) expect(record.required).toContain(field)
    })

    it("carries the constraints of the Schema", () => {
      const stepIndex = record.properties.step_index
      expect(resolve(stepIndex).type).toBe("integer")
      expect(stepIndex.minimum).toBe(0)
      expect(JSON.stringify(record.properties.kind)).toContain("wait_for_event")
      expect(JSON.stringify(record.properties.started_at)).toContain("pattern")
      expect(JSON.stringify(record.properties.schema_version)).toContain("2")
    })

    it("is plain JSON", () => {
      expect(JSON.parse(JSON.stringify(root))).toEqual(root)
    })
  })

  describe("key", () => {
    it("is equal for records that differ only outside the key", () => {
      expect(StepRecord.key({ ...valid, status: "errored", output: 1 })).toBe(StepRecord.key(valid))
    })

    it.each([
      ["provider", "orchestra"],
      ["account", null],
      ["workflow", "other"],
      ["run_id", "run-2"],
      ["step_index", 1]
    ])("distinguishes records by %s", (field, value) => {
      expect(StepRecord.key({ ...valid, [field]: value })).not.toBe(StepRecord.key(valid))
    })

    it("cannot be confused by separators inside the values", () => {
      const a = { ...valid, workflow: "a|b", run_id: "c" }
      const b = { ...valid, workflow: "a", run_id: "b|c" }
      expect(StepRecord.key(a)).not.toBe(StepRecord.key(b))
      expect(StepRecord.key({ ...valid, account: "null" })).not.toBe(StepRecord.key({ ...valid, account: null }))
    })
  })

  describe("make", () => {
    it("puts the keys in the Schema's order and missing values as null, changing no value", () => {
      const shuffled = Object.fromEntries(Object.entries(valid).reverse()) as unknown as StepRecord.StepRecord
      const { output: _o, error: _e, ...partial } = valid
      const made = StepRecord.make(shuffled)
      expect(Object.keys(made)).toEqual(Object.keys(StepRecord.StepRecord.fields))
      expect(made).toEqual(valid)
      const filled = StepRecord.make(partial as StepRecord.StepRecord)
      expect(filled.output).toBeNull()
      expect(filled.error).toBeNull()
      expect(Object.keys(filled)).toHaveLength(Object.keys(StepRecord.StepRecord.fields).length)
    })

    it("fills what a provider leaves out with the documented defaults: a valid record", () => {
      const made = StepRecord.make({
        provider: "acme",
        workflow: "wf",
        run_id: "r-1",
        step_index: 2,
        kind: "sleep",
        status: "complete",
        run_status: "running"
      })
      expect(Object.keys(made)).toEqual(Object.keys(StepRecord.StepRecord.fields))
      expect(made).toMatchObject({
        schema_version: StepRecord.SCHEMA_VERSION,
        account: null,
        output: null,
        output_encoding: "json",
        output_truncated: false,
        output_redacted: false,
        attempts: null,
        trigger: null
      })
      expect(Schema.decodeUnknownEither(StepRecord.StepRecord)(made)._tag).toBe("Right")
    })
  })

  describe("of", () => {
    const run = { provider: "acme", account: "ns", workflow: "wf", id: "r-1", status: "errored" as const }

    it("has a builder for every kind, stating the run, the place and the kind", () => {
      const records = StepRecord.of(run)
      for (const kind of StepRecord.Kind.literals) {
        const record = records[kind](4, { status: "complete" })
        expect(record).toMatchObject({ provider: "acme", account: "ns", workflow: "wf", run_id: "r-1", step_index: 4, kind })
        expect(record.run_status).toBe("errored")
        expect(Schema.decodeUnknownEither(StepRecord.StepRecord)(record)._tag).toBe("Right")
      }
    })

    it("derives the duration from the timestamps unless one is given", () => {
      const timed = { status: "complete" as const, started_at: "2024-05-01T10:00:00.000600Z", ended_at: "2024-05-01T10:00:01Z" }
      expect(StepRecord.of(run).step(0, timed).duration_ms).toBe(999)
      expect(StepRecord.of(run).step(0, { ...timed, duration_ms: null }).duration_ms).toBeNull()
      expect(StepRecord.of(run).step(0, { ...timed, duration_ms: 5 }).duration_ms).toBe(5)
      expect(StepRecord.of(run).step(0, { status: "running", started_at: timed.started_at }).duration_ms).toBeNull()
    })
  })
})

describe("StepRecord.errorOf", () => {
  it.each([null, undefined, ""])("%j is no error", (value) => {
    expect(StepRecord.errorOf(value)).toBeNull()
  })

  it("a string is the message of an Error", () => {
    expect(StepRecord.errorOf("KeyError: 'customer_email'")).toEqual({ name: "Error", message: "KeyError: 'customer_email'" })
    expect(StepRecord.errorOf(" ")).toEqual({ name: "Error", message: " " })
  })

  it("an object with a string message keeps its name", () => {
    expect(StepRecord.errorOf({ name: "TimeoutError", message: "too slow", stack: "..." })).toEqual({
      name: "TimeoutError",
      message: "too slow"
    })
    expect(StepRecord.errorOf({ message: "boom" })).toEqual({ name: "Error", message: "boom" })
    expect(StepRecord.errorOf({ name: 7, message: "boom" })).toEqual({ name: "Error", message: "boom" })
  })

  it("anything else stays readable as JSON", () => {
    expect(StepRecord.errorOf({ code: 7 })).toEqual({ name: "Error", message: "{\"code\":7}" })
    expect(StepRecord.errorOf({ message: 42 })).toEqual({ name: "Error", message: "{\"message\":42}" })
    expect(StepRecord.errorOf([{ message: "in an array" }])).toEqual({ name: "Error", message: "[{\"message\":\"in an array\"}]" })
    expect(StepRecord.errorOf(404)).toEqual({ name: "Error", message: "404" })
    expect(StepRecord.errorOf(false)).toEqual({ name: "Error", message: "false" })
  })

  it("always fits the record's error field", () => {
    const isError = Schema.is(StepRecord.StepError)
    for (const value of ["x", { message: "m" }, { name: "N", message: "m" }, { code: 1 }, [1], 0, true]) {
      expect(isError(StepRecord.errorOf(value))).toBe(true)
    }
  })
})

describe("StepRecord.isTerminal and isSettled", () => {
  const final = ["complete", "errored", "cancelled"]

  it.each(StepRecord.RunStatus.literals)("run status %s is terminal only when final", (status) => {
    expect(StepRecord.isTerminal(status)).toBe(final.includes(status))
  })

  it.each(StepRecord.Status.literals)("step status %s is settled only when final", (status) => {
    expect(StepRecord.isSettled(status)).toBe(final.includes(status))
  })

  it("a retrying step, a paused or waiting run are not final", () => {
    expect(StepRecord.isSettled("retrying")).toBe(false)
    expect(StepRecord.isTerminal("paused")).toBe(false)
    expect(StepRecord.isTerminal("waiting")).toBe(false)
    expect(StepRecord.isTerminal("unknown")).toBe(false)
  })
})
