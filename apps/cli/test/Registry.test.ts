/**
 * The command tree is derived from the providers it is given (`Main.run`'s `providers`): a
 * provider the CLI was never told about gets its `export` subcommand, its flags and
 * credential variables, its `--config` source shape and its place in help and usage errors.
 * The provider here lives in memory (no HTTP), so only the CLI's side is under test.
 */
import { describe, expect, it } from "@effect/vitest"
import { NodeExecution, ProviderConfig, type ProviderDescriptor, ProviderError, StepRecord, type WorkflowProvider } from "@steptrail/core"
import { Effect, Redacted, Stream } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { lines, run, stderrLines } from "./inProcess.js"

const KEY = "acme-secret-key-81f2"

const settings: ReadonlyArray<ProviderConfig.Setting> = [
  { name: "team", flag: "team", env: ["ACME_TEAM"], description: "The team whose runs are exported.", placeholder: "NAME" },
  { name: "apiKey", env: ["ACME_API_KEY"], secret: true, credential: "key_env", description: "The API key." }
]

/** Three runs of two nodes each, attributed to the team; the key is checked like a real provider's. */
const acme: ProviderDescriptor.Descriptor = {
  name: "acme",
  title: "Acme Pipelines",
  summary: "Export the node executions of Acme pipeline runs.",
  examples: ["export acme --workflow nightly"],
  workflow: "The pipeline's name.",
  runIds: { flag: "run", key: "runs" },
  filters: {},
  fullOutput: false,
  settings,
  make: (values) =>
    Effect.gen(function*() {
      const key = ProviderConfig.secret(values, "apiKey")
      if (key === undefined) return yield* Effect.fail(ProviderConfig.missingCredentials("acme", settings))
      if (Redacted.value(key) !== KEY) return yield* Effect.fail(new ProviderError.Unauthorized({ provider: "acme", detail: "wrong key" }))
      const account = ProviderConfig.text(values, "team") ?? null
      const ref = (workflow: string, i: number): WorkflowProvider.RunRef => ({
        provider: "acme",
        account,
        workflow,
        id: `run-${i}`,
        status: "complete",
        providerStatus: "done",
        terminal: true,
        createdAt: `2026-01-0${i + 1}T00:00:00.000Z`,
        updatedAt: null
      })
      return {
        provider: "acme",
        account,
        runs: (workflow) => Stream.fromIterable([0, 1, 2].map((i) => ref(workflow, i))),
        lookup: (workflow, ids) => Effect.succeed(ids.map((id) => ref(workflow, Number(id.slice(4))))),
        steps: (run) =>
          Effect.succeed([0, 1].map((i) =>
            NodeExecution.toRecord(run, i, {
              id: null,
              node: `node-${i}`,
              status: "complete",
              providerStatus: "done",
              startedAt: "2026-01-01T00:00:00.000Z",
              endedAt: "2026-01-01T00:00:01.000Z",
              output: { i },
              error: null
            })
          ))
      } satisfies WorkflowProvider.Service
    })
}

const providers = [acme]
const acmeRun = (argv: ReadonlyArray<string>, env: Readonly<Record<string, string>> = {}) => run(argv, { providers, env })

describe("a command tree over another provider list", () => {
  it.effect("export <provider> takes the provider's flags and credentials from the environment", () =>
    Effect.gen(function*() {
      const r = yield* acmeRun(["export", "acme", "--workflow", "nightly", "--team", "data"], { ACME_API_KEY: KEY })
      expect(r.stderr).not.toContain(KEY)
      expect(r.code, r.stderr).toBe(0)
      const records = lines(r.stdout).map((l) => JSON.parse(l) as StepRecord.StepRecord)
      expect(records.map((x) => `${x.provider}/${x.account}/${x.workflow}/${x.run_id}/${x.step_index}`)).toEqual([
        "acme/data/nightly/run-0/0", "acme/data/nightly/run-0/1",
        "acme/data/nightly/run-1/0", "acme/data/nightly/run-1/1",
        "acme/data/nightly/run-2/0", "acme/data/nightly/run-2/1"
      ])
      expect(r.stderr).toContain("exported 3 runs, 6 steps")
    }))

  it.effect("its run ids, and its missing credential named by its variable (exit 3)", () =>
    Effect.gen(function*() {
      const one = yield* acmeRun(["export", "acme", "--workflow", "nightly", "--run", "run-1", "--quiet"], { ACME_API_KEY: KEY })
      expect(one.code, one.stderr).toBe(0)
      expect(lines(one.stdout).map((l) => JSON.parse(l).run_id)).toEqual(["run-1", "run-1"])
      const missing = yield* acmeRun(["export", "acme", "--workflow", "nightly"])
      expect(missing.code).toBe(3)
      expect(stderrLines(missing)).toEqual(["steptrail: acme: not authorized: no credentials: set ACME_API_KEY"])
      expect(missing.stdout).toBe("")
    }))

  it.effect("--config: the provider's source shape, credentials named by the file", () =>
    Effect.gen(function*() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-registry-"))
      const file = path.join(dir, "steptrail.json")
      fs.writeFileSync(file, JSON.stringify({ sources: [{ provider: "acme", workflow: "nightly", team: "ops", runs: ["run-2"], credentials: { key_env: "ACME_OPS_KEY" } }] }))
      const r = yield* acmeRun(["export", "--config", file, "--quiet"], { ACME_OPS_KEY: KEY })
      expect(r.code, r.stderr).toBe(0)
      expect(lines(r.stdout).map((l) => `${JSON.parse(l).account}/${JSON.parse(l).run_id}`)).toEqual(["ops/run-2", "ops/run-2"])
      fs.writeFileSync(file, JSON.stringify({ sources: [{ provider: "cloudflare", workflow: "w" }] }))
      const other = yield* acmeRun(["export", "--config", file])
      expect(other.code).toBe(2)
      expect(stderrLines(other)).toEqual([`steptrail: config ${file}: sources[0].provider must be one of acme; got "cloudflare"`])
      fs.rmSync(dir, { recursive: true, force: true })
    }))

  it.effect("help and usage errors know it, and only it", () =>
    Effect.gen(function*() {
      const help = yield* acmeRun(["export", "--help"])
      expect(help.code).toBe(0)
      expect(help.stdout).toContain("acme")
      expect(help.stdout).not.toContain("cloudflare")
      const sub = yield* acmeRun(["export", "acme", "--help"])
      expect(sub.stdout).toContain("--team NAME")
      expect(sub.stdout).toContain("steptrail export acme --workflow nightly")
      const unknown = yield* acmeRun(["export", "cloudflare", "--workflow", "w"])
      expect(unknown.code).toBe(2)
      expect(stderrLines(unknown)).toEqual([`steptrail: unknown provider "cloudflare" for export; use one of acme`])
    }))
})
