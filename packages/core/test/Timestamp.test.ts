import { describe, expect, it } from "@effect/vitest"
import { Schema } from "effect"
import * as StepRecord from "../src/StepRecord.js"
import * as Timestamp from "../src/Timestamp.js"

const isRecordTimestamp = Schema.is(StepRecord.Timestamp)

describe("Timestamp.normalize", () => {
  it.each([
    "2024-05-01T10:00:00Z",
    "2024-05-01T10:00:00.5Z",
    "2024-05-01T10:00:00.123Z",
    "2024-05-01T10:00:00.123456Z",
    "2024-05-01T10:00:00.123456789Z"
  ])("keeps the UTC value %s as given", (value) => {
    expect(Timestamp.normalize(value)).toBe(value)
  })

  it.each([
    ["2024-05-01T12:00:00+02:00", "2024-05-01T10:00:00.000Z"],
    ["2024-05-01T05:30:00-04:30", "2024-05-01T10:00:00.000Z"],
    ["2024-05-01T12:00:00+0200", "2024-05-01T10:00:00.000Z"],
    ["2024-05-01T12:00:00+02", "2024-05-01T10:00:00.000Z"],
    ["2024-05-01T10:00:00+00:00", "2024-05-01T10:00:00.000Z"],
    ["2024-05-01T01:00:00.250+03:00", "2024-04-30T22:00:00.250Z"],
    ["2024-01-01T01:00:00-02:00", "2024-01-01T03:00:00.000Z"],
    ["2023-12-31T23:30:00-01:00", "2024-01-01T00:30:00.000Z"]
  ])("converts the offset of %s", (value, expected) => {
    expect(Timestamp.normalize(value)).toBe(expected)
  })

  it("keeps digits beyond milliseconds when converting an offset", () => {
    expect(Timestamp.normalize("2024-05-01T10:00:00.123456+00:00")).toBe("2024-05-01T10:00:00.123456Z")
    expect(Timestamp.normalize("2024-05-01T12:00:00.000001+02:00")).toBe("2024-05-01T10:00:00.000001Z")
  })

  it.each([
    ["2024-05-01T10:00:00", "2024-05-01T10:00:00.000Z"],
    ["2024-05-01 10:00:00", "2024-05-01T10:00:00.000Z"],
    ["2024-05-01T10:00", "2024-05-01T10:00:00.000Z"],
    ["2024-05-01T10:00:00.5", "2024-05-01T10:00:00.500Z"],
    ["2024-05-01T10:00:00.123456", "2024-05-01T10:00:00.123456Z"],
    ["2024-05-01 10:00:00.654321", "2024-05-01T10:00:00.654321Z"]
  ])("takes the zone-less %s as UTC", (value, expected) => {
    expect(Timestamp.normalize(value)).toBe(expected)
  })

  it.each([null, undefined, "", "   ", "yesterday", "12", "1", "foo 1", "Tuesday 5", "hello 2020", "2024-13-01T00:00:00Z", "2024-02-30T10:00:00Z", "2023-02-29T10:00:00", "2024-05-01T25:00:00Z", "2024-05-01T10:61:00Z", "1714557600000", "2024-05-01T10:00:00+25:00"])(
    "gives null for %j",
    (value) => {
      expect(Timestamp.normalize(value)).toBeNull()
    }
  )

  it("accepts a leap day", () => {
    expect(Timestamp.normalize("2024-02-29T10:00:00")).toBe("2024-02-29T10:00:00.000Z")
  })

  it("always yields what the record Schema accepts", () => {
    for (
      const value of [
        "2024-05-01T10:00:00Z",
        "2024-05-01T12:00:00+02:00",
        "2024-05-01 10:00:00",
        "2024-05-01T10:00:00.123456+00:00",
        "2024-05-01"
      ]
    ) {
      const normalized = Timestamp.normalize(value)
      expect(normalized).not.toBeNull()
      expect(isRecordTimestamp(normalized)).toBe(true)
    }
  })
})

describe("Timestamp.durationMillis", () => {
  it("counts whole milliseconds", () => {
    expect(Timestamp.durationMillis("2024-05-01T10:00:00Z", "2024-05-01T10:00:01.5Z")).toBe(1500)
    expect(Timestamp.durationMillis("2024-05-01T10:00:00Z", "2024-05-01T10:00:00Z")).toBe(0)
    expect(Timestamp.durationMillis("2024-05-01T23:59:59Z", "2024-05-02T00:00:01Z")).toBe(2000)
  })

  it("uses the digits beyond milliseconds before rounding", () => {
    // truncated to whole milliseconds first, both sides would be equal
    expect(Timestamp.durationMillis("2024-05-01T10:00:00.000100Z", "2024-05-01T10:00:00.000900Z")).toBe(1)
    expect(Timestamp.durationMillis("2024-05-01T10:00:00.123400Z", "2024-05-01T10:00:00.124000Z")).toBe(1)
    expect(Timestamp.durationMillis("2024-05-01T10:00:00.123999Z", "2024-05-01T10:00:00.124001Z")).toBe(0)
    expect(Timestamp.durationMillis("2024-05-01T10:00:00.100000Z", "2024-05-01T10:00:02.350600Z")).toBe(2251)
  })

  it("is null for a missing end or start", () => {
    expect(Timestamp.durationMillis(null, "2024-05-01T10:00:00Z")).toBeNull()
    expect(Timestamp.durationMillis("2024-05-01T10:00:00Z", null)).toBeNull()
    expect(Timestamp.durationMillis(null, null)).toBeNull()
  })

  it("is null when the end precedes the start", () => {
    expect(Timestamp.durationMillis("2024-05-01T10:00:01Z", "2024-05-01T10:00:00Z")).toBeNull()
    expect(Timestamp.durationMillis("2024-05-01T10:00:00.000500Z", "2024-05-01T10:00:00.000100Z")).toBeNull()
  })

  it("is null for junk", () => {
    expect(Timestamp.durationMillis("nope", "2024-05-01T10:00:00Z")).toBeNull()
  })
})

describe("Timestamp.toMillis", () => {
  it("keeps fractional milliseconds", () => {
    const base = Date.parse("2024-05-01T10:00:00.123Z")
    expect(Timestamp.toMillis("2024-05-01T10:00:00.123456Z")).toBeCloseTo(base + 0.456, 6)
    expect(Timestamp.toMillis("2024-05-01T10:00:00.123Z")).toBe(base)
    expect(Timestamp.toMillis("2024-05-01T10:00:00Z")).toBe(base - 123)
  })
})
