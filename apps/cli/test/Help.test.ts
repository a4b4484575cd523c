/**
 * `--help` of every command in the tree, in-process: plain text off a terminal or with
 * NO_COLOR, the full command path in usage lines, optional and repeatable options bracketed,
 * defaults shown, lines within the width, no `--wizard`, and an example last. The bundle's
 * help (from the spec embedded at build time) is checked against the tree's.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import * as CommandSpec from "../src/CommandSpec.js"
import { run as spawnCli } from "./cli.js"
import { run as runWith } from "./inProcess.js"
import { registries } from "./registries.js"

const argsOf = (command: CommandSpec.CommandSpec) => [...command.path.slice(1), "--help"]

for (const { label, providers, tree } of registries) {
const commands = CommandSpec.all(tree)
const run: typeof runWith = (argv, options = {}) => runWith(argv, { ...options, providers })

describe(`--help, over ${label}`, () => {
  it("covers a tree of several levels (the checks below run over every command)", () => {
    expect(commands.map(CommandSpec.commandLine)).toEqual([
      "steptrail",
      "steptrail export",
      ...providers.map((p) => `steptrail export ${p.name}`),
      "steptrail serve",
      "steptrail emulator",
      "steptrail demo",
      "steptrail schema"
    ])
  })

  it.effect("piped, or on a terminal with NO_COLOR, has no escape bytes; on a terminal it has", () =>
    Effect.gen(function*() {
      for (const command of commands) {
        const piped = yield* run(argsOf(command))
        expect(piped.code).toBe(0)
        expect(piped.stderr).toBe("")
        expect(piped.stdout).not.toMatch(/\x1b/)
        const noColor = yield* run(argsOf(command), { isTTY: true, columns: 100, env: { NO_COLOR: "1" } })
        expect(noColor.stdout).not.toMatch(/\x1b/)
        const tty = yield* run(argsOf(command), { isTTY: true, columns: 100, env: {} })
        expect(tty.stdout).toContain("\x1b[1mUsage:\x1b[0m")
      }
    }))

  it.effect("wraps to 80 columns off a terminal and to the terminal's width on one", () =>
    Effect.gen(function*() {
      for (const command of commands) {
        const piped = yield* run(argsOf(command))
        for (const line of piped.stdout.split("\n")) expect(line.length, line).toBeLessThanOrEqual(80)
        const wide = yield* run(argsOf(command), { isTTY: true, columns: 120, env: { NO_COLOR: "1" } })
        for (const line of wide.stdout.split("\n")) expect(line.length, line).toBeLessThanOrEqual(120)
      }
    }))

  it.effect("a provider's help shows its flags, with its workflow and run ids, and its examples", () =>
    Effect.gen(function*() {
      for (const provider of providers) {
        // example lines continued with " \\" joined again
        const flat = (yield* run(["export", provider.name, "--help"])).stdout.replace(/ \\\n\s+/g, " ").replace(/\s+/g, " ")
        expect(flat).toContain(`steptrail export ${provider.name} --workflow ${provider.workflowPlaceholder ?? "ID"}`)
        expect(flat).toContain(`--${provider.runIds.flag} ID Export only this ${provider.runIds.flag} (repeatable)`)
        for (const setting of provider.settings) {
          if (setting.flag !== undefined) expect(flat).toContain(`--${setting.flag} ${setting.placeholder ?? "VALUE"} ${setting.description}`)
        }
        for (const example of provider.examples) expect(flat).toContain(`steptrail ${example}`)
        const list = (yield* run(["export", "--help"])).stdout
        expect(list).toMatch(new RegExp(`\n {2}${provider.name} +${provider.summary.slice(0, 20).replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}`))
      }
    }))

  it.effect("a provider setting's declared default is shown, and not given to the parser (the file and the environment come first)", () =>
    Effect.gen(function*() {
      for (const provider of providers) {
        const flat = (yield* run(["export", provider.name, "--help"])).stdout.replace(/\s+/g, " ")
        const spec = commands.find((c) => c.path.join(" ") === `steptrail export ${provider.name}`)!
        for (const setting of provider.settings) {
          if (setting.flag === undefined || setting.default === undefined) continue
          // where the description already says it, it is not said twice
          const text = /\bdefault\b/i.test(setting.description) ? setting.description : `${setting.description} Default: ${setting.default}.`
          expect(text).toContain(setting.default)
          expect(flat).toContain(`--${setting.flag} ${setting.placeholder ?? "VALUE"} ${text}`)
          const option = spec.options.find((o) => o.name === `--${setting.flag}`)!
          expect(option).toMatchObject({ default: undefined, shownDefault: setting.default })
        }
      }
    }))

  it.effect("offers no --wizard, and refuses it in one line (it needs a terminal and hangs without one)", () =>
    Effect.gen(function*() {
      for (const command of commands) expect((yield* run(argsOf(command))).stdout).not.toContain("wizard")
      const r = yield* run(["export", "cloudflare", "--wizard"])
      expect(r.code).toBe(2)
      expect(r.stdout).toBe("")
      expect(r.stderr).toBe("steptrail: --wizard is not supported: give the options on the command line (see steptrail --help)\n")
    }))

  it.effect("every command's help ends with an example of that command", () =>
    Effect.gen(function*() {
      for (const command of commands) {
        const lines = (yield* run(argsOf(command))).stdout.trimEnd().split("\n")
        const header = lines.map((l) => /^Examples?:$/.test(l)).lastIndexOf(true)
        expect(header, CommandSpec.commandLine(command)).toBeGreaterThan(0)
        const examples = lines.slice(header + 1)
        expect(examples.length).toBeGreaterThan(0)
        expect(examples[0]).toMatch(new RegExp(`^  (\\S+=\\S+ )?${CommandSpec.commandLine(command)}\\b`))
        for (const line of examples) expect(line).toMatch(/^ {2}\S|^ {6}\S/)
      }
    }))

  it.effect("with no arguments, prints the root's help", () =>
    Effect.gen(function*() {
      const none = yield* run([])
      expect(none.code).toBe(0)
      expect(none.stdout).toBe((yield* run(["--help"])).stdout)
      // nor with only a built-in option: the root runs nothing of its own
      const levelOnly = yield* run(["--log-level", "debug"])
      expect(levelOnly.code).toBe(0)
      expect(levelOnly.stdout).toBe(none.stdout)
    }))
})
}

describe("--help of the registry's commands", () => {
  const run = runWith

  it.effect("off a terminal it wraps to 80 columns, on one to the terminal's width (wider than 80)", () =>
    Effect.gen(function*() {
      const wide = yield* run(["export", "cloudflare", "--help"], { isTTY: true, columns: 120, env: { NO_COLOR: "1" } })
      expect(Math.max(...wide.stdout.split("\n").map((l) => l.length))).toBeGreaterThan(80)
    }))

  it.effect("the usage line has the full command path, required options bare, optional ones bracketed", () =>
    Effect.gen(function*() {
      const r = yield* run(["export", "cloudflare", "--help"])
      const usage = r.stdout.split("\n\n").find((block) => block.startsWith("Usage:"))!
      expect(usage.split("\n")[1]).toBe("  steptrail export cloudflare --workflow NAME [--account-id ID] [--base-url URL]")
      const flat = usage.replace(/\s+/g, " ")
      expect(flat).toContain("[--base-url URL] [--instance ID]... [--status STATUS] [--full-output] [common options]")
      expect(r.stdout).not.toContain("$ ")
      const orchestra = yield* run(["export", "orchestra", "--help"])
      expect(orchestra.stdout.replace(/\s+/g, " ")).toContain("steptrail export orchestra --workflow ID [--base-url URL] [--run ID]... [common options]")
    }))

  it.effect("shows the defaults and marks required and repeatable options", () =>
    Effect.gen(function*() {
      const r = yield* run(["export", "orchestra", "--help"])
      const flat = r.stdout.replace(/\s+/g, " ")
      expect(flat).toContain("--concurrency N Runs fetched at once (1..64, default 4); each run's steps stay together and in order.")
      expect(flat).toContain(
        "--retries N Retries of a transient failure (5xx, network, timeout) before giving up (exit 5). A 429 is not a failure: it waits. Default: 6."
      )
      expect(flat).toContain(
        "--timeout SECONDS Seconds one request may take, from sending it to the last byte of its answer (waiting for the rate budget is not counted). Default: 30."
      )
      expect(flat).toContain("--rate-limit-patience SECONDS Seconds one request may keep being answered 429")
      expect(flat).toContain("Default: 900.")
      expect(flat).toContain("--poll-interval SECONDS Seconds between polls in --follow mode. Default: 5.")
      expect(flat).toContain("--workflow ID Workflow id. Required.")
      expect(flat).toContain("--redact PATH Replace the value")
      const emulator = yield* run(["emulator", "--help"])
      expect(emulator.stdout.replace(/\s+/g, " ")).toContain("(0: any free port). Default: 0.")
    }))

  it.effect("the emulator's help shows the defaults it runs with (Emulator.defaults)", () =>
    Effect.gen(function*() {
      const flat = (yield* run(["emulator", "--help"])).stdout.replace(/\s+/g, " ")
      const { defaults } = yield* Effect.promise(() => import("@steptrail/emulator").then((m) => m.Emulator))
      const shown = (flag: string) => new RegExp(`${flag} [A-Z]+ [^]*?Default: ([^ ]+)\\. `).exec(flat)?.[1]
      expect(shown("--token")).toBe(defaults.token)
      expect(shown("--instances")).toBe(String(defaults.cloudflare.instances))
      expect(shown("--output-bytes")).toBe(String(defaults.cloudflare.outputBytes))
      expect(shown("--runs")).toBe(String(defaults.orchestra.runs))
      expect(defaults.onepin.runs).toBe(defaults.orchestra.runs)
      expect(shown("--live")).toBe(String(defaults.cloudflare.live))
      expect([defaults.orchestra.live, defaults.onepin.live]).toEqual([defaults.cloudflare.live, defaults.cloudflare.live])
    }))

  it.effect("--follow says when following ends: a workflow at --follow-timeout or a signal, named runs when all are terminal", () =>
    Effect.gen(function*() {
      const flat = (yield* run(["export", "onepin", "--help"])).stdout.replace(/\s+/g, " ")
      expect(flat).toContain("a whole workflow until --follow-timeout or a signal (Ctrl-C, SIGTERM), named runs until they are all terminal.")
      expect(flat).not.toContain("until every followed run is terminal")
    }))

  it.effect("an example too long for the line breaks before a pipe, not inside a command", () =>
    Effect.gen(function*() {
      const lines = (yield* run(["demo", "--help"])).stdout.trimEnd().split("\n")
      const examples = lines.slice(lines.indexOf("Example:") + 1)
      expect(examples).toEqual([
        "  steptrail demo --out demo.ndjson && jq -r .status demo.ndjson | sort \\",
        "      | uniq -c"
      ])
    }))

  it.effect("a parent lists its subcommands by their summary, without their options", () =>
    Effect.gen(function*() {
      const root = yield* run(["--help"])
      const list = root.stdout.split("\n\n").find((block) => block.startsWith("Commands:"))!
      expect(list.split("\n").flatMap((l) => /^ {2}(\S+)/.exec(l)?.[1] ?? [])).toEqual(["export", "serve", "emulator", "demo", "schema"])
      expect(list).not.toMatch(/\[--/)
      const exp = yield* run(["export", "--help"])
      expect(exp.stdout).toContain("  steptrail export PROVIDER [OPTIONS]")
      expect(exp.stdout).toMatch(/Providers:\n {2}cloudflare +Export the step logs of Cloudflare Workflows\s+instances\.\n/)
      expect(exp.stdout).toContain("  steptrail export [--config FILE] [--out FILE]")
    }))

  it.effect("the bundle prints the same help as the tree it was built from", () =>
    Effect.gen(function*() {
      for (const args of [["--help"], ["export", "cloudflare", "-h"], ["emulator", "--help"]]) {
        const bundled = yield* spawnCli(args)
        expect(bundled.code).toBe(0)
        expect(bundled.stdout).toBe((yield* run(args)).stdout)
      }
    }))
})
