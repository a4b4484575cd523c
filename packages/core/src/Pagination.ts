/**
 * Lazy pagination: a page is fetched only when the consumer pulls past the previous one, so
 * a listing of any length runs in constant memory and respects downstream backpressure.
 *
 * @since 0.1.0
 */
import { Chunk, Effect, Option, Stream } from "effect"

/**
 * @since 0.1.0
 * @category models
 */
export interface CursorPage<A> {
  readonly items: ReadonlyArray<A>
  /** The cursor of the next page; absent or empty at the end. */
  readonly next: string | null | undefined
}

/**
 * Follows an opaque cursor until the server returns none. A page may be empty and still carry
 * a cursor (a server that filters after paging): the listing goes on past it. A cursor seen
 * twice ends the listing with `onRepeat`'s error rather than looping forever.
 *
 * @since 0.1.0
 * @category constructors
 */
export const cursor = <A, E, R>(
  fetch: (cursor: Option.Option<string>) => Effect.Effect<CursorPage<A>, E, R>,
  onRepeat: (cursor: string) => E
): Stream.Stream<A, E, R> =>
  // A fresh set per run: the same Stream value may be run again (a retry, a second export).
  Stream.suspend(() => {
    const seen = new Set<string>()
    return Stream.paginateChunkEffect(Option.none<string>(), (current) =>
      fetch(current).pipe(
        Effect.flatMap((page) => {
          const next = page.next ?? ""
          if (next === "") {
            return Effect.succeed([Chunk.unsafeFromArray(page.items), Option.none()] as const)
          }
          if (seen.has(next)) return Effect.fail(onRepeat(next))
          seen.add(next)
          return Effect.succeed([Chunk.unsafeFromArray(page.items), Option.some(Option.some(next))] as const)
        })
      ))
  })

/**
 * @since 0.1.0
 * @category models
 */
export interface OffsetPage<A> {
  readonly items: ReadonlyArray<A>
  /** Total number of items, when the server says. */
  readonly total?: number | undefined
}

/**
 * Pages by `offset`/`limit` until a short (or empty) page, or `total` is reached.
 *
 * @since 0.1.0
 * @category constructors
 */
export const offset = <A, E, R>(
  limit: number,
  fetch: (offset: number, limit: number) => Effect.Effect<OffsetPage<A>, E, R>
): Stream.Stream<A, E, R> =>
  Stream.paginateChunkEffect(0, (at) =>
    fetch(at, limit).pipe(
      Effect.map((page) => {
        const end = at + page.items.length
        const more = page.items.length >= limit && (page.total === undefined || end < page.total)
        return [Chunk.unsafeFromArray(page.items), more ? Option.some(end) : Option.none()] as const
      })
    )
  )

/**
 * Keys remembered by `distinct`: ten pages of the largest listing page here.
 *
 * @since 0.1.0
 * @category constants
 */
export const DISTINCT_WINDOW = 1000

/**
 * Passes each key once among the last `window` keys. Offset paging over a newest-first
 * listing repeats an item when new ones are added while it runs: the repeat comes from the
 * previous page's tail, shifted by as many items as were added, so remembering the last
 * `window` keys drops every repeat of a shift up to that size while memory stays bounded
 * however long the listing.
 *
 * @since 0.1.0
 * @category combinators
 */
export const distinct = <A>(key: (a: A) => string, window: number = DISTINCT_WINDOW) =>
<E, R>(self: Stream.Stream<A, E, R>): Stream.Stream<A, E, R> =>
  Stream.suspend(() => {
    const seen = new Set<string>()
    const ring: Array<string> = []
    let head = 0
    return Stream.filter(self, (a) => {
      const k = key(a)
      if (seen.has(k)) return false
      if (ring.length < window) ring.push(k)
      else {
        seen.delete(ring[head]!)
        ring[head] = k
        head = (head + 1) % window
      }
      seen.add(k)
      return true
    })
  })
