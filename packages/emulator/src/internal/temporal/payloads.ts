/**
 * Temporal payloads and how the HTTP API writes them. proto3 JSON makes a
 * payload `{metadata: {encoding: base64}, data: base64}`; the gateway's
 * default "shorthand" writes a `json/plain` payload (no other metadata) as the
 * JSON value itself and `binary/null` as `null`, and a `Payloads` made only of
 * those as a bare array. The `noPayloadShorthand` query parameter turns the
 * shorthand off. Bodies are built with `Payloads`/`Single` markers and
 * written by `render` once the request says which form it wants.
 *
 * @internal
 */

export interface Payload {
  readonly encoding: string
  /** Absent for `binary/null`. */
  readonly data: Buffer | null
  /** Metadata besides `encoding`. */
  readonly meta?: Readonly<Record<string, string>>
}

/** A `temporal.api.common.v1.Payloads` field. */
export class Payloads {
  constructor(readonly items: ReadonlyArray<Payload>) {}
}

/** A single `temporal.api.common.v1.Payload` field (memo and header values, user metadata, encoded failure attributes). */
export class Single {
  constructor(readonly payload: Payload) {}
}

/** `json/plain`; `text` keeps exact JSON text (a number beyond 2^53, say). */
export const json = (value: unknown, text?: string): Payload => ({
  encoding: "json/plain",
  data: Buffer.from(text ?? JSON.stringify(value))
})

export const binary = (bytes: Buffer): Payload => ({ encoding: "binary/plain", data: bytes })

/** What a codec (an encryption data converter) leaves: opaque bytes and the key that sealed them. */
export const encrypted = (bytes: Buffer, keyId: string): Payload => ({
  encoding: "binary/encrypted",
  data: bytes,
  meta: { "encryption-key-id": keyId }
})

export const NULL: Payload = { encoding: "binary/null", data: null }

export const many = (...items: ReadonlyArray<Payload>): Payloads => new Payloads(items)
export const one = (payload: Payload): Single => new Single(payload)

const b64 = (text: string): string => Buffer.from(text).toString("base64")

const full = (p: Payload): unknown => {
  const metadata: Record<string, string> = { encoding: b64(p.encoding) }
  if (p.meta !== undefined) for (const [k, v] of Object.entries(p.meta)) metadata[k] = b64(v)
  return p.data === null || p.data.length === 0 ? { metadata } : { metadata, data: p.data.toString("base64") }
}

const shorthandable = (p: Payload): boolean =>
  (p.encoding === "json/plain" || p.encoding === "binary/null") && p.meta === undefined

const shorthand = (p: Payload): unknown => (p.encoding === "binary/null" ? null : JSON.parse(p.data!.toString("utf8")))

/** A body with its payload markers written in the asked form; `undefined` fields are dropped like proto3 JSON's unset ones. */
export const render = (value: unknown, useShorthand: boolean): unknown => {
  if (value === null || typeof value !== "object") return value
  if (value instanceof Payloads) {
    if (useShorthand && value.items.every(shorthandable)) return value.items.map(shorthand)
    return { payloads: value.items.map(full) }
  }
  if (value instanceof Single) return useShorthand && shorthandable(value.payload) ? shorthand(value.payload) : full(value.payload)
  if (Array.isArray(value)) return value.map((v) => render(v, useShorthand))
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = render(v, useShorthand)
  return out
}
