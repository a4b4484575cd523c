/**
 * JSON with every value kept as it was sent: numbers with all their digits, nesting of any
 * depth.
 *
 * `JSON.parse` makes every number a double, so `12345678901234567891`, `9007199254740993`,
 * `1e400` and `-0` come out changed; `JSON.stringify` recurses, so a value nested some
 * thousands deep throws. Both stay the fast path here. `parse` first scans the text for a
 * number a double would change (rare: 16 or more digits, a fraction, an exponent, `-0`), and
 * only when it finds one parses the text again with a loop that keeps such a number as a
 * `RawNumber`, its source text. `stringify` writes a `RawNumber` as those digits, and falls
 * back to a loop only when `JSON.stringify` runs out of stack.
 *
 * @since 0.1.0
 */
// `RawNumber.toJSON` returns this plus the digits; `stringify` then puts the bare digits in
// place of the quoted string. Random per process, so no provider string can be taken for it.
const MARK = `~steptrail-number-${
  Array.from(globalThis.crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0")).join("")
}~`
const MARKED = new RegExp(`"${MARK}([-+.0-9eE]+)"`, "g")
// whether `stringify` is under way, and how many `RawNumber`s it has met (it is synchronous)
let active = false
let marked = 0

/**
 * A number a double would change (`12345678901234567891`, `1e400`, `-0`, `1.50`): kept as the
 * text the provider sent, and written back as that text.
 *
 * @since 0.1.0
 * @category models
 */
export class RawNumber {
  constructor(
    /** The number as it was written in the JSON text. */
    readonly text: string
  ) {}
  /** The nearest double (what `JSON.parse` would have given). */
  valueOf(): number {
    return Number(this.text)
  }
  toString(): string {
    return this.text
  }
  /** Under `stringify`, marks the digits; any other `JSON.stringify` gets the nearest double. */
  toJSON(): string | number {
    if (!active) return this.valueOf()
    marked++
    return MARK + this.text
  }
}

/**
 * Whether a value is a `RawNumber`.
 *
 * @since 0.1.0
 * @category guards
 */
export const isRawNumber = (value: unknown): value is RawNumber => value instanceof RawNumber

/** A number token a double would not write back as it was sent. */
const changes = (token: string): boolean => String(Number(token)) !== token

// Number tokens that may not survive a double: 16 digits or more, a fraction, an exponent, or
// `-0` (an integer of at most 15 digits always does). A number token follows `:`, `,`, `[` or
// the start, and precedes `,`, `}`, `]` or the end, so digits inside strings rarely match
// (a timestamp's `:05.123Z` does not); a match inside a string costs only a slower parse.
const TOKEN = String.raw`(?=-?\d{16}|-?\d+[.eE]|-0(?![\d.eE]))(-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?)(?=[ \t\n\r]*(?:[,}\]]|$))`
// apart, as a pattern starting with one character class is scanned for much faster
const FIRST = new RegExp(String.raw`^[ \t\n\r]*` + TOKEN)
const SUSPECT = new RegExp(String.raw`[:,[][ \t\n\r]*` + TOKEN, "g")

/**
 * Whether `text` (JSON) may hold a number that `JSON.parse` would change.
 *
 * @since 0.1.0
 * @category parsing
 */
export const hasChangedNumber = (text: string): boolean => {
  const first = FIRST.exec(text)
  if (first !== null && changes(first[1]!)) return true
  SUSPECT.lastIndex = 0
  let match: RegExpExecArray | null
  while ((match = SUSPECT.exec(text)) !== null) if (changes(match[1]!)) return true
  return false
}

/**
 * Parses JSON as `JSON.parse` does, except that a number a double would change is a
 * `RawNumber`. Throws `JSON.parse`'s `SyntaxError` on text that is not JSON. Any depth.
 *
 * @since 0.1.0
 * @category parsing
 */
