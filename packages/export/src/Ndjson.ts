/**
 * Records to NDJSON: one JSON object per line, UTF-8, `\n` after every line.
 *
 * @since 0.1.0
 */
import { Json, StepRecord } from "@steptrail/core"

/**
 * One record as one line. Keys come out in the Schema's order whatever order the object was
 * built in, and a missing value is written as null rather than dropped. `Json.stringify`
 * escapes every control character, so a line never holds a raw newline, and writes every
 * number with the digits the provider sent, at any depth (see `Json`).
 *
 * @since 0.1.0
 * @category encoding
 */
export const line = (record: StepRecord.StepRecord): string => json(StepRecord.make(record)) + "\n"

/**
 * A value of a record (or a whole record) as JSON text, the way a line holds it: a database
 * output writes its JSON columns with it.
 *
 * @since 0.3.0
 * @category encoding
 */
export const json = (value: unknown): string => Json.stringify(value)

/**
 * Several records as one UTF-8 buffer: a run is written with a single write.
 *
 * @since 0.1.0
 * @category encoding
 */
export const encode = (records: Iterable<StepRecord.StepRecord>): Uint8Array => {
  let text = ""
  for (const record of records) text += line(record)
  return Buffer.from(text, "utf8")
}
