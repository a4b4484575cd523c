/**
 * Opaque page tokens: a checksum and a small JSON position, as bytes (proto3
 * JSON writes `bytes` as base64). A token that was altered (a `+` turned into
 * a space by a client that did not encode it, say) is refused, like the
 * server refuses a token it cannot read.
 *
 * @internal
 */
import { hashString } from "../random.js"

export const seal = (position: unknown): string => {
  const text = JSON.stringify(position)
  const sum = Buffer.alloc(4)
  sum.writeUInt32BE(hashString(text))
  return Buffer.concat([sum, Buffer.from(text)]).toString("base64")
}

/** The position in a token (standard or URL-safe base64), or undefined when it is not one of ours. */
export const open = (token: string): unknown => {
  if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(token)) return undefined
  const bytes = Buffer.from(token.replace(/-/g, "+").replace(/_/g, "/"), "base64")
  if (bytes.length < 5) return undefined
  const text = bytes.subarray(4).toString("utf8")
  if (bytes.readUInt32BE(0) !== hashString(text)) return undefined
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
