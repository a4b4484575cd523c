import { expect } from "@effect/vitest"
import * as Effect from "effect/Effect"
import type { Emulator } from "@steptrail/emulator"

export interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly text: string
  readonly bytes: Buffer
  readonly json: any
}

/** One request over loopback; the body is read whole. */
export const request = (url: string, init?: RequestInit): Effect.Effect<Answer, Error> =>
  Effect.tryPromise({
    try: async () => {
      const res = await fetch(url, init)
      const bytes = Buffer.from(await res.arrayBuffer())
      const text = bytes.toString("utf8")
      let json: unknown = undefined
      try {
        json = JSON.parse(text)
      } catch {
        // not JSON: tests look at text/bytes
      }
      return { status: res.status, headers: res.headers, text, bytes, json }
    },
    catch: (e) => (e instanceof Error ? e : new Error(String(e)))
  })

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` })

export const get = (em: Emulator.Emulator, url: string, headers?: Record<string, string>) =>
  request(url, { headers: headers ?? bearer(em.info.token) })

export const cf = (em: Emulator.Emulator, path = "") =>
  `${em.info.cloudflare.baseUrl}/accounts/${em.info.cloudflare.accountId}/workflows/${em.info.cloudflare.workflow}${path}`

export const or = (em: Emulator.Emulator, path = "") => `${em.info.orchestra.baseUrl}/workflows/${em.info.orchestra.workflow}${path}`

export const op = (em: Emulator.Emulator, path = "") => `${em.info.onepin.baseUrl}/workflows/${em.info.onepin.workflow}${path}`

/** A Temporal HTTP API path in the emulator's namespace. */
export const tm = (em: Emulator.Emulator, path = "") => `${em.info.temporal.baseUrl}/api/v1/namespaces/${em.info.temporal.namespace}${path}`

export const keys = (o: object) => Object.keys(o).sort()

export const expectKeys = (o: unknown, expected: ReadonlyArray<string>) => {
  expect(o).toBeTypeOf("object")
  expect(keys(o as object)).toEqual([...expected].sort())
}

export const ISO_MS = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/
export const ISO_S = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/
export const ISO_US = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/
export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/

/**
 * A wall clock that moves only when told: `tick(ms)` runs the timers that
 * fall due, in order, so latency, storms, rate limits and slow answers are
 * tested without waiting.
 */
export const manualClock = () => {
  let now = 0
  let seq = 0
  const timers = new Map<number, { readonly at: number; readonly f: () => void }>()
  const clock: Emulator.WallClock = {
    now: () => now,
    schedule: (f, ms) => {
      const id = seq++
      timers.set(id, { at: now + ms, f })
      return () => timers.delete(id)
    }
  }
  const tick = (ms: number) => {
    const until = now + ms
    for (;;) {
      let next: [number, { readonly at: number; readonly f: () => void }] | undefined
      for (const entry of timers) if (entry[1].at <= until && (next === undefined || entry[1].at < next[1].at)) next = entry
      if (next === undefined) break
      timers.delete(next[0])
      now = next[1].at
      next[1].f()
    }
    now = until
  }
  return { clock, tick, now: () => now, pending: () => timers.size }
}

/** Waits (real time, bounded) until the emulator has seen `n` provider requests arrive. */
export const arrivals = (em: Emulator.Emulator, n: number) =>
  Effect.gen(function*() {
    for (let i = 0; i < 1000; i++) {
      if ((yield* em.stats).requests >= n) return
      yield* Effect.promise(() => new Promise((resolve) => setTimeout(resolve, 2)))
    }
    throw new Error(`the emulator did not see ${n} requests arrive`)
  })

/** Answers sent so far, all providers (counted when sent, unlike `requests`). */
export const answered = (stats: Emulator.Stats) =>
  stats.providers.cloudflare.requests + stats.providers.orchestra.requests + stats.providers.onepin.requests +
  stats.providers.temporal.requests
