import { describe, expect, it } from "@effect/vitest"
import * as ErrorBody from "../src/ErrorBody.js"

const answer = (status: number, body: unknown) => ({
  status,
  headers: {},
  body: typeof body === "string" ? body : JSON.stringify(body)
})

describe("ErrorBody.fieldOf", () => {
  it.each([
    [["query", "limit"], "limit"],
    [["path", "run_id"], "run_id"],
    [["body", "filters", 0, "status"], "filters.0.status"],
    [["header", "x-workspace-id"], "x-workspace-id"],
    [["cookie", "session"], "session"],
    [["limit"], "limit"],
    [["items", 2], "items.2"]
  ] as const)("%j names %j", (loc, field) => {
    expect(ErrorBody.fieldOf(loc)).toBe(field)
  })

  it.each([[undefined], [[]], [["query"]], [["body"]]] as const)("%j names no field", (loc) => {
    expect(ErrorBody.fieldOf(loc)).toBeUndefined()
  })

  it("only a leading source word is dropped", () => {
    expect(ErrorBody.fieldOf(["filters", "query"])).toBe("filters.query")
  })
})

describe("ErrorBody.statusText", () => {
  it("is the reason phrase, or the status where there is none", () => {
    expect(ErrorBody.statusText(404)).toBe("Not Found")
    expect(ErrorBody.statusText(502)).toBe("Bad Gateway")
    expect(ErrorBody.statusText(599)).toBe("HTTP 599")
  })
})

describe("ErrorBody.first", () => {
  it("names the field, and how many more there are", () => {
    expect(ErrorBody.first("limit", "too big", 1)).toEqual({ detail: "limit: too big", field: "limit" })
    expect(ErrorBody.first("limit", "too big", 3)).toEqual({ detail: "limit: too big (and 2 more)", field: "limit" })
    expect(ErrorBody.first(undefined, "bad", 2)).toEqual({ detail: "bad (and 1 more)", field: undefined })
  })
})

describe("ErrorBody.fastApi", () => {
  it("reads a plain detail", () => {
    expect(ErrorBody.fastApi(answer(400, { detail: "limit must be positive" }))).toEqual({ detail: "limit must be positive" })
  })

  it("an empty detail is the status text", () => {
    expect(ErrorBody.fastApi(answer(404, { detail: "  " }))).toEqual({ detail: "Not Found" })
    expect(ErrorBody.fastApi(answer(422, { detail: [] }))).toEqual({ detail: "Unprocessable Entity" })
  })

  it("reads the first validation issue, its field and how many more", () => {
    const described = ErrorBody.fastApi(answer(422, {
      detail: [
        { loc: ["query", "limit"], msg: "Input should be less than or equal to 100", type: "less_than_equal" },
        { loc: ["query", "offset"], msg: "Input should be a valid integer", type: "int_parsing" }
      ]
    }))
    expect(described).toEqual({ detail: "limit: Input should be less than or equal to 100 (and 1 more)", field: "limit" })
  })

  it("an issue without a message says its type, or that the value is invalid", () => {
    expect(ErrorBody.fastApi(answer(422, { detail: [{ loc: ["body", "x"], type: "missing" }] }))).toEqual({
      detail: "x: missing",
      field: "x"
    })
    expect(ErrorBody.fastApi(answer(422, { detail: [{}] }))).toEqual({ detail: "invalid value", field: undefined })
  })

  it.each([
    ["HTML", "<html><body>nginx</body></html>"],
    ["empty", ""],
    ["JSON without detail", { error: { code: "x", message: "y" } }],
    ["a detail of another type", { detail: 42 }],
    ["cut short", "{\"detail\": \"x"]
  ])("is undefined for a body that is not FastAPI's: %s", (_, body) => {
    expect(ErrorBody.fastApi(answer(500, body))).toBeUndefined()
  })
})

describe("ErrorBody.describe", () => {
  it("a FastAPI body, else the status text", () => {
    expect(ErrorBody.describe(answer(401, { detail: "Invalid API key" }))).toEqual({ detail: "Invalid API key" })
    expect(ErrorBody.describe(answer(503, "<html>down</html>"))).toEqual({ detail: "Service Unavailable" })
    expect(ErrorBody.describe(answer(499, ""))).toEqual({ detail: "HTTP 499" })
  })
})
