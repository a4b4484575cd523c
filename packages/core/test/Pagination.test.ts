import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Option, Ref, Stream } from "effect"
import * as Pagination from "../src/Pagination.js"

class Repeated {
  readonly _tag = "Repeated"
  constructor(readonly cursor: string) {}
}

/** A cursor listing over `pages`; page i is reached with cursor `c<i>`; requests recorded. */
const cursorListing = (
  pages: ReadonlyArray<Pagination.CursorPage<number>>
) =>
  Effect.gen(function*() {
    const requests = yield* Ref.make<ReadonlyArray<string | null>>([])
    const stream = Pagination.cursor(
      (cursor) =>
        Effect.gen(function*() {
          const at = Option.getOrNull(cursor)
          yield* Ref.update(requests, (all) => [...all, at])
          const index = at === null ? 0 : Number(at.slice(1))
          return pages[index] ?? { items: [], next: null }
        }),
      (cursor) => new Repeated(cursor)
    )
    return { stream, requests: Ref.get(requests) }
  })

const page = (from: number, size: number, next: string | null | undefined): Pagination.CursorPage<number> => ({
  items: Array.from({ length: size }, (_, i) => from + i),
  next
})

const collect = <A, E>(stream: Stream.Stream<A, E>) =>
  Stream.runCollect(stream).pipe(Effect.map(Chunk.toReadonlyArray))

describe("Pagination.cursor", () => {
  it.effect("fetches lazily: three items of a three-per-page listing need one page", () =>
    Effect.gen(function*() {
      const { requests, stream } = yield* cursorListing([page(0, 3, "c1"), page(3, 3, "c2"), page(6, 3, null)])
      expect(yield* collect(Stream.take(stream, 3))).toEqual([0, 1, 2])
      expect(yield* requests).toEqual([null])
    }))

  it.effect("fetches nothing before it is pulled, and the next page only when needed", () =>
    Effect.gen(function*() {
      const { requests, stream } = yield* cursorListing([page(0, 3, "c1"), page(3, 3, "c2"), page(6, 3, null)])
      expect(yield* requests).toEqual([])
      expect(yield* collect(Stream.take(stream, 4))).toEqual([0, 1, 2, 3])
      expect(yield* requests).toEqual([null, "c1"])
    }))

  it.effect("follows the cursors to the end", () =>
    Effect.gen(function*() {
      const { requests, stream } = yield* cursorListing([page(0, 3, "c1"), page(3, 3, "c2"), page(6, 2, null)])
      expect(yield* collect(stream)).toEqual([0, 1, 2, 3, 4, 5, 6, 7])
      expect(yield* requests).toEqual([null, "c1", "c2"])
    }))

  it.effect.each([null, undefined, ""])("stops on a %j cursor", (end) =>
    Effect.gen(function*() {
      const { requests, stream } = yield* cursorListing([page(0, 2, "c1"), page(2, 2, end)])
      expect(yield* collect(stream)).toEqual([0, 1, 2, 3])
      expect(yield* requests).toHaveLength(2)
    }))

  it.effect("stops on an empty page even when it carries a cursor", () =>
    Effect.gen(function*() {
      const { requests, stream } = yield* cursorListing([page(0, 2, "c1"), page(2, 0, "c2"), page(2, 2, null)])
      expect(yield* collect(stream)).toEqual([0, 1])
      expect(yield* requests).toEqual([null, "c1"])
    }))

  it.effect("an empty first page is an empty listing", () =>
    Effect.gen(function*() {
      const { stream } = yield* cursorListing([page(0, 0, null)])
      expect(yield* collect(stream)).toEqual([])
    }))

  it.effect("fails on a repeated cursor instead of looping", () =>
    Effect.gen(function*() {
      const { requests, stream } = yield* cursorListing([page(0, 2, "c1"), page(2, 2, "c2"), page(4, 2, "c1")])
      const result = yield* Effect.either(collect(stream))
      expect(result).toEqual(Either.left(new Repeated("c1")))
      expect(yield* requests).toEqual([null, "c1", "c2"])
    }))

  it.effect("a cursor pointing at its own page is a repeat", () =>
    Effect.gen(function*() {
      const { stream } = yield* cursorListing([page(0, 2, "c1"), page(2, 2, "c1")])
      expect(yield* Effect.either(collect(stream))).toEqual(Either.left(new Repeated("c1")))
    }))

  it.effect("the same stream can be run again", () =>
    Effect.gen(function*() {
      const { requests, stream } = yield* cursorListing([page(0, 2, "c1"), page(2, 2, "c2"), page(4, 1, null)])
      expect(yield* collect(stream)).toEqual([0, 1, 2, 3, 4])
      expect(yield* collect(stream)).toEqual([0, 1, 2, 3, 4])
      expect(yield* requests).toEqual([null, "c1", "c2", null, "c1", "c2"])
    }))

  it.effect("passes the fetch error through and stops", () =>
    Effect.gen(function*() {
      let calls = 0
      const stream = Pagination.cursor<number, string | Repeated, never>(
        (cursor) => {
          calls++
          return Option.isNone(cursor) ? Effect.succeed(page(0, 2, "c1")) : Effect.fail("boom")
        },
        (cursor) => new Repeated(cursor)
      )
      expect(yield* Effect.either(collect(stream))).toEqual(Either.left("boom"))
      expect(calls).toBe(2)
    }))
})

