import { expect, layer } from "@effect/vitest"
import { Emulator } from "@steptrail/emulator"
import { Effect } from "effect"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import * as zlib from "node:zlib"
import { lines, run as runWith, runWithEnv as run, stderrLines } from "./inProcess.js"


const TOKEN = "pipelines-token"

layer(Emulator.layer({ token: TOKEN, seed: 8, orchestra: { runs: 12 } }))("pipeline outputs", (it) => {
  const orch = (info: Emulator.Info, ...extra: Array<string>) => ["export", "orchestra", "--base-url", info.orchestra.baseUrl, "--workflow", info.orchestra.workflow, "--quiet", ...extra]
  const env = { ORCHESTRA_API_KEY: TOKEN }

  it.effect("--out FILE.ndjson.gz writes gzip holding exactly the plain export", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.EmulatorTag
      const plain = yield* run(orch(info), env)
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-gz-")), "runs.ndjson.gz")
      const r = yield* run(orch(info, "--out", file), env)
      expect(r.code).toBe(0)
      expect(zlib.gunzipSync(fs.readFileSync(file)).toString("utf8")).toBe(plain.stdout)
    }))

  it.effect("--gzip to stdout writes gzip holding exactly the plain export; refused when stdout is a terminal", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.EmulatorTag
      const plain = yield* run(orch(info), env)
      const r = yield* run(orch(info, "--gzip"), env)
      expect(r.code).toBe(0)
      expect(zlib.gunzipSync(r.stdoutBytes).toString("utf8")).toBe(plain.stdout)
      const tty = yield* runWith(orch(info, "--gzip"), { env, isTTY: true })
      expect(tty.code).toBe(2)
      expect(stderrLines(tty)).toEqual(["steptrail: --gzip would write binary data to a terminal; redirect stdout or use --out FILE"])
      expect(tty.stdout).toBe("")
    }))

  it.effect("--redact replaces values at nested paths in input and output, and nothing else", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.EmulatorTag
      const plain = lines((yield* run(orch(info), env)).stdout).map((l) => JSON.parse(l))
      const r = yield* run(orch(info, "--redact", "input.messages[*].content", "--redact", "output.choices[*].message.content"), env)
      expect(r.code).toBe(0)
      const redacted = lines(r.stdout).map((l) => JSON.parse(l))
      expect(redacted).toHaveLength(plain.length)
      let hits = 0
      for (const [i, rec] of redacted.entries()) {
        for (const m of rec.input?.messages ?? []) {
          expect(m.content).toBe("[REDACTED]")
          hits++
        }
        for (const c of rec.output?.choices ?? []) expect(c.message.content).toBe("[REDACTED]")
        expect({ ...rec, input: null, output: null }).toEqual({ ...plain[i], input: null, output: null })
      }
      expect(hits).toBeGreaterThan(0)
      const bad = yield* run(orch(info, "--redact", "output..x"), env)
      expect(bad.code).toBe(2)
      expect(stderrLines(bad)).toHaveLength(1)
    }))

  it.effect("--format singer writes SCHEMA first, a RECORD per record, and STATE last", () =>
    Effect.gen(function*() {
      const { info } = yield* Emulator.EmulatorTag
      const plain = lines((yield* run(orch(info), env)).stdout)
      const r = yield* run(orch(info, "--format", "singer"), env)
      expect(r.code).toBe(0)
      const messages = lines(r.stdout).map((l) => JSON.parse(l))
      expect(messages[0].type).toBe("SCHEMA")
      expect(messages[0].key_properties).toContain("run_id")
      expect(messages.filter((m) => m.type === "SCHEMA")).toHaveLength(1)
      expect(messages.filter((m) => m.type === "RECORD")).toHaveLength(plain.length)
      expect(messages.at(-1).type).toBe("STATE")
    }))
})
