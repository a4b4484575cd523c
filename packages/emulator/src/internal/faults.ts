/**
 * The fault generator: per provider request, one draw per fault kind (always
 * all of them, so the sequence depends only on how many requests drew).
 *
 * @internal
 */
import * as Faults from "../Faults.js"
import { Rng, Tag } from "./random.js"

export const HTML_PAGE = "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Just a moment...</title></head>" +
  "<body><h1>Checking your browser before accessing the API</h1><p>This page is served by the steptrail emulator's " +
  "content-type fault.</p></body></html>\n"

export interface Draw {
  /** The first kind that hit, `slow` excluded. */
  readonly hit: Exclude<Faults.Kind, "slow"> | null
  readonly slow: boolean
  /** The status of a `serverError`. */
  readonly status5xx: number
}

export class Generator {
  /** Whether any fault can hit at all; when not, nothing is drawn. */
  readonly any: boolean
  private readonly rng: Rng
  constructor(private readonly options: Faults.Options, seed: number) {
    this.any = Faults.kinds.some((k) => (options[k] ?? 0) > 0)
    this.rng = Rng.at(options.seed ?? seed, Tag.faults)
  }

  draw(): Draw {
    let hit: Draw["hit"] = null
    for (const kind of Faults.kinds) {
      const u = this.rng.next()
      if (kind !== "slow" && hit === null && u < (this.options[kind] ?? 0)) hit = kind
    }
    const slow = this.rng.next() < (this.options.slow ?? 0)
    const status5xx = [500, 502, 503][this.rng.u32() % 3]!
    return { hit, slow, status5xx }
  }
}
