/**
 * A fourth provider is one small module built from the kit (`fixtures/Acme.ts`, the example
 * of `docs/adding-a-provider.md`): it runs through `Export`, follow mode, and the CLI's
 * `export` subcommands and `--config` once it is in the registry.
 */
import { FetchHttpClient } from "@effect/platform"
import { describe, expect, it } from "@effect/vitest"
import { RateBudget, StepRecord, WorkflowProvider } from "@steptrail/core"
import { Export, Follow, Output } from "@steptrail/export"
import { ConfigProvider, Effect, Fiber, Layer, Redacted, Schema } from "effect"
import { PassThrough } from "node:stream"
import * as Acme from "./fixtures/Acme.js"
import * as AcmeServer from "./fixtures/AcmeServer.js"
import { lines as nonEmpty, run, stderrLines } from "./inProcess.js"
import { registries } from "./registries.js"

const sink = () => {
  const stream = new PassThrough()
  const chunks: Array<Buffer> = []
  stream.on("data", (c: Buffer) => chunks.push(c))
  return { stream, lines: () => Buffer.concat(chunks).toString("utf8").split("\n").filter((l) => l !== "").map((l) => JSON.parse(l)) }
}

const valid = Schema.is(StepRecord.StepRecord)

const provider = (baseUrl: string) =>
  WorkflowProvider.WorkflowProvider.pipe(
    Effect.provide(Acme.layer({ apiKey: Redacted.make(AcmeServer.TOKEN), baseUrl }).pipe(Layer.provide(FetchHttpClient.layer))),
    Effect.provide(RateBudget.layer())
  )

describe("an example provider built from the kit", () => {
  it.scopedLive("exports every run through Export.run: valid records, each key once, runs in listing order", () =>
    Effect.gen(function*() {
      const server = yield* AcmeServer.start({ runs: 5 })
      const acme = yield* provider(server.baseUrl)
      const out = sink()
      const summary = yield* Export.run([{ provider: acme, workflow: "nightly" }], Output.stdout(out.stream), { concurrency: 2 })
      const lines = out.lines()
      expect(summary.runs).toBe(5)
      expect(lines).toHaveLength(10)
      expect(lines.every(valid)).toBe(true)
      expect(new Set(lines.map((l) => StepRecord.key(l))).size).toBe(10)
      expect(lines.map((l) => l.run_id)).toEqual(["run-4", "run-4", "run-3", "run-3", "run-2", "run-2", "run-1", "run-1", "run-0", "run-0"])
      expect(lines[0]).toMatchObject({ provider: "acme", kind: "node", name: "fetch", status: "complete", run_status: "errored" })
      expect(lines.filter((l) => l.status === "errored").map((l) => l.run_id)).toEqual(["run-4"])
      // three listing pages of two, then a node list per run
      expect(server.requests().filter((r) => r.includes("/runs?page=")).length).toBe(3)
    }))

  it.scopedLive("looks runs up by id, and fails an unknown one with NotFound naming it", () =>
    Effect.gen(function*() {
      const server = yield* AcmeServer.start({ runs: 3 })
      const acme = yield* provider(server.baseUrl)
      expect((yield* acme.lookup("nightly", ["run-2", "run-0", "run-2"])).map((r) => r.id)).toEqual(["run-2", "run-0"])
      const missing = yield* Effect.flip(acme.lookup("nightly", ["run-9"]))
      expect(missing.message).toBe("acme: not found (HTTP 404): no such run (workflow nightly, run run-9)")
    }))

  it.scopedLive("follows it: settled steps written once, runs created meanwhile picked up", () =>
    Effect.gen(function*() {
      const server = yield* AcmeServer.start({ runs: 3, running: [2] })
      const acme = yield* provider(server.baseUrl)
      const out = sink()
      const fiber = yield* Effect.fork(
        Follow.run([{ provider: acme, workflow: "nightly" }], Output.stdout(out.stream), { poll: "300 millis", timeout: "2 seconds" })
      )
      yield* Effect.sleep("500 millis")
      const added = server.add() // a new run, running
      yield* Effect.sleep("500 millis")
      server.finish()
      const summary = yield* Fiber.join(fiber)
      const lines = out.lines()
      expect(new Set(lines.map((l) => StepRecord.key(l))).size).toBe(lines.length)
      expect(lines).toHaveLength(8) // 4 runs x 2 nodes, each once
      expect(lines.every((l) => l.status === "complete" || l.status === "errored")).toBe(true)
      expect(lines.filter((l) => l.run_id === added)).toHaveLength(2)
      expect(summary.newRuns).toBe(1)
    }))

  it.effect("its layers read the CLI's way of configuring (Effect Config), and refuse a missing key at build", () =>
    Effect.gen(function*() {
      const resolved = yield* Effect.flatMap(WorkflowProvider.WorkflowProvider, (p) => Effect.succeed(p.provider)).pipe(
        Effect.provide(Acme.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))),
        Effect.withConfigProvider(ConfigProvider.fromMap(new Map([["ACME_API_KEY", "k"], ["ACME_BASE_URL", "https://acme.test/v1"]])))
      )
      expect(resolved).toBe("acme")
      const refused = yield* Effect.flip(
        WorkflowProvider.WorkflowProvider.pipe(
          Effect.provide(Acme.layerConfig().pipe(Layer.provide(FetchHttpClient.layer))),
          Effect.withConfigProvider(ConfigProvider.fromMap(new Map()))
        )
      )
      expect(refused.message).toBe("acme: not authorized: no credentials: set ACME_API_KEY")
    }))

  it.scopedLive("the CLI exports it once it is registered (here, in a test only): flags, statuses, credentials", () =>
    Effect.gen(function*() {
      const server = yield* AcmeServer.start({ runs: 5 })
      const { providers } = registries[1]!
      const env = { ACME_API_KEY: AcmeServer.TOKEN }
      const r = yield* run(["export", "acme", "--base-url", server.baseUrl, "--workflow", "nightly", "--status", "failed", "--quiet"], { providers, env })
      expect(r.code, r.stderr).toBe(0)
      const records = nonEmpty(r.stdout).map((l) => JSON.parse(l) as StepRecord.StepRecord)
      expect(records.every(valid)).toBe(true)
      expect(records.map((x) => `${x.provider}/${x.run_id}/${x.run_status}`)).toEqual(["acme/run-4/errored", "acme/run-4/errored"])
      const missing = yield* run(["export", "acme", "--base-url", server.baseUrl, "--workflow", "nightly"], { providers })
      expect(missing.code).toBe(3)
      expect(stderrLines(missing)).toEqual(["steptrail: acme: not authorized: no credentials: set ACME_API_KEY"])
    }))
})
