/**
 * The runs an incremental export of a source looks at, in a fixed order so that a resumed
 * export can tell where the interrupted one stopped: first the runs the state names that a
 * listing from the watermark would not show (looked up by id), then the listing.
 */
import { ProviderError as PE, type WorkflowProvider } from "@steptrail/core"
import { Effect, Stream } from "effect"
import * as Summary from "../Summary.js"
import * as internal from "./source.js"

export interface Item {
  readonly id: string
  /** Null: a run the state names that the provider no longer has. */
  readonly run: WorkflowProvider.RunRef | null
  /** Looked up by id (a run the state names), rather than listed. */
  readonly lookedUp: boolean
}

const isNotFound = (e: PE.ProviderError): e is PE.NotFound => e._tag === "NotFound"

/**
 * Runs by id (with the locators the state kept), a batch at a time; an id the provider cannot
 * find gives a null run.
 */
export const lookups = (
  source: internal.SourceLike,
  ids: ReadonlyArray<string>,
  locators?: ReadonlyMap<string, string>
): Stream.Stream<Item, PE.ProviderError> =>
  Stream.fromIterable(ids).pipe(
    Stream.grouped(100),
    Stream.mapEffect((chunk) => {
      const batch = [...chunk]
      const options = { locators }
      return source.provider.lookup(source.workflow, batch, options).pipe(
        Effect.map((runs) => runs.map((run): Item => ({ id: run.id, run, lookedUp: true }))),
        // one gone run fails the batch: ask again one by one
        Effect.catchIf(isNotFound, () =>
          Effect.forEach(batch, (id) =>
            source.provider.lookup(source.workflow, [id], options).pipe(
              Effect.map((runs): Item => ({ id, run: runs[0] ?? null, lookedUp: true })),
              Effect.catchIf(isNotFound, () => Effect.succeed<Item>({ id, run: null, lookedUp: true }))
            )))
      )
    }),
    Stream.flattenIterables
  )

/**
 * The listing after the first `n` runs an interrupted export handled, the last of them
 * `last`. Resumes after `last` wherever it now is (runs added or removed before it move it);
 * if it is no longer listed, after the first `n` runs of a new listing.
 */
export const resumeListing = (
  list: () => Stream.Stream<WorkflowProvider.RunRef, PE.ProviderError>,
  n: number,
  last: string | null
): Stream.Stream<WorkflowProvider.RunRef, PE.ProviderError> => {
  if (n <= 0) return list()
  if (last === null) return Stream.drop(list(), n)
  return Stream.suspend(() => {
    let found = false
    const after = Stream.filter(list(), (run) => {
      if (found) return true
      found = run.id === last
      return false
    })
    const fallback = Stream.suspend(() =>
      found ? Stream.empty : Stream.unwrap(
        Effect.as(
          Effect.logWarning(`run ${last}, where the interrupted export stopped, is no longer listed; resuming after the first ${Summary.count(n, "run")}`),
          Stream.drop(list(), n)
        )
      )
    )
    return Stream.concat(after, fallback)
  })
}
