import { describe, expect, it } from "@effect/vitest"
import { FastCheck as fc, Schema } from "effect"
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

/**
 * The implementation before the character-by-character fast paths, verbatim: every answer of
 * the current one must equal its answer, for every input.
 */
const reference = (() => {
  const utc = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/
  const iso =
    /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?)?\s*([Zz]|[+-]\d{2}(?::?\d{2})?)?$/
  const isLeap = (year: number) => (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
  const monthLength = (year: number, month: number) =>
    month === 2 ? (isLeap(year) ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31
  const normalize = (value: string | null | undefined): string | null => {
    if (value === null || value === undefined) return null
    const text = value.trim()
    const m = iso.exec(text)
    if (m === null) return null
    const [year, month, day, hour, minute, second] = [1, 2, 3, 4, 5, 6].map((i) => Number(m[i] ?? 0)) as [
      number,
      number,
      number,
      number,
      number,
      number
    ]
    const digits = m[7] ?? ""
    const zone = m[8] ?? "Z"
    if (month < 1 || month > 12 || day < 1 || day > monthLength(year, month)) return null
    if (hour > 23 || minute > 59 || second > 59) return null
    let offsetMinutes = 0
    if (zone !== "Z" && zone !== "z") {
      const hm = zone.slice(1).replace(":", "")
      const oh = Number(hm.slice(0, 2))
      const om = hm.length > 2 ? Number(hm.slice(2)) : 0
      if (oh > 23 || om > 59) return null
      offsetMinutes = (zone[0] === "-" ? -1 : 1) * (oh * 60 + om)
    }
    if (utc.test(text)) return text
    const date = new Date(0)
    date.setUTCFullYear(year, month - 1, day)
    date.setUTCHours(hour, minute - offsetMinutes, second, Number(digits.slice(0, 3).padEnd(3, "0")))
    const out = date.getUTCFullYear()
    if (Number.isNaN(date.getTime()) || out < 0 || out > 9999) return null
    const converted = date.toISOString()
    return digits.length > 3 ? `${converted.slice(0, 19)}.${digits}Z` : converted
  }
  const toMillis = (iso: string): number => {
    const base = Date.parse(iso)
    const frac = /\.(\d+)/.exec(iso)
    if (frac === null || frac[1]!.length <= 3) return base
    return base + Number(`0.${frac[1]!.slice(3)}`)
  }
  const durationMillis = (start: string | null, end: string | null): number | null => {
    if (start === null || end === null) return null
    const ms = toMillis(end) - toMillis(start)
    return Number.isFinite(ms) && ms >= 0 ? Math.round(ms) : null
  }
  return { normalize, toMillis, durationMillis }
})()

const sameAsReference = (value: string) => {
  expect(Timestamp.normalize(value)).toBe(reference.normalize(value))
  expect(Timestamp.toMillis(value)).toBe(reference.toMillis(value)) // Object.is: NaN too
}

describe("Timestamp fast paths", () => {
  it.each([
    ["2024-02-29T00:00:00Z", "2024-02-29T00:00:00Z"],
    ["2000-02-29T12:00:00Z", "2000-02-29T12:00:00Z"],
    ["0000-02-29T00:00:00Z", "0000-02-29T00:00:00Z"],
    ["2023-02-29T00:00:00Z", null],
    ["1900-02-29T12:00:00Z", null],
    ["2100-02-28T23:59:59Z", "2100-02-28T23:59:59Z"],
    ["0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z"],
    ["9999-12-31T23:59:59.999Z", "9999-12-31T23:59:59.999Z"],
    ["2024-04-30T00:00:00Z", "2024-04-30T00:00:00Z"],
    ["2024-04-31T00:00:00Z", null],
    ["2024-05-01T24:00:00Z", null],
    ["2024-05-01T23:60:00Z", null],
    ["2024-05-01T23:59:60Z", null],
    ["2024-13-01T00:00:00Z", null],
    ["2024-00-10T00:00:00Z", null],
    ["2024-05-00T00:00:00Z", null],
    ["2024-05-01T10:00:00.Z", null],
    ["2024-05-01T10:00:00Z ", "2024-05-01T10:00:00Z"],
    ["2024-05-01T10:00:00Z\n", "2024-05-01T10:00:00Z"],
    ["  2024-05-01T10:00:00.5Z", "2024-05-01T10:00:00.5Z"],
    ["2024-05-01t10:00:00Z", "2024-05-01T10:00:00.000Z"],
    ["2024-05-01T10:00:00z", "2024-05-01T10:00:00.000Z"],
    ["2024-05-01 10:00:00Z", "2024-05-01T10:00:00.000Z"],
    ["2024-05-01T10:00:00,5Z", "2024-05-01T10:00:00.500Z"],
    ["2024-05-01T10:00:00.12345Z", "2024-05-01T10:00:00.12345Z"],
    ["2024-05-01T10:00:00.123456789012Z", "2024-05-01T10:00:00.123456789012Z"],
    ["2024-05-01T10:00:00.5+01:00", "2024-05-01T09:00:00.500Z"],
    ["2024-05-01T10:00Z", "2024-05-01T10:00:00.000Z"],
    ["2024-5-01T10:00:00Z", null],
    ["+02024-05-01T10:00:00Z", null],
    ["\uff12024-05-01T10:00:00Z", null],
    ["2024-05-01T10:00:00ZZ", null]
  ])("normalize(%j) is %j, as before", (value, expected) => {
    expect(Timestamp.normalize(value)).toBe(expected)
    sameAsReference(value)
  })

  it("toMillis reads a fraction as Date.parse does, up to nine digits and beyond", () => {
    for (let digits = 1; digits <= 14; digits++) {
      const fraction = "0102030405060708".slice(0, digits)
      sameAsReference(`2024-05-01T10:00:00.${fraction}Z`)
      sameAsReference(`0000-03-01T00:00:00.${fraction}Z`)
    }
  })

  const pad = (n: number, width: number) => String(n).padStart(width, "0")
  const digits = (min: number, max: number) =>
    fc.array(fc.integer({ min: 0, max: 9 }), { minLength: min, maxLength: max }).map((ds) => ds.join(""))
  const fields = fc.tuple(
    fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.constantFrom(0, 4, 100, 1600, 1900, 2000, 2023, 2024, 2100, 9999)),
    fc.integer({ min: 0, max: 13 }),
    fc.oneof(fc.integer({ min: 0, max: 32 }), fc.integer({ min: 28, max: 31 })),
    fc.integer({ min: 0, max: 25 }),
    fc.integer({ min: 0, max: 61 }),
    fc.integer({ min: 0, max: 61 })
  ).map(([year, month, day, hour, minute, second]) =>
    [`${pad(year, 4)}-${pad(month, 2)}-${pad(day, 2)}`, `${pad(hour, 2)}:${pad(minute, 2)}:${pad(second, 2)}`] as const
  )
  // The canonical form, every field in and just out of its range (the fast path's own cases).
  const utcShaped = fc.tuple(fields, fc.oneof(fc.constant(""), digits(1, 14).map((d) => `.${d}`))).map(
    ([[date, time], fraction]) => `${date}T${time}${fraction}Z`
  )
  // Close to it: other separators, fractions, zones and surrounding whitespace.
  const nearUtc = fc.tuple(
    fields,
    fc.oneof(fc.constant(""), fc.constant("."), digits(1, 14).map((d) => `.${d}`), digits(1, 4).map((d) => `,${d}`)),
    fc.constantFrom("T", "t", " "),
    fc.constantFrom("Z", "z", "", "+02:00", "-0130", "+25:00", " Z"),
    fc.constantFrom("", " ", "\n", "\u00a0")
  ).map(([[date, time], fraction, t, zone, around]) => `${around}${date}${t}${time}${fraction}${zone}${around}`)
  // ... and either with one character replaced, removed or inserted.
  const mutated = fc.tuple(
    fc.oneof(utcShaped, nearUtc),
    fc.nat(),
    fc.constantFrom(..."0123456789-:TtZz.,+ x"),
    fc.integer({ min: 0, max: 2 })
  ).map(([text, at, c, op]) => {
    const i = at % (text.length + 1)
    if (op === 0) return text.slice(0, i) + c + text.slice(i + 1)
    return op === 1 ? text.slice(0, i) + text.slice(i + 1) : text.slice(0, i) + c + text.slice(i)
  })
  const anyText = fc.string({ unit: fc.constantFrom(..."0123456789-:TtZz.,+ "), maxLength: 36 })
  const values = fc.oneof(utcShaped, nearUtc, mutated, anyText)

  it("normalize and toMillis answer as the reference on generated values", () => {
    fc.assert(fc.property(values, sameAsReference), { numRuns: 20_000 })
  })

  it("durationMillis answers as the reference on generated pairs", () => {
    const stamps = fc.oneof(utcShaped, nearUtc.map((text) => reference.normalize(text) ?? text))
    fc.assert(
      fc.property(stamps, stamps, (start, end) => {
        expect(Timestamp.durationMillis(start, end)).toBe(reference.durationMillis(start, end))
      }),
      { numRuns: 20_000 }
    )
  })
})