describe("Pagination.offset", () => {
  /** `count` items served `limit` at a time; `total` reported when asked. */
  const listing = (count: number, options: { total?: number; max?: number } = {}) =>
    Effect.gen(function*() {
      const requests = yield* Ref.make<ReadonlyArray<readonly [number, number]>>([])
      const fetch = (offset: number, limit: number) =>
        Ref.update(requests, (all) => [...all, [offset, limit] as const]).pipe(
          Effect.as({
            items: Array.from({ length: Math.max(0, Math.min(limit, options.max ?? limit, count - offset)) }, (_, i) => offset + i),
            total: options.total
          })
        )
      return { fetch, requests: Ref.get(requests) }
    })

  it.effect.each([0, 1, 9, 10, 11, 25, 30])("returns exactly %i items across pages", (count) =>
    Effect.gen(function*() {
      const { fetch } = yield* listing(count)
      const items = yield* collect(Pagination.offset(10, fetch))
      expect(items).toEqual(Array.from({ length: count }, (_, i) => i))
    }))

  it.effect("ends on a short page", () =>
    Effect.gen(function*() {
      const { fetch, requests } = yield* listing(25)
      yield* collect(Pagination.offset(10, fetch))
      expect(yield* requests).toEqual([[0, 10], [10, 10], [20, 10]])
    }))

  it.effect("a full last page costs one empty page without a total", () =>
    Effect.gen(function*() {
      const { fetch, requests } = yield* listing(20)
      expect(yield* collect(Pagination.offset(10, fetch))).toHaveLength(20)
      expect(yield* requests).toEqual([[0, 10], [10, 10], [20, 10]])
    }))

  it.effect("ends when `total` is reached, without fetching past it", () =>
    Effect.gen(function*() {
      const { fetch, requests } = yield* listing(20, { total: 20 })
      expect(yield* collect(Pagination.offset(10, fetch))).toHaveLength(20)
      expect(yield* requests).toEqual([[0, 10], [10, 10]])
    }))

  it.effect("a total of 0 ends after the first request", () =>
    Effect.gen(function*() {
      const { fetch, requests } = yield* listing(0, { total: 0 })
      expect(yield* collect(Pagination.offset(10, fetch))).toEqual([])
      expect(yield* requests).toHaveLength(1)
    }))

  it.effect("fetches lazily", () =>
    Effect.gen(function*() {
      const { fetch, requests } = yield* listing(100)
      expect(yield* collect(Stream.take(Pagination.offset(10, fetch), 10))).toHaveLength(10)
      expect(yield* requests).toEqual([[0, 10]])
      expect(yield* collect(Stream.take(Pagination.offset(10, fetch), 15))).toHaveLength(15)
      expect(yield* requests).toEqual([[0, 10], [0, 10], [10, 10]])
    }))
})
