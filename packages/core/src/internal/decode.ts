/**
 * Decoding bodies: JSON parsing (numbers kept with their digits, see `Json`), then a Schema,
 * with the first bad field named.
 *
 * A raw Schema without transformations decodes an accepted value to itself, so a predicate
 * compiled from its AST answers the common case several times faster than the decoder; the
 * decoder still runs on whatever the predicate does not accept, and reports it. Undeclared
 * keys then stay on the value (the decoder would drop them): mappings read declared fields
 * only.
 *
 * @internal
 */
import { Effect, ParseResult, Schema } from "effect"
import * as Json from "../Json.js"
import { DecodeFailure } from "../ProviderError.js"
import { oneLine, utf8 } from "./response.js"
import * as DeclaredNumbers from "./declaredNumbers.js"
import * as SchemaGuard from "./schemaGuard.js"

/** @internal */
export type Decoder<A> = (provider: string, input: unknown, context?: Context) => Effect.Effect<A, DecodeFailure>

/** @internal */
export interface Context {
  readonly workflow?: string | undefined
  readonly run?: string | undefined
  readonly endpoint?: string | undefined
}

/** Compiled once per schema: clients ask for a decoder on every request. */
const decoders = new WeakMap<Schema.Schema.AnyNoContext, Decoder<unknown>>()

const formatPath = (path: ReadonlyArray<PropertyKey>) =>
  "$" + path.map((p) => (typeof p === "number" ? `[${p}]` : `.${String(p)}`)).join("")

/** @internal */
export const decode = <A, I>(schema: Schema.Schema<A, I, never>): Decoder<A> => {
  const known = decoders.get(schema)
  if (known !== undefined) return known as Decoder<A>
  const made = makeDecoder(schema)
  decoders.set(schema, made)
  return made
}

const makeDecoder = <A, I>(schema: Schema.Schema<A, I, never>): Decoder<A> => {
  const run = Schema.decodeUnknownEither(schema, { errors: "first", onExcessProperty: "ignore" })
  const accepts = SchemaGuard.compile(schema.ast)
  const numbers = DeclaredNumbers.compile(schema.ast)
  return (provider, input, context = {}) => {
    if (accepts !== undefined && accepts(input)) return Effect.succeed(input as A)
    // a number kept as its digits (`Json.RawNumber`) where the schema declares a number
    const value = numbers(input)
    if (value !== input && accepts !== undefined && accepts(value)) return Effect.succeed(value as A)
    const result = run(value)
    if (result._tag === "Right") return Effect.succeed(result.right)
    const issue = ParseResult.ArrayFormatter.formatErrorSync(result.left)[0]
    return Effect.fail(
      new DecodeFailure({
        provider,
        path: issue ? formatPath(issue.path) : "$",
        detail: issue ? oneLine(issue.message) : "does not match the documented shape",
        endpoint: context.endpoint,
        workflow: context.workflow,
        run: context.run
      })
    )
  }
}

/** @internal */
export const parseJson = <A, I>(
  provider: string,
  schema: Schema.Schema<A, I, never>,
  where: { readonly workflow?: string | undefined; readonly run?: string | undefined } = {}
) => {
  const decodeWith = decode(schema)
  const context = { workflow: where.workflow, run: where.run }
  return (body: { readonly contentType: string; readonly bytes: Uint8Array; readonly endpoint: string }) => {
    const transient = (detail: string) =>
      Effect.fail(new DecodeFailure({ provider, path: "$", endpoint: body.endpoint, detail, transient: true, ...context }))
    if (body.contentType !== "" && !/json/i.test(body.contentType)) {
      return transient(`expected JSON, got ${oneLine(body.contentType, 60)}`)
    }
    let value: unknown
    try {
      value = Json.parse(utf8.decode(body.bytes))
    } catch (e) {
      return transient(`body is not valid JSON (${oneLine(String((e as Error).message), 80)})`)
    }
    return decodeWith(provider, value, { ...context, endpoint: body.endpoint })
  }
}
