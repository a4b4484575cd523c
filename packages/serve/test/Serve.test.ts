/**
 * `serve` on one runner over SQLite, in process, against the emulator with live runs: every
 * source captured until its runs settle, the table equal to the emulator's truth; stopped
 * mid-export and started again, it resumes from the database and loses nothing; a source that
 * keeps failing is retried and reported while the others are captured.
 */
import { SqliteClient } from "@effect/sql-sqlite-node"
import * as SqlClient from "@effect/sql/SqlClient"
import { Cloudflare } from "@steptrail/cloudflare"
import { RateBudget, StepRecord, type WorkflowProvider } from "@steptrail/core"
import { Tables } from "@steptrail/database"
import { Emulator } from "@steptrail/emulator"
import { Ndjson } from "@steptrail/export"
import { Cluster, Serve } from "@steptrail/serve"
import { describe, expect, it } from "@effect/vitest"
import { FetchHttpClient } from "@effect/platform"
import { Deferred, Effect, Fiber, Layer, Metric, MetricState, Redacted, Stream } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"

const TOKEN = "serve-token"

const tempFile = () => path.join(fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-serve-")), "serve.db")

const cloudflare = (emu: Emulator.Emulator, overrides: Partial<Cloudflare.Config> = {}) =>
  Cloudflare.make({
    accountId: emu.info.cloudflare.accountId,
    apiToken: Redacted.make(TOKEN),
    baseUrl: emu.info.cloudflare.baseUrl,
    ...overrides
  }).pipe(Effect.provide(FetchHttpClient.layer))

const sourceOf = (provider: WorkflowProvider.Service, workflow: string, name: string): Serve.Source => ({
  provider,
  workflow,
  fullOutput: true,
  name,
  credential: `${provider.provider} ${TOKEN}`
})

/** `serve` over `sources` into `file`, as a layer. */
const serveLayer = (file: string, sources: ReadonlyArray<Serve.Source>, options: Partial<Serve.Options> = {}) =>
  Serve.layer(sources, { target: "sqlite:serve.db", poll: "200 millis", batchRows: 40, backoff: "50 millis", maxBackoff: "200 millis", ...options }).pipe(
    Layer.provide(Cluster.single()),
    Layer.provide(SqliteClient.layer({ filename: file }))
  )

/** `serve` over `sources` into `file` until interrupted. */
const serve = (file: string, sources: ReadonlyArray<Serve.Source>) => Layer.launch(serveLayer(file, sources))

/** `serve` forked, with its `Drain` once the layer is up. */
const serveDrainable = (file: string, sources: ReadonlyArray<Serve.Source>, options: Partial<Serve.Options> = {}) =>
  Effect.gen(function*() {
    const drain = yield* Deferred.make<Serve.Drain["Type"]>()
    const fiber = yield* Effect.fork(
      Effect.flatMap(Serve.Drain, (d) => Effect.zipRight(Deferred.succeed(drain, d), Effect.never)).pipe(Effect.provide(serveLayer(file, sources, options)))
    )
    return { fiber, drain: yield* Deferred.await(drain) }
  })

/** The source's row of `steptrail_sources`: its progress (an export under way) and owner. */
const sourceRow = (file: string) =>
  Effect.flatMap(SqlClient.SqlClient, (sql) => sql<{ progress: string | null; owner: string | null }>`SELECT progress, owner FROM ${sql(Tables.SOURCES)}`.withoutTransform).pipe(
    Effect.provide(SqliteClient.layer({ filename: file })),
    Effect.orDie
  )

/** The value of a source's counter. */
const counter = (metric: Metric.Metric.Counter<number>, source: Serve.Source) =>
  Effect.map(
    Metric.value(Metric.tagged(metric, "source", Serve.keyOf(source))) as Effect.Effect<MetricState.MetricState.Counter<number>>,
    (state) => state.count
  )

const lines = (records: ReadonlyArray<Record<string, unknown>>) =>
  records.map((r) => Ndjson.line(r as never)).sort()

/** The table read back as NDJSON lines, and whether a key is there twice. */
const table = (file: string) =>
  Effect.gen(function*() {
    const sql = yield* SqlClient.SqlClient
    const rows = yield* sql<Record<string, unknown>>`SELECT * FROM ${sql(Tables.STEPS)}`.withoutTransform
    const records = rows.map((r) => Tables.recordOf(r, true))
    const keys = new Set(records.map((r) => StepRecord.key(r as never)))
    return { lines: lines(records), distinct: keys.size === records.length }
  }).pipe(Effect.provide(SqliteClient.layer({ filename: file })), Effect.orDie)

/** What a clean export of every run holds now, as NDJSON lines. */
const truth = (provider: WorkflowProvider.Service, workflow: string) =>
  provider.runs(workflow).pipe(
    Stream.mapEffect((run) => provider.steps(run, { fullOutput: true }), { concurrency: 4 }),
    Stream.flattenIterables,
    Stream.runCollect,
    Effect.map((records) => lines([...records] as never))
  )

/** Moves the emulator's clock past every live run's end, then waits for the table to equal the truth. */
const settle = (emu: Emulator.Emulator, provider: WorkflowProvider.Service, file: string) =>
  Effect.gen(function*() {
    const last = Math.max(...emu.fixtures.cloudflare.live.map((r) => Date.parse(r.settledAt)))
    for (let i = 0; i < 200 && (yield* emu.now) <= last; i++) {
      yield* emu.advance(60_000)
      yield* Effect.sleep("20 millis")
    }
    const expected = yield* truth(provider, emu.info.cloudflare.workflow)
    let found = yield* table(file)
    for (let i = 0; i < 150 && found.lines.join("\n") !== expected.join("\n"); i++) {
      yield* Effect.sleep("200 millis")
      found = yield* table(file)
    }
    return { expected, found }
  })

/** Polls until the table has rows (bounded): how many. */
const firstRows = (file: string) =>
  Effect.gen(function*() {
    let rows = 0
    for (let i = 0; i < 200 && rows === 0; i++) {
      yield* Effect.sleep("50 millis")
      rows = (yield* table(file)).lines.length
    }
    return rows
  })

/** A runner started again on `file`: once the live runs settle, the table is the truth, no key twice. */
const resumesToTruth = (emu: Emulator.Emulator, provider: WorkflowProvider.Service, file: string, source: Serve.Source) =>
  Effect.gen(function*() {
    const second = yield* Effect.fork(serve(file, [source]))
    const { expected, found } = yield* settle(emu, provider, file)
    yield* Fiber.interrupt(second)
    expect(found.lines).toEqual(expected)
    expect(found.distinct).toBe(true)
  })

describe("serve on one runner (SQLite)", () => {
  it.scopedLive("captures new and live runs until they settle: the table equals the emulator's truth, no key twice", () =>
    Effect.gen(function*() {
      const emu = yield* Emulator.start({ token: TOKEN, seed: 19, cloudflare: { instances: 30, live: 3 } })
      const provider = yield* cloudflare(emu)
      const file = tempFile()
      const fiber = yield* Effect.fork(serve(file, [sourceOf(provider, emu.info.cloudflare.workflow, "cf")]))
      // live runs are captured while in flight: a row of a run not yet settled shows up first
      let running = false
      for (let i = 0; i < 100 && !running; i++) {
        yield* Effect.sleep("100 millis")
        running = (yield* table(file)).lines.some((l) => JSON.parse(l).run_status === "running")
      }
      expect(running).toBe(true)
      const { expected, found } = yield* settle(emu, provider, file)
      yield* Fiber.interrupt(fiber)
      expect(expected.length).toBeGreaterThan(30)
      expect(found.lines).toEqual(expected)
      expect(found.distinct).toBe(true)
      // the live runs were followed until they settled
      const live = new Set(emu.fixtures.cloudflare.live.map((r) => r.id))
      const liveRows = found.lines.map((l) => JSON.parse(l)).filter((r) => live.has(r.run_id))
      expect(new Set(liveRows.map((r) => r.run_id))).toEqual(live)
      expect(liveRows.every((r) => r.run_status !== "running")).toBe(true)
    }).pipe(Effect.provide(RateBudget.layer())), 120_000)

  it.scopedLive("stopped mid-export and started again, it resumes from the database and loses nothing", () =>
    Effect.gen(function*() {
      // slow answers, so that the first runner is stopped with runs still to fetch
      const emu = yield* Emulator.start({ token: TOKEN, seed: 23, cloudflare: { instances: 60, live: 2 }, latency: { minMs: 30, maxMs: 30 } })
      const provider = yield* cloudflare(emu)
      const file = tempFile()
      const source = sourceOf(provider, emu.info.cloudflare.workflow, "cf")
      const first = yield* Effect.fork(serve(file, [source]))
      yield* firstRows(file)
      yield* Fiber.interrupt(first)
      const expectedNow = yield* truth(provider, emu.info.cloudflare.workflow)
      const stopped = yield* table(file)
      expect(stopped.lines.length).toBeGreaterThan(0)
      expect(stopped.lines.length).toBeLessThan(expectedNow.length)
      // the source was released: a second runner on the same file takes it at once
      yield* resumesToTruth(emu, provider, file, source)
    }).pipe(Effect.provide(RateBudget.layer())), 120_000)

  it.scopedLive("a source that keeps failing is retried with backoff and counted, and never stops the others", () =>
    Effect.gen(function*() {
      const emu = yield* Emulator.start({ token: TOKEN, seed: 29, cloudflare: { instances: 12, live: 1 } })
      const good = yield* cloudflare(emu)
      // another credential, refused by the emulator on every request
      const bad = yield* cloudflare(emu, { apiToken: Redacted.make("not-the-token"), accountId: "fedcba9876543210fedcba9876543210" })
      const file = tempFile()
      const fiber = yield* Effect.fork(serve(file, [
        { ...sourceOf(bad, emu.info.cloudflare.workflow, "refused"), credential: "cloudflare refused" },
        sourceOf(good, emu.info.cloudflare.workflow, "cf")
      ]))
      const { expected, found } = yield* settle(emu, good, file)
      const errors = Metric.tagged(Serve.metrics.errors, "source", Serve.keyOf({ provider: bad, workflow: emu.info.cloudflare.workflow }))
      let failed = 0
      for (let i = 0; i < 50 && failed < 2; i++) {
        failed = (yield* Metric.value(errors) as Effect.Effect<MetricState.MetricState.Counter<number>>).count
        if (failed < 2) yield* Effect.sleep("100 millis")
      }
      yield* Fiber.interrupt(fiber)
      expect(found.lines).toEqual(expected)
      expect(failed).toBeGreaterThanOrEqual(2)
    }).pipe(Effect.provide(RateBudget.layer())), 120_000)
  it.scopedLive("drained mid-pass: the runs being fetched are finished and committed as progress, no request after it; resumed, no key twice and nothing lost", () =>
    Effect.gen(function*() {
      // slow answers, so that the drain comes with runs being fetched and many still to list
      const emu = yield* Emulator.start({ token: TOKEN, seed: 41, cloudflare: { instances: 60, live: 2 }, latency: { minMs: 30, maxMs: 30 } })
      const provider = yield* cloudflare(emu)
      const file = tempFile()
      const source = sourceOf(provider, emu.info.cloudflare.workflow, "cf")
      const first = yield* serveDrainable(file, [source])
      const partial = yield* firstRows(file)
      expect(partial).toBeGreaterThan(0)
      yield* first.drain.drain.pipe(Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error("the drain did not end") }))
      const drained = yield* table(file)
      const stats = yield* emu.stats
      // what was fetched was committed: every run whose instance was asked for, whole
      const truthNow = yield* truth(provider, emu.info.cloudflare.workflow)
      const runsIn = (lines: ReadonlyArray<string>) => new Set(lines.map((l) => JSON.parse(l).run_id as string))
      const committed = runsIn(drained.lines)
      expect(committed.size).toBe(stats.providers.cloudflare.routes.getInstance?.requests)
      expect(drained.lines).toEqual(truthNow.filter((l) => committed.has(JSON.parse(l).run_id)))
      expect(committed.size).toBeLessThan(runsIn(truthNow).size)
      // as progress: the pass was not finished, the next one resumes after it
      const [row] = yield* sourceRow(file)
      expect(row!.progress).not.toBe(null)
      // and nothing more: no request, no row, while the cluster still runs
      const requests = (yield* emu.stats).requests
      yield* Effect.sleep("1 second")
      expect((yield* emu.stats).requests).toBe(requests)
      expect((yield* table(file)).lines).toEqual(drained.lines)
      yield* Fiber.interrupt(first.fiber)
      // started again, it resumes: the table ends equal to the truth, no key twice
      yield* resumesToTruth(emu, provider, file, source)
    }).pipe(Effect.provide(RateBudget.layer())), 120_000)

  it.scopedLive("a drain does not wait for a source sleeping between passes or in backoff, and neither starts another pass", () =>
    Effect.gen(function*() {
      const emu = yield* Emulator.start({ token: TOKEN, seed: 43, cloudflare: { instances: 5, live: 0 } })
      const good = yield* cloudflare(emu)
      const bad = yield* cloudflare(emu, { apiToken: Redacted.make("not-the-token"), accountId: "fedcba9876543210fedcba9876543210" })
      const file = tempFile()
      const refused = { ...sourceOf(bad, emu.info.cloudflare.workflow, "refused"), credential: "cloudflare refused" }
      const cf = sourceOf(good, emu.info.cloudflare.workflow, "cf")
      // passes and retries come every 300 ms: within the second after the drain, several would
      const running = yield* serveDrainable(file, [refused, cf], { poll: "300 millis", backoff: "300 millis", maxBackoff: "300 millis" })
      const passes0 = yield* counter(Serve.metrics.passes, cf)
      const errors0 = yield* counter(Serve.metrics.errors, refused)
      for (let i = 0; i < 100 && ((yield* counter(Serve.metrics.passes, cf)) < passes0 + 2 || (yield* counter(Serve.metrics.errors, refused)) < errors0 + 2); i++) {
        yield* Effect.sleep("50 millis")
      }
      const started = Date.now()
      yield* running.drain.drain.pipe(Effect.timeoutFail({ duration: "10 seconds", onTimeout: () => new Error("the drain did not end") }))
      expect(Date.now() - started).toBeLessThan(1000)
      const passes = yield* counter(Serve.metrics.passes, cf)
      const errors = yield* counter(Serve.metrics.errors, refused)
      const requests = (yield* emu.stats).requests
      yield* Effect.sleep("1200 millis")
      expect(yield* counter(Serve.metrics.passes, cf)).toBe(passes)
      expect(yield* counter(Serve.metrics.errors, refused)).toBe(errors)
      expect((yield* emu.stats).requests).toBe(requests)
      yield* Fiber.interrupt(running.fiber)
    }).pipe(Effect.provide(RateBudget.layer())), 60_000)
})
