import { describe, expect, it } from "@effect/vitest"
import * as StatusTable from "../src/StatusTable.js"

const table = StatusTable.make({ completed: "complete", In_Progress: "running", failed: "errored" })

describe("StatusTable.make", () => {
  it.each([
    ["completed", "complete"],
    ["COMPLETED", "complete"],
    ["Completed", "complete"],
    ["  completed\n", "complete"],
    ["in_progress", "running"],
    ["IN_PROGRESS", "running"],
    ["Failed", "errored"]
  ])("finds %j case-insensitively", (word, status) => {
    expect(table(word)).toBe(status)
  })

  it.each(["", " ", "complete", "completed!", "in progress", "unknown-word"])("does not know %j", (word) => {
    expect(table(word)).toBeUndefined()
  })

  it("null and undefined are not words", () => {
    expect(table(null)).toBeUndefined()
    expect(table(undefined)).toBeUndefined()
  })

  it.each(["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf", "isPrototypeOf", "__defineGetter__"])(
    "a word naming an Object.prototype member (%s) finds nothing",
    (word) => {
      expect(table(word)).toBeUndefined()
      expect(table(word.toUpperCase())).toBeUndefined()
    }
  )

  it("an own key that names a prototype member is found like any other", () => {
    const own = StatusTable.make({ constructor: "built", toString: "text" })
    expect(own("Constructor")).toBe("built")
    expect(own("TOSTRING")).toBe("text")
    expect(own("valueOf")).toBeUndefined()
  })

  it("a table is a snapshot: later changes to the object do not leak in", () => {
    const source: Record<string, string> = { a: "x" }
    const lookup = StatusTable.make(source)
    source["b"] = "y"
    expect(lookup("b")).toBeUndefined()
    expect(lookup("a")).toBe("x")
  })
})
