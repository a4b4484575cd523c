/**
 * The terminal as a person sees it: the built CLI on a real pseudo-terminal (a detached tmux
 * session of a fixed size, on a private socket), its screen read with `capture-pane`. An
 * export against the emulator (spawned like a user would, with a client budget that makes it
 * wait) shows one progress line redrawn in place, fitted to the width, with no escape
 * sequence shown as text, and the summary after it; help fits 80 columns. Needs `tmux`
 * (`.ci/run` installs it).
 */
import { expect, layer } from "@effect/vitest"
import { Context, Effect, Layer, type Scope } from "effect"
import { execFile, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { BIN } from "../cli.js"

const TOKEN = "steptrail-emulator-token"

/** Single-quoted for `sh`. */
const quote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`

const tmux = (socket: string, args: ReadonlyArray<string>): Effect.Effect<string> =>
  Effect.async<string>((resume) => {
    execFile("tmux", ["-L", socket, "-f", "/dev/null", ...args], (error, stdout) => {
      if (error === null) return resume(Effect.succeed(stdout))
      resume(Effect.die((error as NodeJS.ErrnoException).code === "ENOENT" ? new Error("tmux is missing: install it (.ci/run does)") : error))
    })
  })

let sessions = 0

/**
 * A tmux server of its own running `command` in a `width` × 24 pane; the command's exit code
 * is printed after it (`[exit N]`) and the pane kept open. The server is killed with the scope.
 */
const terminal = (
  width: number,
  command: string
): Effect.Effect<
  { readonly screen: Effect.Effect<string>; readonly visible: Effect.Effect<string>; readonly resize: (width: number) => Effect.Effect<void> },
  never,
  Scope.Scope
> =>
  Effect.gen(function*() {
    const socket = `steptrail-test-${process.pid}-${++sessions}`
    const env = `env -i PATH=${quote(process.env.PATH ?? "")} HOME=${quote(os.tmpdir())} TERM="$TERM" CLOUDFLARE_API_TOKEN=${TOKEN}`
    yield* Effect.acquireRelease(
      tmux(socket, ["new-session", "-d", "-x", String(width), "-y", "24", `${env} ${command}; echo "[exit $?]"; sleep 60`]),
      () => Effect.ignore(Effect.catchAllDefect(tmux(socket, ["kill-server"]), () => Effect.void))
    )
    // wrapped lines joined (a line wider than the pane shows as one long line), empty ones left out
    const capture = (args: ReadonlyArray<string>) =>
      Effect.map(tmux(socket, ["capture-pane", "-p", "-J", ...args]), (text) => text.split("\n").map((l) => l.trimEnd()).filter((l) => l !== "").join("\n"))
    return {
      // the whole history
      screen: capture(["-S", "-"]),
      visible: capture([]),
      // the terminal's size changes as a window's would: the program gets SIGWINCH
      resize: (width) => Effect.asVoid(tmux(socket, ["resize-window", "-x", String(width)]))
    }
  })

const cli = (...args: ReadonlyArray<string>) => [process.execPath, BIN, ...args].map(quote).join(" ")

/** `steptrail emulator`'s startup line. */
class EmulatorInfo extends Context.Tag("EmulatorInfo")<EmulatorInfo, { readonly cloudflare: { readonly baseUrl: string; readonly accountId: string } }>() {}

/** `steptrail emulator` as a child process, shared by the tests of this file; killed at the end. */
const EmulatorLive = Layer.scoped(
  EmulatorInfo,
  Effect.acquireRelease(
    Effect.async<{ readonly child: ReturnType<typeof spawn>; readonly info: EmulatorInfo["Type"] }>((resume) => {
      const child = spawn(process.execPath, [BIN, "emulator", "--instances", "100", "--latency", "5-15"], { env: { PATH: process.env.PATH ?? "" }, stdio: ["ignore", "pipe", "ignore"] })
      let out = ""
      child.stdout!.on("data", (c: Buffer) => {
        out += c.toString()
        if (out.includes("\n")) resume(Effect.succeed({ child, info: JSON.parse(out.slice(0, out.indexOf("\n"))) }))
      })
    }),
    ({ child }) => Effect.sync(() => child.kill("SIGKILL"))
  ).pipe(Effect.timeout("20 seconds"), Effect.orDie, Effect.map(({ info }) => info))
)

/**
 * Reads the screen every 100 ms until the command's exit line shows (at most `seconds`);
 * `onScreen` may act on each screen read.
 */
const watch = (screen: Effect.Effect<string>, seconds: number, onScreen: (text: string) => Effect.Effect<void> = () => Effect.void) =>
  Effect.gen(function*() {
    const screens: Array<string> = []
    for (let i = 0; i < seconds * 10; i++) {
      const text = yield* screen
      screens.push(text)
      yield* onScreen(text)
      if (/^\[exit \d+\]$/m.test(text)) return screens
      yield* Effect.sleep("100 millis")
    }
    throw new Error(`no exit after ${seconds} s; the screen:\n${screens.at(-1)}`)
  })

const progressLine = /^\d+(\/\d+)? runs · /
/** Escape sequences shown as text rather than acted on: `\x1b[2K`, `\r`, or a bare `[2K` or `[1A`. */
const escapeText = /\\x1b|\\u001b|\\r|\x1b|\[\d+(;\d+)*[A-HJKm]/

/** An export on a `width`-column terminal, narrowed to `narrowTo` once its first progress line shows. */
const exportsOn = (width: number, narrowTo?: number) =>
  Effect.gen(function*() {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-terminal-"))
    yield* Effect.addFinalizer(() => Effect.sync(() => fs.rmSync(dir, { recursive: true, force: true })))
    const info = yield* EmulatorInfo
    const out = path.join(dir, "runs.ndjson")
    // 40 requests a second for about 110: the export waits on its budget twice (the longest line)
    const { resize, screen, visible } = yield* terminal(
      width,
      cli("export", "cloudflare", "--base-url", info.cloudflare.baseUrl, "--account-id", info.cloudflare.accountId, "--workflow", "order-pipeline", "--rate-limit", "40/1s", "--out", out)
    )
    // screens read so far, and how many when the terminal was narrowed
    let read = 0
    let narrowed: number | undefined
    // a terminal that rewraps a narrowed screen may push its top rows into the history: there a
    // person sees the visible screen; otherwise the whole history is checked
    const screens = yield* watch(narrowTo === undefined ? screen : visible, 30, (text) => {
      read++
      if (narrowTo === undefined || narrowed !== undefined || !text.split("\n").some((l) => progressLine.test(l) && l.length > narrowTo)) return Effect.void
      narrowed = read
      return resize(narrowTo)
    })
    if (narrowTo !== undefined) expect(narrowed, "no progress line wider than the narrowed terminal was seen").toBeDefined()
    const last = screens.at(-1)!.split("\n")
    // the summary, then the exit code: no progress row left behind
    expect(last[0]).toBe(`exported 101 runs, ${fs.readFileSync(out, "utf8").trimEnd().split("\n").length} steps to ${out}`)
    expect(last.at(-1)).toBe("[exit 0]")
    expect(last.filter((l) => progressLine.test(l))).toEqual([])
    const seen = screens.flatMap((s) => s.split("\n").filter((l) => progressLine.test(l)))
    screens.forEach((s, i) => {
      expect(s).not.toMatch(escapeText)
      const lines = s.split("\n")
      // one progress line, redrawn in place: never two rows of it, never one wrapped; after the
      // terminal narrowed, within the new width from the next redraw (4 a second) on
      const progress = lines.filter((l) => progressLine.test(l))
      expect(progress.length).toBeLessThanOrEqual(1)
      const columns = narrowed !== undefined && i >= narrowed + 3 ? narrowTo! : width
      for (const l of progress) expect([...l].length, l).toBeLessThan(columns)
    })
    return seen
  })

// the live clock: the tests wait on a real terminal
layer(EmulatorLive, { excludeTestServices: true, timeout: "30 seconds" })("on a terminal (tmux)", (it) => {
  it.scoped("80 columns: one progress line, cut to fit, and the summary after it", () =>
    Effect.gen(function*() {
      const seen = yield* exportsOn(80)
      expect(seen.length).toBeGreaterThan(0)
      // the budget's wait (91 columns and more in full), fitted: the elapsed time left out or the wording shortened
      const waits = seen.filter((l) => /waiting for the rate budget \(40\/1s\)|budget 40\/1s, next in/.test(l))
      expect(waits.length, seen.join("\n")).toBeGreaterThan(0)
      for (const l of waits) expect(l).toMatch(/ · ETA \d+s$/)
    }), 40_000)

  it.scoped("200 columns: the whole line, the budget's wait in full", () =>
    Effect.gen(function*() {
      const seen = yield* exportsOn(200)
      expect(seen.some((l) => /^\d+\/101 runs · waiting for the rate budget \(40\/1s\), next request in \d+s · ETA \d+s · elapsed \d+s$/.test(l)), seen.join("\n"))
        .toBe(true)
    }), 40_000)

  it.scoped("narrowed from 200 to 60 columns while the line shows: the rows it was rewrapped onto are erased, then it fits", () =>
    Effect.gen(function*() {
      const seen = yield* exportsOn(200, 60)
      expect(seen.some((l) => l.length < 60)).toBe(true)
    }), 40_000)

  for (const args of [["--help"], ["export", "cloudflare", "--help"]]) {
    it.scoped(`steptrail ${args.join(" ")} at 80 columns: nothing wider, no escape text`, () =>
      Effect.gen(function*() {
        const { screen } = yield* terminal(80, cli(...args))
        const text = (yield* watch(screen, 10)).at(-1)!
        const lines = text.split("\n")
        expect(lines.at(-1)).toBe("[exit 0]")
        expect(lines[0]).toMatch(/^\S/)
        expect(text).toContain("Usage:")
        expect(text).not.toMatch(escapeText)
        for (const l of lines) expect([...l].length, l).toBeLessThanOrEqual(80)
      }), 20_000)
  }
})
