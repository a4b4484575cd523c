/**
 * Reads an @effect/cli command tree into a `CommandSpec`: every command, option and
 * argument, with descriptions, defaults and the values a shell may complete. Help,
 * completion scripts and usage errors are built from that spec alone, so whatever adds
 * commands or options to the tree (a provider registry) gets them without further code.
 *
 * @effect/cli keeps its descriptors' shapes internal; the few fields read here are those of
 * its 0.77 line (`_tag`ged instructions), read defensively: an unknown node contributes
 * nothing rather than failing.
 */
import { type Command, Options } from "@effect/cli"
import type { HelpDoc } from "@effect/cli/HelpDoc"
import type * as Span from "@effect/cli/HelpDoc/Span"
import { Effect } from "effect"
import type { ArgSpec, CommandSpec, OptionSpec, ValueSpec } from "./CommandSpec.js"

const valuesHint = Symbol.for("steptrail/cli/CompletionValues")

/**
 * Declares the values a shell may complete for an option that accepts free text (statuses
 * a server checks, for instance); the option's parsing is unchanged. A `choice` option needs
 * no hint: its cases are completed.
 */
export const withCompletionValues = (values: ReadonlyArray<string>) => <A>(self: Options.Options<A>): Options.Options<A> =>
  Options.mapEffect(self, Object.assign((a: A) => Effect.succeed(a), { [valuesHint]: values }))

// -- the slice of @effect/cli's internal instructions read here -------------------------------

interface Node {
  readonly _tag: string
  readonly [key: string]: unknown
}
type Maybe<A> = { readonly _tag: "Some"; readonly value: A } | { readonly _tag: "None" }

const some = <A>(o: unknown): A | undefined => ((o as Maybe<A> | undefined)?._tag === "Some" ? (o as { value: A }).value : undefined)

/** A help document as plain text: paragraphs separated by blank lines. */
export const plainText = (doc: HelpDoc | Span.Span | undefined): string => {
  const span = (s: Node): string => {
    switch (s._tag) {
      case "Text":
      case "URI":
        return String(s.value)
      case "Sequence":
        return span(s.left as Node) + span(s.right as Node)
      default:
        return s.value !== undefined ? span(s.value as Node) : ""
    }
  }
  const block = (d: Node): Array<string> => {
    switch (d._tag) {
      case "Header":
      case "Paragraph":
        return [span(d.value as Node)]
      case "Sequence":
        return [...block(d.left as Node), ...block(d.right as Node)]
      case "Enumeration":
        return (d.elements as Array<Node>).flatMap(block).map((t) => `- ${t}`)
      case "DescriptionList":
        return (d.definitions as Array<[Node, Node]>).map(([k, v]) => `${span(k)}: ${block(v).join(" ")}`)
      default:
        return []
    }
  }
  if (doc === undefined) return ""
  const node = doc as unknown as Node
  return (isSpan(node) ? [span(node)] : block(node)).filter((t) => t.trim() !== "").join("\n\n")
}

const spanTags = new Set(["Text", "URI", "Code", "Error", "Weak", "Strong", "Highlight"])
const isSpan = (node: Node): boolean => spanTags.has(node._tag) || (node._tag === "Sequence" && isSpan(node.left as Node))

const placeholderOf = (name: string): string => {
  const last = name.split("-").filter((w) => w !== "").pop() ?? name
  return last.toUpperCase()
}

const valueOf = (primitive: Node, name: string, pseudo: string | undefined, hint: ReadonlyArray<string> | undefined): ValueSpec | null => {
  const values = hint ?? []
  switch (primitive._tag) {
    case "Bool":
      return null
    case "Choice": {
      const cases = (primitive.alternatives as Array<[string, unknown]>).map(([k]) => k)
      return { placeholder: pseudo ?? cases.join("|"), type: "choice", values: cases }
    }
    case "Integer":
      return { placeholder: pseudo ?? "N", type: "integer", values }
    case "Float":
      return { placeholder: pseudo ?? "NUMBER", type: "float", values }
    case "DateTime":
      return { placeholder: pseudo ?? "TIME", type: "date", values }
    case "Path": {
      const type = primitive.pathType === "directory" ? "directory" : primitive.pathType === "file" ? "file" : "path"
      return { placeholder: pseudo ?? (type === "directory" ? "DIR" : type.toUpperCase()), type, values }
    }
    default:
      return { placeholder: pseudo ?? placeholderOf(name), type: "text", values }
  }
}

const showDefault = (value: unknown): string | undefined => {
  if (value === undefined || value === null || value === false) return undefined
  if ((value as Maybe<unknown>)?._tag === "None") return undefined
  if (typeof value === "string" || typeof value === "number" || typeof value === "bigint") return String(value)
  if (value === true) return "true"
  return undefined
}