export const parse = (text: string): unknown => {
  if (!hasChangedNumber(text)) return JSON.parse(text)
  JSON.parse(text) // the same verdict on text that is not JSON; `keeping` then may trust it
  return keeping(text)
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y

const define = (target: Record<string, unknown>, key: string, value: unknown) => {
  // as `JSON.parse` does: an own property, even for "__proto__"
  if (key === "__proto__") Object.defineProperty(target, key, { value, writable: true, enumerable: true, configurable: true })
  else target[key] = value
}

// A loop over valid JSON text (checked by `JSON.parse` first), containers on a stack of its own.
const keeping = (text: string): unknown => {
  let i = 0
  const space = () => {
    for (let c = text.charCodeAt(i); c === 32 || c === 10 || c === 13 || c === 9; c = text.charCodeAt(++i));
  }
  const string = (): string => {
    let j = i + 1
    let escaped = false
    for (let c = text.charCodeAt(j); c !== 34; c = text.charCodeAt(j)) {
      if (c === 92) {
        escaped = true
        j += 2
      } else j++
    }
    const value = escaped ? (JSON.parse(text.slice(i, j + 1)) as string) : text.slice(i + 1, j)
    i = j + 1
    return value
  }
  const key = (): string => {
    space()
    const name = string()
    space()
    i++ // ":"
    return name
  }
  const containers: Array<Array<unknown> | Record<string, unknown>> = []
  const keys: Array<string> = [] // the key being read in each object, "" in arrays
  for (;;) {
    space()
    let value: unknown
    const c = text.charCodeAt(i)
    if (c === 123 || c === 91) { // { [
      i++
      space()
      if (text.charCodeAt(i) === c + 2) { // } ]
        i++
        value = c === 123 ? {} : []
      } else {
        containers.push(c === 123 ? {} : [])
        keys.push(c === 123 ? key() : "")
        continue
      }
    } else if (c === 34) value = string()
    else if (c === 116) {
      value = true
      i += 4
    } else if (c === 102) {
      value = false
      i += 5
    } else if (c === 110) {
      value = null
      i += 4
    } else {
      NUMBER.lastIndex = i
      const token = NUMBER.exec(text)![0]
      i += token.length
      value = changes(token) ? new RawNumber(token) : Number(token)
    }
    // hand the value to its container; a container that ends is handed to its own in turn
    for (;;) {
      const top = containers[containers.length - 1]
      if (top === undefined) return value
      if (Array.isArray(top)) top.push(value)
      else define(top, keys[keys.length - 1]!, value)
      space()
      if (text.charCodeAt(i++) === 44) { // ,
        if (!Array.isArray(top)) keys[keys.length - 1] = key()
        break
      }
      value = containers.pop()
      keys.pop()
    }
  }
}

/**
 * `JSON.stringify(value)` with every `RawNumber` written as its digits, at any depth: a value
 * too deep for `JSON.stringify`'s recursion is written by a loop instead. Throws only where
 * `JSON.stringify` would for a reason other than depth (a `BigInt`, a text longer than a
 * string can be).
 *
 * @since 0.1.0
 * @category encoding
 */
export const stringify = (value: unknown): string => {
  marked = 0
  active = true
  let text: string
  try {
    text = JSON.stringify(value)
  } catch (e) {
    if (!(e instanceof RangeError)) throw e
    text = deep(value)
  } finally {
    active = false
  }
  return marked === 0 ? text : text.replace(MARKED, "$1")
}

/**
 * The same text as `stringify`, written by a loop: used when `JSON.stringify` runs out of
 * stack, and on its own by tests.
 *
 * @since 0.1.0
 * @category encoding
 */
export const deep = (root: unknown): string => {
  interface Frame {
    readonly value: Record<string, unknown> & Array<unknown>
    readonly keys: ReadonlyArray<string> | undefined // undefined for an array
    i: number
    wrote: boolean
  }
  // the text in pieces of some KiB: far fewer parts to join than one per token
  const out: Array<string> = []
  let piece = ""
  const emit = (text: string) => {
    piece += text
    if (piece.length > 16_384) {
      out.push(piece)
      piece = ""
    }
  }
  const stack: Array<Frame> = []
  // writes a value (after its `toJSON`), or opens a container; false for one JSON has not
  // (`undefined`, a function, a symbol), which an object leaves out and an array writes as null
  const write = (v: unknown): boolean => {
    switch (typeof v) {
      case "string":
        emit(JSON.stringify(v))
        return true
      case "number":
        emit(Number.isFinite(v) ? String(v) : "null")
        return true
      case "boolean":
        emit(v ? "true" : "false")
        return true
      case "bigint":
        throw new TypeError("Do not know how to serialize a BigInt")
      case "object": {
        if (v === null) emit("null")
        else if (v instanceof RawNumber) emit(v.text)
        else {
          const array = Array.isArray(v)
          emit(array ? "[" : "{")
          stack.push({ value: v as Frame["value"], keys: array ? undefined : Object.keys(v), i: 0, wrote: false })
        }
        return true
      }
      default:
        return false
    }
  }
  if (!write(prepare("", root))) return undefined as unknown as string // as JSON.stringify(undefined)
  for (let frame = stack.at(-1); frame !== undefined; frame = stack.at(-1)) {
    const { keys, value } = frame
    if (keys === undefined) {
      if (frame.i === value.length) {
        emit("]")
        stack.pop()
        continue
      }
      if (frame.i > 0) emit(",")
      const index = frame.i++
      if (!write(prepare(String(index), value[index]))) emit("null")
    } else {
      if (frame.i === keys.length) {
        emit("}")
        stack.pop()
        continue
      }
      const name = keys[frame.i++]!
      const v = prepare(name, value[name])
      const type = typeof v
      if (type === "undefined" || type === "function" || type === "symbol") continue
      emit(frame.wrote ? "," + JSON.stringify(name) + ":" : JSON.stringify(name) + ":")
      frame.wrote = true
      write(v)
    }
  }
  out.push(piece)
  return out.join("")
}

// what JSON.stringify writes for a value: its `toJSON(key)` where it has one
const prepare = (key: string, v: unknown): unknown =>
  typeof v === "object" && v !== null && !(v instanceof RawNumber) && typeof (v as { toJSON?: unknown }).toJSON === "function"
    ? (v as { toJSON: (key: string) => unknown }).toJSON(key)
    : v
