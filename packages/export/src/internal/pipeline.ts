/**
 * Concurrent work over a stream, handed on in the stream's order, with memory bounded by
 * what is in flight: at most `concurrency` items are worked on at once, and no new work
 * starts while the finished results waiting for an earlier item pass `budget` (a result is
 * always allowed when it is the next to be handed on, so a large item cannot stall).
 *
 * So what is held at any time is at most `budget` plus `concurrency` items (the largest
 * ones, in the worst case), whatever the length of the stream. One fiber per item and one
 * dispatcher: cheaper than `Stream.mapEffect` with concurrency, which costs a fiber
 * handoff and a queue per element.
 */
import { type Cause, Effect, Fiber, Queue, Stream } from "effect"

interface Slot<I, A, E> {
  readonly item: I
  fiber: Fiber.Fiber<A, E> | undefined
  bytes: number
}

type Entry<I, A, E> = Slot<I, A, E> | { readonly end: true; readonly cause: Cause.Cause<E> | undefined }

/**
 * @param work the item's work, or `undefined` when it has none (handed on as is, in order)
 * @param size the bytes a result holds while it waits its turn
 * @param each called once per item, in the stream's order, with the result of its work
 */
export const inOrder = <I, A, E, R, E2, R2>(options: {
  readonly items: Stream.Stream<I, E, R>
  readonly work: (item: I) => Effect.Effect<A, E, R> | undefined
  readonly size: (result: A) => number
  readonly each: (item: I, result: A | undefined) => Effect.Effect<void, E2, R2>
  readonly concurrency: number
  readonly budget: number
}): Effect.Effect<void, E | E2, R | R2> =>
  Effect.scoped(Effect.gen(function*() {
    const { budget, each, size, work } = options
    const concurrency = Math.max(1, options.concurrency)
    // items whose work is not needed pass through quickly; the bound keeps a long run of
    // them behind one slow item from piling up
    const queue = yield* Queue.bounded<Entry<I, A, E>>(Math.max(64, concurrency * 4))
    const permits = yield* Effect.makeSemaphore(concurrency)
    const wake = yield* Effect.makeLatch(true)
    let waiting = 0 // bytes of finished results not yet handed on
    let outstanding = 0 // items queued and not yet handed on

    // Closed before the check, so a hand-off between the check and the wait still wakes it.
    const roomForMore: Effect.Effect<void> = Effect.suspend(() =>
      wake.close.pipe(
        Effect.zipRight(Effect.suspend(() => (outstanding === 0 || waiting <= budget ? Effect.void : Effect.zipRight(wake.await, roomForMore))))
      )
    )

    const dispatch = (item: I) =>
      Effect.suspend(() => {
        const effect = work(item)
        if (effect === undefined) {
          outstanding++
          return Queue.offer(queue, { item, fiber: undefined, bytes: 0 })
        }
        // the budget is checked once the permit is ours: a result that lands while we wait
        // for the permit counts
        return permits.take(1).pipe(
          Effect.zipRight(roomForMore),
          Effect.zipRight(Effect.suspend(() => {
            outstanding++
            const slot: Slot<I, A, E> = { item, fiber: undefined, bytes: 0 }
            return effect.pipe(
              Effect.tap((result) =>
                Effect.sync(() => {
                  slot.bytes = size(result)
                  waiting += slot.bytes
                })
              ),
              Effect.ensuring(permits.release(1)),
              Effect.forkScoped,
              Effect.flatMap((fiber) => {
                slot.fiber = fiber
                return Queue.offer(queue, slot)
              })
            )
          }))
        )
      })

    yield* Stream.runForEach(options.items, dispatch).pipe(
      Effect.matchCauseEffect({
        onSuccess: () => Queue.offer(queue, { end: true, cause: undefined }),
        onFailure: (cause) => Queue.offer(queue, { end: true, cause })
      }),
      Effect.forkScoped
    )

    while (true) {
      const entry = yield* Queue.take(queue)
      if ("end" in entry) {
        if (entry.cause !== undefined) return yield* Effect.failCause(entry.cause)
        return
      }
      const result = entry.fiber === undefined ? undefined : yield* Fiber.join(entry.fiber)
      yield* each(entry.item, result)
      outstanding--
      waiting -= entry.bytes
      yield* wake.open
    }
  }))
