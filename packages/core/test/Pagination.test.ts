import { describe, expect, it } from "@effect/vitest"
import { Chunk, Effect, Either, Option, Ref, Stream } from "effect"
import * as Pagination from "../src/Pagination.js"
import * as WorkflowProvider from "../src/WorkflowProvider.js"

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

  it.effect("goes on past an empty page that carries a cursor", () =>
    Effect.gen(function*() {
      const { requests, stream } = yield* cursorListing([page(0, 2, "c1"), page(2, 0, "c2"), page(2, 2, null)])
      expect(yield* collect(stream)).toEqual([0, 1, 2, 3])
      expect(yield* requests).toEqual([null, "c1", "c2"])
    }))

  it.effect("goes on past several empty pages in a row, an empty first page included", () =>
    Effect.gen(function*() {
      const { requests, stream } = yield* cursorListing([
        page(0, 0, "c1"),
        page(0, 0, "c2"),
        page(0, 3, "c3"),
        page(3, 0, "c4"),
        page(3, 0, "c5"),
        page(3, 1, "")
      ])
      expect(yield* collect(stream)).toEqual([0, 1, 2, 3])
      expect(yield* requests).toEqual([null, "c1", "c2", "c3", "c4", "c5"])
    }))

  it.effect.each([null, undefined, ""])("an empty page with a %j cursor ends the listing", (end) =>
    Effect.gen(function*() {
      const { requests, stream } = yield* cursorListing([page(0, 2, "c1"), page(2, 0, end)])
      expect(yield* collect(stream)).toEqual([0, 1])
      expect(yield* requests).toEqual([null, "c1"])
    }))

  it.effect("empty pages whose cursor repeats fail instead of looping", () =>
    Effect.gen(function*() {
      // page 1 is empty and points at itself: without the check this never ends
      const { requests, stream } = yield* cursorListing([page(0, 2, "c1"), page(2, 0, "c1")])
      expect(yield* Effect.either(collect(stream))).toEqual(Either.left(new Repeated("c1")))
      expect(yield* requests).toEqual([null, "c1"])
      // two empty pages pointing at each other
      const pair = yield* cursorListing([page(0, 0, "c1"), page(0, 0, "c2"), page(0, 0, "c1")])
      expect(yield* Effect.either(collect(pair.stream))).toEqual(Either.left(new Repeated("c1")))
      expect(yield* pair.requests).toEqual([null, "c1", "c2"])
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

  it.effect("an empty page ends the listing even when `total` says more: the next offset would ask for the same page", () =>
    Effect.gen(function*() {
      const { fetch, requests } = yield* listing(10, { total: 30 })
      expect(yield* collect(Pagination.offset(10, fetch))).toHaveLength(10)
      expect(yield* requests).toEqual([[0, 10], [10, 10]])
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

describe("Pagination.distinct", () => {
  const keys = (items: ReadonlyArray<string>, window?: number) =>
    collect(Stream.fromIterable(items).pipe(Pagination.distinct((k: string) => k, window)))

  it.effect("drops a repeat within the window, keeping the first in place", () =>
    Effect.gen(function*() {
      expect(yield* keys(["a", "b", "a", "c", "b", "d"], 10)).toEqual(["a", "b", "c", "d"])
    }))

  it.effect("keys by the function given, passing the first item of each key", () =>
    Effect.gen(function*() {
      const runs = [{ id: "r1", n: 1 }, { id: "r2", n: 2 }, { id: "r1", n: 3 }]
      const out = yield* collect(Stream.fromIterable(runs).pipe(Pagination.distinct((r) => r.id)))
      expect(out).toEqual([{ id: "r1", n: 1 }, { id: "r2", n: 2 }])
    }))

  it.effect("remembers only the last `window` keys: after a window of distinct keys an old key passes again", () =>
    Effect.gen(function*() {
      // window 3: "a" is forgotten once "b", "c", "d" came after it
      expect(yield* keys(["a", "b", "c", "a", "d", "a", "b"], 3)).toEqual(["a", "b", "c", "d", "a", "b"])
      // a dropped repeat does not enter the window again
      expect(yield* keys(["a", "b", "a", "a", "c", "d", "a"], 3)).toEqual(["a", "b", "c", "d", "a"])
    }))

  it.effect("memory is bounded by the window however long the listing", () =>
    Effect.gen(function*() {
      const window = 100
      const ids = Array.from({ length: 10_000 }, (_, i) => `k${i}`)
      // each id again once `window` other ids came after it: forgotten, so passed again
      const late = [...ids.slice(0, window + 1), ...ids.slice(0, window + 1)]
      expect(yield* keys(late, window)).toHaveLength(2 * (window + 1))
      // while fewer came after it, still remembered
      const soon = [...ids.slice(0, window), ...ids.slice(0, window)]
      expect(yield* keys(soon, window)).toEqual(ids.slice(0, window))
      // a long listing of distinct ids passes whole
      expect(yield* keys(ids, window)).toHaveLength(10_000)
    }))

  it.effect("the default window is DISTINCT_WINDOW keys", () =>
    Effect.gen(function*() {
      const n = Pagination.DISTINCT_WINDOW
      expect(n).toBe(1000)
      const ids = Array.from({ length: n }, (_, i) => `k${i}`)
      expect(yield* keys([...ids, "x", "k0"])).toHaveLength(n + 2)
      expect(yield* keys([...ids, "k0"])).toHaveLength(n)
    }))

  it.effect("each run of the stream starts with an empty memory", () =>
    Effect.gen(function*() {
      const stream = Stream.fromIterable(["a", "b", "a"]).pipe(Pagination.distinct((k: string) => k, 10))
      expect(yield* collect(stream)).toEqual(["a", "b"])
      expect(yield* collect(stream)).toEqual(["a", "b"])
    }))

  it.effect("drops the repeat a shifted offset listing produces", () =>
    Effect.gen(function*() {
      // a newest-first listing of 25 grows by 2 between the first and the second page
      const fetches = yield* Ref.make(0)
      const stream = Pagination.offset(10, (offset, limit) =>
        Ref.getAndUpdate(fetches, (n) => n + 1).pipe(
          Effect.map((n) => {
            const shift = n === 0 ? 0 : 2
            const total = 25 + shift
            const items = Array.from({ length: Math.max(0, Math.min(limit, total - offset)) }, (_, k) => total - 1 - offset - k)
            return { items }
          })
        ))
      const out = yield* collect(stream.pipe(Pagination.distinct((n: number) => String(n))))
      expect(out).toEqual(Array.from({ length: 25 }, (_, i) => 24 - i))
    }))
})

describe("Pagination.cursor over run listings and step histories", () => {
  const T0 = Date.UTC(2026, 0, 15)
  /** Run `i` of a newest-first listing, created `i` minutes before T0. */
  const run = (i: number): WorkflowProvider.RunRef => ({
    provider: "acme",
    account: null,
    workflow: "wf",
    id: `run-${i}`,
    status: "complete",
    providerStatus: "completed",
    terminal: true,
    createdAt: new Date(T0 - i * 60_000).toISOString(),
    updatedAt: null
  })
  /** A newest-first run listing paged by an opaque token (`nextPageToken`), pages of `size`. */
  const runListing = (total: number, size: number, repeatFrom?: number) =>
    Effect.map(Ref.make(0), (pages) => ({
      pages: Ref.get(pages),
      stream: Pagination.cursor((token) =>
        Ref.update(pages, (n) => n + 1).pipe(Effect.as((() => {
          const at = Option.match(token, { onNone: () => 0, onSome: (t) => Number(Buffer.from(t, "base64").toString()) })
          // a listing that grew meanwhile repeats the run before the page boundary
          const from = repeatFrom !== undefined && at >= repeatFrom ? at - 1 : at
          const items = Array.from({ length: Math.max(0, Math.min(size, total - from)) }, (_, k) => run(from + k))
          const end = at + size
          return { items, next: end < total ? Buffer.from(String(end)).toString("base64") : "" }
        })())), (token) => new Repeated(token))
    }))

  it.effect("a newest-first listing stops paging at the filter's `since`", () =>
    Effect.gen(function*() {
      const { pages, stream } = yield* runListing(100, 10)
      const since = new Date(T0 - 24.5 * 60_000)
      const runs = yield* collect(WorkflowProvider.filterNewestFirst({ since })(stream))
      expect(runs.map((r) => r.id)).toEqual(Array.from({ length: 25 }, (_, i) => `run-${i}`))
      expect(yield* pages).toBe(3)
    }))

  it.effect("a run a growing listing repeats across a page boundary passes once through distinct", () =>
    Effect.gen(function*() {
      const { stream } = yield* runListing(30, 10, 10)
      const runs = yield* collect(stream.pipe(Pagination.distinct((r) => r.id)))
      expect(runs.map((r) => r.id)).toEqual(Array.from({ length: 29 }, (_, i) => `run-${i}`))
    }))

  it.effect("a history's pages are the stream's chunks, in order: a page is what a reader holds", () =>
    Effect.gen(function*() {
      const { stream } = yield* cursorListing([page(0, 3, "c1"), page(3, 0, "c2"), page(3, 2, null)])
      const chunks = yield* Stream.runCollect(Stream.mapChunks(stream, (c) => Chunk.of(Chunk.toReadonlyArray(c))))
      // (an empty page with a cursor is an empty chunk)
      expect(Chunk.toReadonlyArray(chunks)).toEqual([[0, 1, 2], [], [3, 4]])
    }))
})
