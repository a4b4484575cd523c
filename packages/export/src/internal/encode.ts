/**
 * A run's records as bytes, made by the fiber that fetched them: what waits for its turn to
 * be written is the encoded bytes (counted exactly against the byte budget), not the record
 * objects, which are released as soon as they are encoded.
 */
import type { StepRecord } from "@steptrail/core"
import * as Ndjson from "../Ndjson.js"
import * as Singer from "../Singer.js"
import type * as Summary from "../Summary.js"

/**
 * `ndjson`: one record per line; `singer`: Singer messages (see `Singer`).
 */
export type Format = "ndjson" | "singer"

/** A run's lines in chunks of about `CHUNK` characters, so no run needs one huge string. */
export interface Encoded {
  readonly chunks: ReadonlyArray<Uint8Array>
  readonly bytes: number
  readonly counts: Summary.Counts
}

const CHUNK = 1 << 20

const lineOf = (format: Format, extractedAt: string) =>
  format === "singer"
    ? (record: StepRecord.StepRecord) => Singer.recordLine(record, extractedAt)
    : Ndjson.line

/**
 * Encodes records as they come (a page at a time) and counts them by status: only the bytes
 * are kept, each page's records can be released once added.
 */
export const encoder = (format: Format, extractedAt: string) => {
  const line = lineOf(format, extractedAt)
  const chunks: Array<Uint8Array> = []
  const byStatus: Partial<Record<StepRecord.Status, number>> = {}
  let bytes = 0
  let steps = 0
  let text = ""
  const cut = () => {
    const chunk = Buffer.from(text, "utf8")
    chunks.push(chunk)
    bytes += chunk.length
    text = ""
  }
  return {
    add(records: Iterable<StepRecord.StepRecord>): void {
      for (const record of records) {
        steps++
        byStatus[record.status] = (byStatus[record.status] ?? 0) + 1
        text += line(record)
        if (text.length >= CHUNK) cut()
      }
    },
    done(): Encoded {
      if (text !== "") cut()
      return { chunks, bytes, counts: { steps, byStatus } }
    }
  }
}

/** Encodes `records` and counts them by status. */
export const encode = (
  format: Format,
  records: ReadonlyArray<StepRecord.StepRecord>,
  extractedAt: string
): Encoded => {
  const e = encoder(format, extractedAt)
  e.add(records)
  return e.done()
}

/** The first line of an output in this format (`""` where there is none). */
export const header = (format: Format): string => (format === "singer" ? Singer.schemaLine() : "")

/** A bookmark line carrying `value` (`""` where the format has none). */
export const bookmark = (format: Format, value: unknown): string => (format === "singer" ? Singer.stateLine(value) : "")
