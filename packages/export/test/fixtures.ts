import { NodeFileSystem } from "@effect/platform-node"
import { ProviderError, StepRecord, WorkflowProvider } from "@steptrail/core"
import { Effect, Fiber, Stream, TestClock } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { PassThrough } from "node:stream"

export const FileSystemLive = NodeFileSystem.layer

export const tempDir = (prefix = "steptrail-export-") => fs.mkdtempSync(path.join(os.tmpdir(), prefix))

/**
 * Drives the test clock forward (`step` at a time) while real file I/O completes in between,
 * until the fiber is done; bounded by 25 seconds of real time.
 */
export const until = <A, E>(fiber: Fiber.RuntimeFiber<A, E>, step = 1000) =>
  Effect.gen(function*() {
    const start = Date.now()
    while (fiber.unsafePoll() === null && Date.now() - start < 25_000) {
      yield* TestClock.adjust(step)
      yield* Effect.promise(() => new Promise((resolve) => setImmediate(resolve)))
    }
    return yield* Fiber.join(fiber)
  })

/** Runs an effect to its end with the test clock driven forward (see `until`). */
export const drive = <A, E, R>(effect: Effect.Effect<A, E, R>) =>
  Effect.flatMap(Effect.fork(Effect.exit(effect)), (fiber) => until(fiber))

export const collect = () => {
  const sink = new PassThrough()
  const chunks: Array<Buffer> = []
  sink.on("data", (c: Buffer) => chunks.push(c))
  return { sink, text: () => Buffer.concat(chunks).toString("utf8"), bytes: () => Buffer.concat(chunks) }
}

export const lines = (text: string): Array<any> => text.trimEnd().split("\n").filter((l) => l !== "").map((l) => JSON.parse(l))

export const runIdsOf = (text: string): Array<string> => [...new Set(lines(text).map((r) => r.run_id as string))]

export const record = (run: string, index: number, overrides: Partial<StepRecord.StepRecord> = {}): StepRecord.StepRecord =>
  StepRecord.make({
    provider: "cloudflare",
    account: "0123456789abcdef0123456789abcdef",
    workflow: "wf",
    run_id: run,
    step_index: index,
    name: `step-${index}`,
    kind: "step",
    status: "complete",
    started_at: "2026-01-01T00:00:00.000Z",
    ended_at: "2026-01-01T00:00:01.000Z",
    duration_ms: 1000,
    output: { index },
    run_status: "complete",
    ...overrides
  })

export const runRef = (id: string, terminal = true, createdAt: string | null = null): WorkflowProvider.RunRef => ({
  provider: "cloudflare",
  account: "0123456789abcdef0123456789abcdef",
  workflow: "wf",
  id,
  status: terminal ? "complete" : "running",
  providerStatus: terminal ? "complete" : "running",
  terminal,
  createdAt,
  updatedAt: null
})

export interface FakeOptions {
  /** Runs in progress (the set may change between calls: runs end, appear). */
  readonly running?: ReadonlySet<string> | undefined
  /** The n-th fetch of steps (from 0) and every one after it fail. */
  readonly failAfter?: number | undefined
  readonly versions?: Readonly<Record<string, string>> | undefined
  /** Creation times by run id (ISO); none by default. */
  readonly created?: ((id: string) => string | null) | undefined
  /** What a lookup by id answers for the run's status (default: as listed). */
  readonly lookupStatus?: "unknown" | undefined
  /** A step's output instead of `{ index }`, where it gives one. */
  readonly outputOf?: ((run: string, step: number) => unknown) | undefined
  /** Runs carry a locator (`loc:<id>`) that a lookup needs: one without it is `NotFound`. */
  readonly locators?: boolean | undefined
  /** Steps come only as `stepStream`, in pages of this many records (`steps` is not there to call). */
  readonly pageSize?: number | undefined
}

