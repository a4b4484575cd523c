/**
 * Seeded pseudo-random numbers. Every piece of emulator data is derived from
 * `hash(seed, ...coordinates)`, so any run, step or byte can be regenerated on
 * demand without keeping earlier data around (laziness is what lets a
 * 20,000-instance emulator start instantly).
 *
 * @internal
 */

const fmix = (h: number): number => {
  h ^= h >>> 16
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** Mixes a list of integers into one 32-bit value. */
export const hash = (...parts: ReadonlyArray<number>): number => {
  let h = 0x9e3779b9
  for (let i = 0; i < parts.length; i++) {
    h = Math.imul(h ^ (parts[i]! | 0), 0x01000193)
    h = fmix(h + i)
  }
  return h >>> 0
}

/** FNV-1a of a string, used to turn labels into hash coordinates. */
export const hashString = (s: string): number => {
  let h = 0x811c9dc5
  for (let i = 0; i < s.length; i++) {
    h = Math.imul(h ^ s.charCodeAt(i), 0x01000193)
  }
  return fmix(h)
}

const HEX = "0123456789abcdef"

/** A small sequential generator (mulberry32) for the inside of one run or step. */
export class Rng {
  private state: number
  constructor(seed: number) {
    this.state = seed >>> 0
  }
  /** A generator for a coordinate, e.g. `Rng.at(seed, TAG, index)`. */
  static at(...parts: ReadonlyArray<number>): Rng {
    return new Rng(hash(...parts))
  }
  u32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0
    let t = this.state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return (t ^ (t >>> 14)) >>> 0
  }
  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296
  }
  /** Integer in [min, max], both included. */
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1))
  }
  chance(p: number): boolean {
    return this.next() < p
  }
  pick<A>(items: ReadonlyArray<A>): A {
    return items[Math.floor(this.next() * items.length)]!
  }
  hex(length: number): string {
    let out = ""
    for (let i = 0; i < length; i++) out += HEX[this.u32() & 15]
    return out
  }
  digits(length: number): string {
    let out = ""
    for (let i = 0; i < length; i++) out += String(this.u32() % 10)
    return out
  }
  /** A syntactically valid version-4 UUID. */
  uuid(): string {
    const h = this.hex(32)
    const variant = HEX[8 + (this.u32() & 3)]
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`
  }
  bytes(n: number): Buffer {
    const buf = Buffer.allocUnsafe(n)
    let i = 0
    for (; i + 4 <= n; i += 4) buf.writeUInt32LE(this.u32(), i)
    for (; i < n; i++) buf[i] = this.u32() & 255
    return buf
  }
}

/** Coordinate tags, so that e.g. run 3 of Orchestra and instance 3 of Cloudflare differ. */
export const Tag = {
  account: 1,
  cfInstance: 2,
  cfStep: 3,
  cfValue: 4,
  cfWorkflow: 5,
  orWorkflow: 10,
  orRun: 11,
  orStep: 12,
  opWorkflow: 20,
  opRun: 21,
  opStep: 22,
  faults: 30,
  requestId: 31,
  latency: 32,
  tmRun: 40,
  tmEvent: 41,
  tmValue: 42
} as const
