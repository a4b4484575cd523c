/**
 * The runs an incremental export of a source looks at, in a fixed order so that a resumed
 * export can tell where the interrupted one stopped: first the runs the state names that a
 * listing from the watermark would not show (looked up by id), then the listing.
 */
import { ProviderError as PE, type StepRecord, type WorkflowProvider } from "@steptrail/core"
import { Effect, Stream } from "effect"
import * as Summary from "../Summary.js"
import * as internal from "./source.js"
import { isUnchanged, markOf, type Window } from "./window.js"

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

/**
 * The items of an incremental export of `source` (the state file's or a store's, `old`
 * holding what the last export learnt), resumed after the first `passed` (the last `last`),
 * and which of them are unchanged since and need no fetch.
 */
export const select = (
  source: internal.SourceLike & { readonly filter?: WorkflowProvider.RunFilter | undefined },
  old: Window,
  passed: number,
  last: string | null
): {
  readonly items: Stream.Stream<Item, PE.ProviderError>
  readonly unchanged: (item: Item) => boolean
} => {
  let since = source.filter?.since
  const from = old.since()
  if (from !== undefined && (since === undefined || from > since)) since = from
  // runs not terminal last time that a listing from `since` does not show
  const lookupIds = since === undefined ? [] : old.openRuns()
    .filter(([, mark]) => mark.created == null || Date.parse(mark.created) < since!.getTime())
    .map(([id]) => id)
    .sort()
  const looked = new Set(lookupIds)
  const filter = { ...source.filter, since }
  const items = Stream.concat(
    lookups(
      source,
      lookupIds.slice(Math.min(passed, lookupIds.length)),
      internal.locatorsOf(old.openRuns().map(([id, mark]) => ({ id, locator: mark.locator })))
    ),
    resumeListing(
      () => Stream.filter(internal.listing(source, filter), (run) => !looked.has(run.id)),
      passed - lookupIds.length,
      last
    ).pipe(Stream.map((run): Item => ({ id: run.id, run, lookedUp: false })))
  )
  const unchanged = (item: Item) => {
    const run = item.run
    if (run === null) return false
    if (!item.lookedUp && run.terminal && old.isRecent(run.id)) return true
    const mark = old.openMark(run.id)
    return mark !== undefined && isUnchanged(run, mark)
  }
  return { items, unchanged }
}

/**
 * Records a handled item in the next state (`window`): a run gone from the provider is
 * dropped, an unchanged one keeps its mark, a fetched one is marked with the count of its
 * records and the run status they were fetched in.
 */
export const record = (
  window: Window,
  old: Window,
  item: Item,
  fetched: { readonly steps: number; readonly runStatus: StepRecord.RunStatus | null } | undefined
): void => {
  const run = item.run
  if (run === null) window.drop(item.id)
  else if (fetched === undefined) window.add(run, old.openMark(run.id) ?? markOf(run, 0))
  else window.add(run, markOf(run, fetched.steps, fetched.runStatus))
}