describe("Timestamp.parseInstant", () => {
  it.each([
    ["2026-01-31", "2026-01-31T00:00:00.000Z"],
    ["2024-02-29", "2024-02-29T00:00:00.000Z"],
    ["2026-01-31T12:00:00Z", "2026-01-31T12:00:00.000Z"],
    ["2026-01-31T12:00:00.123Z", "2026-01-31T12:00:00.123Z"],
    ["2026-01-31T12:00:00.123456Z", "2026-01-31T12:00:00.123Z"],
    ["2026-01-31T12:00", "2026-01-31T12:00:00.000Z"],
    ["2026-01-31 12:00:30", "2026-01-31T12:00:30.000Z"],
    ["2026-01-31 12:00+02:00", "2026-01-31T10:00:00.000Z"],
    ["2026-01-31T12:00:00-05:30", "2026-01-31T17:30:00.000Z"],
    ["2026-01-31T12:00:00+0100", "2026-01-31T11:00:00.000Z"],
    ["2026-01-01T00:30:00+01:00", "2025-12-31T23:30:00.000Z"],
    ["2026-01-31t12:00:00z", "2026-01-31T12:00:00.000Z"],
    ["  2026-01-31  ", "2026-01-31T00:00:00.000Z"]
  ])("reads %j as %s", (text, iso) => {
    expect(Timestamp.parseInstant(text)?.toISOString()).toBe(iso)
  })

  it.each([
    "",
    "   ",
    "soon 1",
    "foo 1",
    "Tuesday 5",
    "hello 2020",
    "yesterday",
    "12",
    "1714557600000",
    "2026",
    "2026-01",
    "01/31/2026",
    "Jan 31 2026",
    "Sat, 31 Jan 2026 12:00:00 GMT",
    "2026-02-30",
    "2023-02-29",
    "2026-13-01",
    "2026-00-10",
    "2026-01-32",
    "2026-01-31T24:00:00Z",
    "2026-01-31T12:60:00Z",
    "2026-01-31T12:00:61Z",
    "2026-01-31T12:00:00+24:00",
    "2026-01-31T12:00:00+02:60",
    "2026-01-31T12:00:00 UTC",
    "2026-01-31T12:00:00Zjunk"
  ])("refuses %j", (text) => {
    expect(Timestamp.parseInstant(text)).toBeUndefined()
  })

  it("refuses what Date.parse would guess", () => {
    for (const text of ["soon 1", "foo 1", "hello 2020", "Jan 31 2026", "12"]) {
      expect(Number.isNaN(Date.parse(text))).toBe(false)
      expect(Timestamp.parseInstant(text)).toBeUndefined()
    }
  })
})
