/**
 * A run's records as bytes, made by the fiber that fetched them: what waits for its turn to
 * be written is the encoded bytes (counted exactly against the byte budget), not the record
 * objects, which are released as soon as they are encoded.
 */
import { ProviderError, type StepRecord } from "@steptrail/core"
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
  /**
   * A record whose value could not be written (see `encode`): the run is written with it left
   * out, then the export fails with this.
   */
  readonly unwritable?: ProviderError.DecodeFailure | undefined
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
  let unwritable: ProviderError.DecodeFailure | undefined
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
        let written: string
        try {
          written = line(record)
        } catch (e) {
          // Any depth and any number is written (`Json`); what is left is a line longer than a
          // string can be (far past the body size limit) or a value that is not JSON at all.
          written = line({ ...record, input: null, output: null, output_truncated: true, error: null })
          unwritable ??= new ProviderError.DecodeFailure({
            provider: record.provider,
            workflow: record.workflow,
            run: record.run_id,
            path: `step ${record.step_index}`,
            detail: `its input, output or error cannot be written (${String((e as Error)?.message ?? e).slice(0, 80)}); ` +
              "the run was written with them as null and output_truncated true"
          })
        }
        text += written
        if (text.length >= CHUNK) cut()
      }
    },
    done(): Encoded {
      if (text !== "") cut()
      return { chunks, bytes, counts: { steps, byStatus }, unwritable }
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