export interface Calls {
  listings: Array<WorkflowProvider.RunFilter | undefined>
  lookups: Array<string>
  /** What each lookup was handed as locators, by id. */
  locators: Array<Readonly<Record<string, string>>>
  steps: number
  /** Pages of steps pulled (with `pageSize`). */
  pages: number
}

/**
 * An in-memory provider: `runs` runs of `steps` steps; run i's steps take (runs - i) ms so
 * later runs finish first when fetched concurrently. Listings honour the filter the way
 * providers do on the client (`WorkflowProvider.matches`), and calls are counted.
 */
export const fakeProvider = (
  runs: number,
  steps: number,
  listing: ReadonlyArray<string> = [],
  options: FakeOptions = {}
): WorkflowProvider.Service & { readonly calls: Calls } => {
  const ids = listing.length > 0 ? listing : Array.from({ length: runs }, (_, i) => `run-${i}`)
  const calls: Calls = { listings: [], lookups: [], locators: [], steps: 0, pages: 0 }
  const ref = (id: string) => ({
    ...runRef(id, !(options.running?.has(id) ?? false), options.created?.(id) ?? null),
    version: options.versions?.[id] ?? null,
    ...(options.locators === true ? { locator: `loc:${id}` } : {})
  })
  const service: WorkflowProvider.Service & { readonly calls: Calls } = {
    calls,
    provider: "cloudflare",
    account: "0123456789abcdef0123456789abcdef",
    runs: (_workflow, filter) =>
      Stream.suspend(() => {
        calls.listings.push(filter)
        return Stream.fromIterable(ids.map(ref)).pipe(Stream.filter((r) => WorkflowProvider.matches(filter, r)))
      }),
    lookup: (_workflow, wanted, lookupOptions) =>
      Effect.suspend(() => {
        calls.locators.push(Object.fromEntries(lookupOptions?.locators ?? []))
        const lost = wanted.find((id) => options.locators === true && lookupOptions?.locators?.get(id) !== `loc:${id}`)
        if (lost !== undefined) return Effect.fail(new ProviderError.NotFound({ provider: "cloudflare", detail: "no locator", run: lost }))
        return Effect.sync(() => wanted.map((id) => {
          calls.lookups.push(id)
          const r = ref(id)
          return options.lookupStatus === "unknown" ? { ...r, status: "unknown" as const, terminal: false, createdAt: null } : r
        }))
      }),
    steps: (run) =>
      Effect.suspend(() => {
        const n = calls.steps++
        if (options.failAfter !== undefined && n >= options.failAfter) {
          return Effect.fail(new ProviderError.Unavailable({ provider: "cloudflare", detail: "crash", run: run.id }))
        }
        const i = Number(run.id.split("-")[1])
        // a run in progress: its last step is still running
        const live = options.running?.has(run.id) ?? false
        const make = (s: number) =>
          record(run.id, s, {
            run_status: live ? "running" : "complete",
            status: live && s === steps - 1 ? "running" : "complete",
            ...(options.outputOf?.(run.id, s) !== undefined ? { output: options.outputOf(run.id, s) } : {})
          })
        // one step at a time, as a provider's answer takes longer for a longer run
        return Effect.as(Effect.sleep(steps * (Number.isNaN(i) ? 1 : Math.max(1, runs - i))), Array.from({ length: steps }, (_, s) => make(s)))
      })
  }
  if (options.pageSize === undefined) return service
  const size = options.pageSize
  const whole = service.steps
  return {
    ...service,
    steps: () => Effect.die("a paged provider's steps are read through stepStream"),
    // the same records, a page at a time
    stepStream: (run) =>
      Stream.flatMap(Stream.fromEffect(whole(run)), (records) =>
        Stream.flattenIterables(
          Stream.fromIterable(Array.from({ length: Math.ceil(records.length / size) }, (_, p) => records.slice(p * size, (p + 1) * size))).pipe(
            Stream.tap(() => Effect.sync(() => calls.pages++))
          )
        ))
  }
}