interface Context {
  readonly optional: boolean
  readonly repeated: boolean
  readonly fallback: unknown
  readonly values: ReadonlyArray<string> | undefined
}

const fromOptions = (node: Node | undefined, ctx: Context): Array<OptionSpec> => {
  if (node === undefined) return []
  switch (node._tag) {
    case "Single": {
      const dash = (n: string) => (n.length === 1 ? `-${n}` : `--${n}`)
      const name = String(node.name)
      const value = valueOf(node.primitiveType as Node, name, some<string>(node.pseudoName), ctx.values)
      return [{
        name: dash(name),
        aliases: (node.aliases as Array<string>).map(dash),
        value,
        description: plainText(node.description as HelpDoc),
        required: !ctx.optional,
        repeated: ctx.repeated,
        default: value === null ? undefined : showDefault(ctx.fallback)
      }]
    }
    case "KeyValueMap":
      return fromOptions(node.argumentOption as Node, { ...ctx, repeated: true }).map((o) => ({
        ...o,
        value: { placeholder: "KEY=VALUE", type: "key=value", values: [] }
      }))
    case "Variadic": {
      const min = some<number>(node.min) ?? 0
      return fromOptions(node.argumentOption as Node, { ...ctx, repeated: true, optional: ctx.optional || min === 0 })
    }
    case "Map": {
      const hint = (node.f as { [valuesHint]?: ReadonlyArray<string> } | undefined)?.[valuesHint]
      return fromOptions(node.options as Node, hint === undefined ? ctx : { ...ctx, values: hint })
    }
    case "WithDefault":
      return fromOptions(node.options as Node, { ...ctx, optional: true, fallback: node.fallback })
    case "WithFallback":
      return fromOptions(node.options as Node, { ...ctx, optional: true })
    case "Both":
      return [...fromOptions(node.left as Node, ctx), ...fromOptions(node.right as Node, ctx)]
    case "OrElse":
      // either side will do, so neither is required on its own
      return [...fromOptions(node.left as Node, { ...ctx, optional: true }), ...fromOptions(node.right as Node, { ...ctx, optional: true })]
    default:
      return []
  }
}

const fromArgs = (node: Node | undefined, ctx: Omit<Context, "values" | "fallback">): Array<ArgSpec> => {
  if (node === undefined) return []
  switch (node._tag) {
    case "Single": {
      const name = some<string>(node.pseudoName) ?? String(node.name)
      return [{
        name,
        description: plainText(node.description as HelpDoc),
        optional: ctx.optional,
        repeated: ctx.repeated,
        value: valueOf(node.primitiveType as Node, name, name.toUpperCase(), undefined) ??
          { placeholder: name.toUpperCase(), type: "text", values: ["true", "false"] }
      }]
    }
    case "Variadic": {
      const min = some<number>(node.min) ?? 0
      return fromArgs(node.args as Node, { repeated: true, optional: ctx.optional || min === 0 })
    }
    case "Map":
      return fromArgs(node.args as Node, ctx)
    case "WithDefault":
    case "WithFallbackConfig":
      return fromArgs(node.args as Node, { ...ctx, optional: true })
    case "Both":
      return [...fromArgs(node.left as Node, ctx), ...fromArgs(node.right as Node, ctx)]
    default:
      return []
  }
}

export interface DescribeOptions {
  /** What the subcommands of a command are called, by its path below the root (`export`: `provider`). */
  readonly nouns?: Readonly<Record<string, string>>
}

const fromDescriptor = (node: Node, parent: ReadonlyArray<string>, options: DescribeOptions): CommandSpec => {
  switch (node._tag) {
    case "Map":
      return fromDescriptor(node.command as Node, parent, options)
    case "Subcommands": {
      const self = fromDescriptor(node.parent as Node, parent, options)
      const subcommands = (node.children as Array<Node>).map((child) => fromDescriptor(child, self.path, options))
      return { ...self, subcommands }
    }
    default: {
      const name = String(node.name)
      const path = [...parent, name]
      const top = { optional: false, repeated: false, fallback: undefined, values: undefined }
      return {
        name,
        path,
        description: plainText(node.description as HelpDoc),
        options: node._tag === "Standard" ? fromOptions(node.options as Node, top) : [],
        args: node._tag === "Standard" ? fromArgs(node.args as Node, top) : [],
        subcommands: [],
        subcommandNoun: options.nouns?.[path.slice(1).join(" ")]
      }
    }
  }
}

/** The spec of a command tree, for help, completion and usage errors. */
export const describe = <Name extends string, R, E, A>(
  command: Command.Command<Name, R, E, A>,
  options: DescribeOptions = {}
): CommandSpec => fromDescriptor(command.descriptor as unknown as Node, [], options)
