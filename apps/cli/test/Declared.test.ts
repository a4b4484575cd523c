/**
 * One declaration, two products: the spec help, completion and usage errors read, and the
 * @effect/cli command that parses a command line into the handler's flags as declared
 * (defaults, optional values, repeatable options, choices, flags, keys).
 */
import { Command } from "@effect/cli"
import { NodeContext } from "@effect/platform-node"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Option } from "effect"
import * as Declared from "../src/Declared.js"

const declaration = (seen: Array<Declared.Flags>): Declared.Declaration => ({
  name: "tool",
  description: "A tool.\n\nExample:\n  tool run --count 3",
  subcommandNoun: "action",
  subcommands: [{
    name: "run",
    description: "Run it.",
    options: [
      Declared.option("count", "integer", { description: "How many.", default: 2 }),
      Declared.option("ratio", "float", { description: "How much." }),
      Declared.option("name", "text", { description: "Who.", required: true, placeholder: "WHO", values: ["ann", "bob"] }),
      Declared.option("tag", "text", { description: "A tag (repeatable).", repeated: true, key: "tags" }),
      Declared.choice("mode", ["fast", "slow"], { description: "How.", default: "fast" }),
      Declared.flag("dry-run", "Do nothing.")
    ],
    handler: (flags) => Effect.sync(() => void seen.push(flags))
  }]
})

const parse = (argv: ReadonlyArray<string>) =>
  Effect.gen(function*() {
    const seen: Array<Declared.Flags> = []
    const run = Command.run(Declared.toCommand(declaration(seen)), { name: "tool", version: "1" })
    yield* run(["node", "tool", ...argv]).pipe(Effect.provide(NodeContext.layer))
    return seen[0]!
  })

describe("Declared", () => {
  it("the spec is the declaration's data, with paths, placeholders and defaults as typed", () => {
    const spec = Declared.spec(declaration([]))
    expect(spec.path).toEqual(["tool"])
    expect(spec.subcommandNoun).toBe("action")
    const run = spec.subcommands[0]!
    expect(run.path).toEqual(["tool", "run"])
    expect(run.options.map((o) => [o.name, o.value?.placeholder ?? null, o.default ?? null, o.required, o.repeated])).toEqual([
      ["--count", "N", "2", false, false],
      ["--ratio", "NUMBER", null, false, false],
      ["--name", "WHO", null, true, false],
      ["--tag", "TAG", null, false, true],
      ["--mode", "fast|slow", "fast", false, false],
      ["--dry-run", null, null, false, false]
    ])
    expect(run.options.find((o) => o.name === "--name")!.value!.values).toEqual(["ann", "bob"])
    expect(run.options.map(Declared.keyOf)).toEqual(["count", "ratio", "name", "tags", "mode", "dryRun"])
  })

  it.effect("the @effect/cli command parses a command line into the handler's flags, by key", () =>
    Effect.gen(function*() {
      const given = yield* parse(["run", "--name", "ann", "--count", "5", "--ratio", "0.5", "--tag", "a", "--tag", "b", "--mode", "slow", "--dry-run"])
      expect(given).toEqual({
        count: 5,
        ratio: Option.some(0.5),
        name: "ann",
        tags: ["a", "b"],
        mode: "slow",
        dryRun: true
      })
      const defaults = yield* parse(["run", "--name", "bob"])
      expect(defaults).toEqual({ count: 2, ratio: Option.none(), name: "bob", tags: [], mode: "fast", dryRun: false })
    }))
})
