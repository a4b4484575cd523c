import { expect, it } from "@effect/vitest"
import { StepRecord } from "@steptrail/core"
import { Emulator } from "@steptrail/emulator"
import { Effect, Fiber } from "effect"
import { lines, runWithEnv as run } from "./inProcess.js"

const TOKEN = "follow-cli-token"

it.scopedLive("export --follow writes each step of progressing runs once, as it settles, and exits when they are terminal", () =>
  Effect.gen(function*() {
    const emulator = yield* Emulator.start({ token: TOKEN, seed: 5 })
    const { info, fixtures } = emulator
    const ids = fixtures.cloudflare.live.filter((r) => r.visibleAtEpoch).map((r) => r.id)
    const args = [
      "export", "cloudflare", "--base-url", info.cloudflare.baseUrl, "--account-id", info.cloudflare.accountId,
      "--workflow", info.cloudflare.workflow, "--follow", "--poll-interval", "1", "--follow-timeout", "120",
      ...ids.flatMap((id) => ["--instance", id])
    ]
    const cli = yield* Effect.fork(run(args, { CLOUDFLARE_API_TOKEN: TOKEN }))
    // the emulator's clock drives the runs forward; bounded
    for (let i = 0; i < 120 && cli.unsafePoll() === null; i++) {
      yield* Effect.sleep("400 millis")
      yield* emulator.advance(3_000)
    }
    const r = yield* Fiber.join(cli)
    expect(r.code).toBe(0)
    const records = lines(r.stdout).map((l) => JSON.parse(l) as StepRecord.StepRecord)
    expect(new Set(records.map(StepRecord.key)).size).toBe(records.length)
    for (const id of ids) {
      const mine = records.filter((x) => x.run_id === id).map((x) => x.step_index).sort((a, b) => a - b)
      expect(mine.length).toBeGreaterThan(1)
      expect(mine).toEqual(mine.map((_, i) => i))
    }
    expect(records.every((x) => ["complete", "errored", "cancelled"].includes(x.status))).toBe(true)
  }), 180_000)
