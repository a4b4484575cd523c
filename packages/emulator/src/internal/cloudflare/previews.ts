/**
 * Cloudflare step values and their previews. A value is generated only when a
 * body needs it, straight as JSON text; the instance log shows a preview (cut
 * at 1024 characters with a marker, `[REDACTED]`, or a stream's size), and
 * `/step` the full value.
 *
 * @internal
 */
import { hash, Rng, Tag } from "../random.js"
import type { Config, Entry, Plan, Value } from "./model.js"
import { PREVIEW_LIMIT, REDACTED, TRUNCATION_MARKER } from "./model.js"

const WORDS = ["alpha", "bravo", "cargo", "delta", "echo", "fox", "gamma", "harbor", "index", "jade", "kilo", "lima"]

export const valueSalt = (config: Config, ordinal: number, index: number): number => hash(config.seed, Tag.cfValue, ordinal, index)

const words = (rng: Rng, n: number): string => {
  let out = rng.pick(WORDS)
  for (let i = 1; i < n; i++) out += " " + rng.pick(WORDS)
  return out
}

/**
 * The serialized JSON of a value about `chars` characters long, written as
 * text directly (no object, no stringify: this is the benchmark's hot path).
 * Generation stops early once longer than `stopAt`, which yields exactly a
 * prefix of the full text, enough for a preview.
 */
const jsonText = (salt: number, chars: number, stopAt = Infinity): string => {
  const rng = new Rng(salt)
  let out = `{"ok":true,"batch":"${rng.hex(12)}","items":[`
  let n = 0
  while (out.length < chars - 16) {
    if (out.length > stopAt) return out
    out += `${n > 0 ? "," : ""}{"sku":"SKU-${rng.hex(6)}","qty":${rng.int(1, 12)},"price_cents":${rng.int(99, 99_999)},"note":"${
      words(rng, rng.int(2, 8))
    }"}`
    n++
  }
  return out + `],"count":${n}}`
}

/** The full value as JSON text (`null` for undefined returns and streams). */
export const fullText = (value: Value, salt: number, stopAt = Infinity): string => {
  switch (value.t) {
    case "number":
      return String(new Rng(salt).int(1, 100_000))
    case "json":
      return jsonText(salt, value.chars, stopAt)
    default:
      return "null"
  }
}

export const binaryBytes = (value: { readonly bytes: number }, salt: number): Buffer => new Rng(salt).bytes(value.bytes)

export const truncate = (s: string): string => s.length > PREVIEW_LIMIT ? s.slice(0, PREVIEW_LIMIT) + TRUNCATION_MARKER : s

export const isSensitive = (entry: Entry): boolean => entry.config?.sensitive === "output"

export const previewOf = (config: Config, plan: Plan, entry: Entry): string | null => {
  if (entry.value.t === "null") return null
  if (isSensitive(entry)) return REDACTED
  if (entry.value.t === "binary") return `[ReadableStream (binary): ${entry.value.bytes} bytes]`
  return truncate(fullText(entry.value, valueSalt(config, plan.ordinal, entry.index), PREVIEW_LIMIT))
}
