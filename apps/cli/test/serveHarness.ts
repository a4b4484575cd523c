/**
 * What the tests of `steptrail serve` on SQLite share: the emulator's credentials, a config of
 * its sources, the built CLI as a process, the emulator's clock past every live run, and the
 * table polled until it equals a clean export.
 */
import type { Emulator } from "@steptrail/emulator"
import { Effect } from "effect"
import { spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { BIN } from "./cli.js"
import { canonical, emulatorSources, sqliteRecords } from "./databaseRows.js"

export const TOKEN = "serve-cli-token"
export const ENV = { CLOUDFLARE_API_TOKEN: TOKEN, ORCHESTRA_API_KEY: TOKEN, ONEPIN_API_KEY: TOKEN }

export const tempDir = () => fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-cli-serve-"))

export const writeConfig = (dir: string, info: Emulator.Info) => {
  const file = path.join(dir, "sources.json")
  fs.writeFileSync(file, JSON.stringify({ sources: emulatorSources(info) }))
  return file
}

/** The built CLI (`pnpm build`) in a process of its own. */
export const start = (args: ReadonlyArray<string>) => {
  const child = spawn(process.execPath, [BIN, ...args], { env: { PATH: process.env.PATH ?? "", ...ENV }, stdio: ["ignore", "pipe", "pipe"] })
  const err: Array<Buffer> = []
  child.stderr!.on("data", (c: Buffer) => err.push(c))
  const done = Effect.async<{ code: number | null; stderr: string }>((resume) => {
    child.once("close", (code) => resume(Effect.succeed({ code, stderr: Buffer.concat(err).toString() })))
  })
  return { child, done, stderr: () => Buffer.concat(err).toString() }
}

/** The emulator's clock past every live run's end, a minute at a time. */
export const settleAll = (emulator: Emulator.Emulator) =>
  Effect.gen(function*() {
    const { cloudflare, orchestra, onepin } = emulator.fixtures
    const live = [...cloudflare.live, ...orchestra.live, ...onepin.live]
    const last = Math.max(...live.map((r) => Date.parse(r.settledAt)))
    for (let i = 0; i < 300 && (yield* emulator.now) <= last; i++) {
      yield* emulator.advance(60_000)
      yield* Effect.sleep("30 millis")
    }
    return new Set(live.map((r) => r.id))
  })

/** The table's records, none while the file or its tables are not there yet. */
export const rowsOf = (file: string) => fs.existsSync(file) ? Effect.catchAllDefect(sqliteRecords(file), () => Effect.succeed([])) : Effect.succeed([])

/** Polls the table until it equals `expected` (bounded). */
export const waitForTable = (file: string, expected: ReadonlyArray<unknown>) =>
  Effect.gen(function*() {
    let table = yield* rowsOf(file)
    for (let i = 0; i < 150 && canonical(table) !== canonical(expected); i++) {
      yield* Effect.sleep("200 millis")
      table = yield* rowsOf(file)
    }
    return table
  })
