/**
 * Concurrent work over a stream, handed on in the stream's order, with memory bounded by
 * what is in flight: at most `concurrency` items are worked on at once, and no new work
 * starts while the finished results waiting for an earlier item pass `budget` (an item is
 * always let in when it would be the next one handed on, so a large item cannot stall).
 *
 * So what is held at any time is at most `budget` plus `concurrency` items (the largest
 * ones, in the worst case), whatever the length of the stream.
 *
 * `concurrency` long-lived workers take the items a dispatcher lets in; the caller's fiber
 * hands the results on. No fiber or queue per item: the bookkeeping is a few counters, an
 * array of slots in order and one latch everyone waits on for a change.
 */
import { Effect, Exit, Stream } from "effect"

interface Slot<I, A, E> {
  readonly item: I
  /** How its work ended: undefined while it is worked on, null for an item without work. */
  exit: Exit.Exit<A, E> | null | undefined
  bytes: number
}

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
    // items let in and not yet handed on, in order (`head` is the next to hand on)
    const slots: Array<Slot<I, A, E>> = []
    let head = 0
    // items let in and not yet taken by a worker, with their work
    const todo: Array<readonly [Slot<I, A, E>, Effect.Effect<A, E, R>]> = []
    let next = 0
    let busy = 0 // workers at work
    let waiting = 0 // bytes of finished results not yet handed on
    let ended: Exit.Exit<void, E> | undefined // how the stream of items ended
    const changed = yield* Effect.makeLatch(false)
    const signal = () => changed.unsafeOpen()
    // Waits for `ready` to hold. Closed before the second check, so a change between the two
    // is not lost.
    const until = (ready: () => boolean): Effect.Effect<void> =>
      Effect.suspend(() =>
        ready() ? Effect.void : Effect.zipRight(changed.close, Effect.suspend(() => (ready() ? Effect.void : Effect.zipRight(changed.await, until(ready)))))
      )

    const outstanding = () => slots.length - head
    // a slot for an item without work is only bounded in number: a long run of them behind
    // one slow item does not pile up
    const cap = Math.max(64, concurrency * 4)
    const letIn = (item: I) =>
      Effect.suspend(() => {
        const effect = work(item)
        if (effect === undefined) {
          return Effect.zipRight(
            until(() => outstanding() < cap),
            Effect.sync(() => {
              slots.push({ item, exit: null, bytes: 0 })
              signal()
            })
          )
        }
        return Effect.zipRight(
          until(() => outstanding() < cap && busy + (todo.length - next) < concurrency && (outstanding() === 0 || waiting <= budget)),
          Effect.sync(() => {
            const slot: Slot<I, A, E> = { item, exit: undefined, bytes: 0 }
            slots.push(slot)
            todo.push([slot, effect])
            signal()
          })
        )
      })

    const worker: Effect.Effect<never, never, R> = Effect.forever(
      Effect.zipRight(
        until(() => next < todo.length),
        Effect.suspend(() => {
          const [slot, effect] = todo[next]!
          todo[next++] = undefined as never // nothing handed out is kept
          if (next >= 1024 && next * 2 >= todo.length) {
            todo.splice(0, next)
            next = 0
          }
          busy++
          return Effect.flatMap(Effect.exit(effect), (exit) =>
            Effect.sync(() => {
              busy--
              slot.exit = exit
              if (exit._tag === "Success") {
                slot.bytes = size(exit.value)
                waiting += slot.bytes
              }
              signal()
            }))
        })
      )
    )
    for (let i = 0; i < concurrency; i++) yield* Effect.forkScoped(worker)
    yield* Stream.runForEach(options.items, letIn).pipe(
      Effect.exit,
      Effect.flatMap((exit) =>
        Effect.sync(() => {
          ended = exit
          signal()
        })
      ),
      Effect.forkScoped
    )

    while (true) {
      yield* until(() => (head < slots.length && slots[head]!.exit !== undefined) || (head === slots.length && ended !== undefined))
      if (head === slots.length) {
        const end = ended!
        return yield* (Exit.isSuccess(end) ? Effect.void : Effect.failCause(end.cause))
      }
      const slot = slots[head]!
      const exit = slot.exit!
      if (exit !== null && Exit.isFailure(exit)) return yield* Effect.failCause(exit.cause)
      yield* each(slot.item, exit === null ? undefined : exit.value)
      // a result handed on is released at once (the array only keeps the slots to come)
      slots[head++] = undefined as never
      if (head >= 1024 && head * 2 >= slots.length) {
        slots.splice(0, head)
        head = 0
      }
      waiting -= slot.bytes
      signal()
    }
  }))
