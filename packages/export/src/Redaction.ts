/**
 * Redaction of personal data before it is written: values at JSON paths in a record's `input`
 * and `output` are replaced with `"[REDACTED]"`.
 *
 * Path syntax (see `docs/pipelines.md`): a root (`input` or `output`), then segments:
 * `.name`, `["any key"]`, `[3]` (an array index), and `*` / `[*]` (every key of an object or
 * every element of an array). Examples: `output.customer.email`, `input.messages[*].content`,
 * `output.items[0].card`, `output.*.token`, `output["odd key"]`.
 *
 * @since 0.1.0
 */
import { Json, type StepRecord } from "@steptrail/core"
import { Either } from "effect"

/**
 * @since 0.1.0
 * @category models
 */
export type Segment =
  | { readonly _tag: "Key"; readonly key: string }
  | { readonly _tag: "Index"; readonly index: number }
  | { readonly _tag: "Any" }

/**
 * A parsed path.
 *
 * @since 0.1.0
 * @category models
 */
export interface Path {
  /** The text it was parsed from, for messages. */
  readonly text: string
  readonly root: "input" | "output"
  readonly segments: ReadonlyArray<Segment>
}

/**
 * What a matched value is replaced with.
 *
 * @since 0.1.0
 * @category constants
 */
export const REDACTED = "[REDACTED]" as const

// Characters of an unquoted key: anything but the syntax of the path itself and whitespace.
const keyChar = /[^.[\]"*\s]/

/**
 * Parses a path; the error is one line naming the path and what is wrong at which column.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (text: string): Either.Either<Path, string> => {
  const fail = (what: string, at?: number) =>
    Either.left(`invalid redaction path ${JSON.stringify(text)}: ${what}${at === undefined ? "" : ` at column ${at + 1}`}`)
  let i = 0
  const readKey = () => {
    const start = i
    while (i < text.length && keyChar.test(text[i]!)) i++
    return text.slice(start, i)
  }
  const root = readKey()
  if (root !== "input" && root !== "output") {
    return fail(`must start with input or output${root === "" ? "" : `, not ${JSON.stringify(root)}`}`)
  }
  const segments: Array<Segment> = []
  while (i < text.length) {
    const c = text[i]!
    if (c === ".") {
      i++
      if (text[i] === "*") {
        i++
        segments.push({ _tag: "Any" })
        continue
      }
      const key = readKey()
      if (key === "") return fail(i < text.length ? `unexpected ${JSON.stringify(text[i])}` : "a key is missing after \".\"", i)
      segments.push({ _tag: "Key", key })
    } else if (c === "[") {
      const open = i
      i++
      if (text[i] === "*" && text[i + 1] === "]") {
        i += 2
        segments.push({ _tag: "Any" })
      } else if (text[i] === "\"") {
        // a JSON string, so any key (dots, brackets, quotes escaped) can be named
        let end = i + 1
        while (end < text.length && text[end] !== "\"") end += text[end] === "\\" ? 2 : 1
        if (end >= text.length) return fail("unterminated quoted key", i)
        let key: string
        try {
          key = JSON.parse(text.slice(i, end + 1)) as string
        } catch {
          return fail("invalid escape in quoted key", i)
        }
        i = end + 1
        if (text[i] !== "]") return fail("expected \"]\" after the quoted key", i)
        i++
        segments.push({ _tag: "Key", key })
      } else {
        const match = /^(0|[1-9]\d{0,8})\]/.exec(text.slice(i))
        if (match === null) return fail("expected an index, * or a quoted key after \"[\"", open)
        i += match[0].length
        segments.push({ _tag: "Index", index: Number(match[1]) })
      }
    } else {
      return fail(`unexpected ${JSON.stringify(c)}`, i)
    }
  }
  return Either.right({ text, root, segments })
}

/**
 * Parses every path, or fails with the first error.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parseAll = (texts: Iterable<string>): Either.Either<ReadonlyArray<Path>, string> => {
  const paths: Array<Path> = []
  for (const text of texts) {
    const result = parse(text)
    if (Either.isLeft(result)) return Either.left(result.left)
    paths.push(result.right)
  }
  return Either.right(paths)
}

// a number kept as its digits (`Json.RawNumber`) is a value, with nothing under it
const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === "object" && value !== null && !Array.isArray(value) && !Json.isRawNumber(value)

// Returns `value` itself when nothing under it matched, so unmatched records cost no copies.
const redactAt = (value: unknown, segments: ReadonlyArray<Segment>, i: number): unknown => {
  // null holds no personal data, and keeping it keeps "there was none" visible
  if (value === null || value === undefined) return value
  if (i === segments.length) return REDACTED
  const segment = segments[i]!
  if (Array.isArray(value)) {
    if (segment._tag === "Key") return value
    let copy: Array<unknown> | undefined
    const from = segment._tag === "Index" ? segment.index : 0
    const to = segment._tag === "Index" ? Math.min(segment.index + 1, value.length) : value.length
    for (let k = from; k < to; k++) {
      const next = redactAt(value[k], segments, i + 1)
      if (next !== value[k]) (copy ??= value.slice())[k] = next
    }
    return copy ?? value
  }
  if (isObject(value)) {
    if (segment._tag === "Index") return value
    let copy: Record<string, unknown> | undefined
    const keys = segment._tag === "Key" ? (Object.hasOwn(value, segment.key) ? [segment.key] : []) : Object.keys(value)
    for (const key of keys) {
      const next = redactAt(value[key], segments, i + 1)
      // a computed key in a literal defines an own property even for "__proto__"
      if (next !== value[key]) copy = { ...(copy ?? value), [key]: next }
    }
    return copy ?? value
  }
  return value // a string, number or boolean has nothing under it
}

/**
 * A function that redacts a record: each value the paths match is replaced with
 * `"[REDACTED]"`. The record is not mutated; only objects along matched paths are copied,
 * and a record nothing matched is returned as it is. A path that matches nothing is a no-op,
 * so a string (or base64) output is replaced only by the path `output` itself. Replacing the
 * whole output also sets `output_redacted` (and `output_encoding` to `json`, as the
 * placeholder is not base64).
 *
 * @since 0.1.0
 * @category redaction
 */
export const apply = (paths: ReadonlyArray<Path>) => (record: StepRecord.StepRecord): StepRecord.StepRecord => {
  if (paths.length === 0) return record
  let input: unknown = record.input
  let output: unknown = record.output
  for (const path of paths) {
    if (path.root === "input") input = redactAt(input, path.segments, 0)
    else output = redactAt(output, path.segments, 0)
  }
  if (input === record.input && output === record.output) return record
  const whole = output === REDACTED && record.output !== REDACTED && paths.some((p) => p.root === "output" && p.segments.length === 0)
  const fields = { input, output } as Pick<StepRecord.StepRecord, "input" | "output">
  return whole
    ? { ...record, ...fields, output_redacted: true, output_encoding: "json" }
    : { ...record, ...fields }
}
