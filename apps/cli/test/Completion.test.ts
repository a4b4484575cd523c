/**
 * Completion scripts: generated from the command tree, so every command, option and
 * enumerated value (a choice's cases, an option's completion values) is in each shell's
 * script; and the bash script, sourced into bash, completes as a user would see it.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as path from "node:path"
import { spec } from "../src/Cli.js"
import * as CommandSpec from "../src/CommandSpec.js"
import * as Completion from "../src/Completion.js"
import { BIN, run as spawnCli } from "./cli.js"
import { run } from "./inProcess.js"
import { registries } from "./registries.js"

const tree = spec()

describe("completion scripts", () => {
  it("name every command, option and enumerated value of the tree, in bash, zsh and fish, whatever the providers", () => {
    for (const { tree } of registries) {
    for (const shell of CommandSpec.shells) {
      const script = Completion.script(shell, tree)
      for (const command of CommandSpec.all(tree)) {
        expect(script, `${shell}: ${command.name}`).toContain(command.name)
        for (const option of CommandSpec.accepted(command)) {
          const name = shell === "fish" ? `-l ${option.name.slice(2)}` : option.name
          expect(script, `${shell}: ${CommandSpec.commandLine(command)} ${option.name}`).toContain(name)
          for (const value of option.value?.values ?? []) expect(script, `${shell}: ${option.name} ${value}`).toContain(value)
        }
      }
    }
    }
  })

  it("include the provider statuses and the formats", () => {
    const cloudflare = CommandSpec.find(tree, ["export", "cloudflare"])!
    const onepin = CommandSpec.find(tree, ["export", "onepin"])!
    expect(cloudflare.options.find((o) => o.name === "--status")?.value?.values).toEqual([
      "queued", "running", "paused", "errored", "terminated", "complete", "waitingForPause", "waiting"
    ])
    expect(onepin.options.find((o) => o.name === "--status")?.value?.values).toEqual(["pending", "running", "completed", "failed", "cancelled", "paused"])
    expect(cloudflare.options.find((o) => o.name === "--format")?.value?.values).toEqual(["ndjson", "singer"])
    const fish = Completion.script("fish", tree)
    expect(fish).toContain(`complete -c steptrail -n '__steptrail_at '\\''export cloudflare'\\''' -l status -x -a 'queued running paused errored terminated complete waitingForPause waiting'`)
    const zsh = Completion.script("zsh", tree)
    expect(zsh).toContain(":STATUS[,STATUS...]:(pending running completed failed cancelled paused)'")
  })

  it.effect("--completions SHELL prints the script, as the bundle does", () =>
    Effect.gen(function*() {
      for (const shell of CommandSpec.shells) {
        const r = yield* run(["--completions", shell])
        expect(r.code).toBe(0)
        expect(r.stdout).toBe(Completion.script(shell, tree))
        const bundled = yield* spawnCli(["--completions", shell])
        expect(bundled.stdout).toBe(r.stdout)
      }
    }))
})

const dir = fs.mkdtempSync(path.join(os.tmpdir(), "steptrail-completion-"))
fs.writeFileSync(path.join(dir, "runs.ndjson"), "")
fs.mkdirSync(path.join(dir, "runs-old"))

/** What bash offers for `words` with the cursor on the last one, with this script loaded. */
const completer = (script: string, name: string) => {
  const scriptFile = path.join(dir, name)
  fs.writeFileSync(scriptFile, script)
  return (...words: Array<string>) => {
    const quoted = words.map((w) => `'${w}'`).join(" ")
    const script = `source "${scriptFile}" || exit 9
COMP_WORDS=(${quoted}); COMP_CWORD=${words.length - 1}; _steptrail; printf '%s\\n' "\${COMPREPLY[@]}"`
    const r = spawnSync("bash", ["-c", script], { cwd: dir, encoding: "utf8" })
    expect(r.status, r.stderr).toBe(0)
    return r.stdout.split("\n").filter((l) => l !== "").sort()
  }
}

describe("bash completion of every registered provider", () => {
  for (const { label, providers, tree } of registries) {
    it(`completes its name, flags and statuses (${label})`, () => {
      const complete = completer(Completion.script("bash", tree), `${providers.length}.bash`)
      expect(complete("steptrail", "export", "")).toEqual(providers.map((p) => p.name).sort())
      for (const provider of providers) {
        expect(complete("steptrail", "export", provider.name.slice(0, -1))).toContain(provider.name)
        expect(complete("steptrail", "export", provider.name, "--wo")).toContain("--workflow")
        expect(complete("steptrail", "export", provider.name, "--workflow", "w", `--${provider.runIds.flag}`)).toContain(`--${provider.runIds.flag}`)
        const status = provider.filters.status
        if (status !== undefined) expect(complete("steptrail", "export", provider.name, "--status", "")).toEqual([...status.values].sort())
      }
    })
  }
})

describe("bash completion, sourced from the bundle", () => {
  const complete = completer(spawnSync(process.execPath, [BIN, "--completions", "bash"], { encoding: "utf8" }).stdout, "steptrail.bash")

  it("works as the README loads it: source <(steptrail --completions bash)", () => {
    const script = `source <("${process.execPath}" "${BIN}" --completions bash) || exit 9
COMP_WORDS=(steptrail export cloudflare --wo); COMP_CWORD=3; _steptrail; echo "\${COMPREPLY[@]}"`
    const r = spawnSync("bash", ["-c", script], { encoding: "utf8" })
    expect(r.stdout).toBe("--workflow\n")
  })

  it("completes commands, providers and provider flags", () => {
    expect(complete("steptrail", "ex")).toEqual(["export"])
    expect(complete("steptrail", "")).toEqual(["demo", "emulator", "export", "schema", "serve"])
    expect(complete("steptrail", "export", "")).toEqual(registries[0]!.providers.map((p) => p.name).sort())
    expect(complete("steptrail", "export", "cloudflare", "--wo")).toEqual(["--workflow"])
    expect(complete("steptrail", "export", "cloudflare", "--workflow", "w", "--acc")).toEqual(["--account-id"])
    expect(complete("steptrail", "export", "onepin", "--workflow", "w", "--ru")).toEqual(["--run"])
    expect(complete("steptrail", "export", "orchestra", "--full")).toEqual([])
  })

  it("completes enumerated values: statuses, formats, shells, also after --name=", () => {
    expect(complete("steptrail", "export", "cloudflare", "--status", "err")).toEqual(["errored"])
    expect(complete("steptrail", "export", "onepin", "--status", "")).toEqual(["cancelled", "completed", "failed", "paused", "pending", "running"])
    expect(complete("steptrail", "export", "orchestra", "--format", "")).toEqual(["ndjson", "singer"])
    expect(complete("steptrail", "export", "orchestra", "--format", "=", "s")).toEqual(["singer"])
    expect(complete("steptrail", "--completions", "")).toEqual(["bash", "fish", "zsh"])
  })

  it("completes files for a file option, nothing for free text, and skips option values when finding the command", () => {
    expect(complete("steptrail", "export", "orchestra", "--out", "runs")).toEqual(["runs-old", "runs.ndjson"])
    expect(complete("steptrail", "export", "orchestra", "--workflow", "")).toEqual([])
    // `--out export` is a file named export, not the command
    expect(complete("steptrail", "demo", "--out", "export", "--o")).toEqual(["--out"])
  })
})
