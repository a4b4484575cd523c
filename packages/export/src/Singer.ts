/**
 * Records as Singer messages (https://github.com/singer-io/getting-started/blob/master/docs/SPEC.md),
 * so any Singer target can load them: one JSON message per line, a `SCHEMA` message first,
 * then a `RECORD` per step, and `STATE` messages carrying the bookmarks.
 *
 * One stream, `steptrail_steps`. Its schema is the record's JSON Schema made portable:
 * references inlined, nullable fields as `"type": ["null", ...]`, timestamps as
 * `format: date-time`, no `const`. In this stream
 * an unknown `account` is `""` rather than null, because key properties become NOT NULL
 * primary-key columns in most SQL targets.
 *
 * @since 0.1.0
 */
import { Json, StepRecord } from "@steptrail/core"
import { JSONSchema } from "effect"
import * as Ndjson from "./Ndjson.js"

/**
 * The stream every record belongs to.
 *
 * @since 0.1.0
 * @category constants
 */
export const STREAM = "steptrail_steps" as const

/**
 * The record key: an export never writes a key twice; a target upserts by it.
 *
 * @since 0.1.0
 * @category constants
 */
export const KEY_PROPERTIES = ["provider", "account", "workflow", "run_id", "step_index"] as const

/**
 * What `account` is in the Singer stream when the record has none.
 *
 * @since 0.1.0
 * @category constants
 */
export const NO_ACCOUNT = "" as const

/**
 * A JSON Schema as plain JSON.
 *
 * @since 0.1.0
 * @category models
 */
export type JsonSchema = { readonly [key: string]: unknown }

// Any JSON value: listed types rather than `{}`, which several targets refuse or load as text.
const ANY_JSON: JsonSchema = { type: ["null", "object", "array", "string", "number", "boolean"] }

type Mutable = { [key: string]: unknown }

// Timestamps are marked `format: date-time`, which is what makes a target create a
// timestamp column rather than text.
const TIMESTAMP_PATTERN = (JSONSchema.make(StepRecord.Timestamp) as { pattern?: string }).pattern

const isObject = (value: unknown): value is Mutable => typeof value === "object" && value !== null && !Array.isArray(value)

const typesOf = (schema: Mutable): Array<string> =>
  schema.type === undefined ? [] : Array.isArray(schema.type) ? (schema.type as Array<string>) : [schema.type as string]

// Rewrites one schema node: `$ref` replaced by its definition (with the node's own keywords
// on top, which draft 7 would otherwise ignore), `anyOf` of simple branches merged into one
// type list, `const` turned into `enum`, and the filter titles Effect adds dropped.
const portable = (node: unknown, defs: Mutable): Mutable => {
  if (!isObject(node)) return {}
  let schema: Mutable = { ...node }
  if (typeof schema.$ref === "string") {
    const name = schema.$ref.replace(/^#\/\$defs\//, "")
    const { $ref: _ref, ...own } = schema
    schema = { ...portable(defs[name], defs), ...own }
  }
  if (schema.title === "unknown" || (schema.type === undefined && schema.anyOf === undefined && schema.enum === undefined)) {
    const { description } = schema
    return description === undefined ? { ...ANY_JSON } : { ...ANY_JSON, description }
  }
  delete schema.$schema
  delete schema.$defs
  delete schema.$id
  delete schema.title
  if ("const" in schema) {
    schema.enum = [schema.const]
    delete schema.const
  }
  if (Array.isArray(schema.anyOf)) {
    const { anyOf, ...own } = schema
    const branches = (anyOf as Array<unknown>).map((b) => portable(b, defs))
    // several object or array branches could not share one set of properties: leave them
    const structured = branches.filter((b) => typesOf(b).some((t) => t === "object" || t === "array"))
    if (structured.length <= 1 && branches.every((b) => typesOf(b).length > 0)) {
      const merged: Mutable = { ...(structured[0] ?? {}) }
      for (const b of branches) if (b !== structured[0]) for (const [k, v] of Object.entries(b)) if (k !== "type") merged[k] ??= v
      const types = new Set(branches.flatMap(typesOf))
      // a null branch with an enum: null must be allowed by the enum too
      if (types.has("null") && Array.isArray(merged.enum) && !merged.enum.includes(null)) merged.enum = [...merged.enum, null]
      schema = { ...merged, ...own, type: order([...types]) }
    } else {
      schema = { ...own, anyOf: branches }
    }
  }
  if (TIMESTAMP_PATTERN !== undefined && schema.pattern === TIMESTAMP_PATTERN) schema.format = "date-time"
  if (Array.isArray(schema.enum) && schema.enum.every((v) => v === null || Number.isInteger(v))) {
    schema.type = order(typesOf(schema).map((t) => (t === "number" ? "integer" : t)))
  }
  if (isObject(schema.properties)) {
    schema.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, portable(v, defs)]))
  }
  if (schema.items !== undefined) schema.items = portable(schema.items, defs)
  if (Array.isArray(schema.type) && schema.type.length === 1) schema.type = schema.type[0]
  return schema
}

// "null" first, as in most Singer taps' schemas; `integer` dropped where `number` covers it
const order = (types: Array<string>): Array<string> => {
  const set = new Set(types)
  if (set.has("number")) set.delete("integer")
  return [...(set.has("null") ? ["null"] : []), ...[...set].filter((t) => t !== "null")]
}

/**
 * The stream's JSON Schema: the record's (from `StepRecord.jsonSchema()`), self-contained and
 * in the subset of JSON Schema Singer targets accept.
 *
 * @since 0.1.0
 * @category schemas
 */
export const schema = (): JsonSchema => {
  const root = StepRecord.jsonSchema() as unknown as Mutable
  const defs = (root.$defs ?? {}) as Mutable
  const record = portable(root, defs)
  const properties = record.properties as Mutable
  // see NO_ACCOUNT
  properties.account = {
    ...(properties.account as Mutable),
    type: "string",
    description: `Cloudflare account id, Onepin workspace id where known, otherwise ${JSON.stringify(NO_ACCOUNT)} (a key property, never null in this stream).`
  }
  return { ...record, title: "steptrail step record" }
}

/**
 * The `SCHEMA` message, as one line.
 *
 * @since 0.1.0
 * @category encoding
 */
export const schemaLine = (): string =>
  JSON.stringify({ type: "SCHEMA", stream: STREAM, schema: schema(), key_properties: KEY_PROPERTIES }) + "\n"

/**
 * A `RECORD` message, as one line: the record's fields in the Schema's order (as in NDJSON),
 * an unknown account as `""`, and when given the time it was extracted.
 *
 * @since 0.1.0
 * @category encoding
 */
export const recordLine = (record: StepRecord.StepRecord, timeExtracted?: string): string => {
  const body = Ndjson.line(record.account === null ? { ...record, account: NO_ACCOUNT } : record)
  return `{"type":"RECORD","stream":"${STREAM}","record":${body.slice(0, -1)}` +
    (timeExtracted === undefined ? "" : `,"time_extracted":${JSON.stringify(timeExtracted)}`) + "}\n"
}

/**
 * A `STATE` message, as one line.
 *
 * @since 0.1.0
 * @category encoding
 */
export const stateLine = (value: unknown): string => Json.stringify({ type: "STATE", value }) + "\n"
