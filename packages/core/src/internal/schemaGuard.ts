/**
 * A plain predicate compiled from a Schema's AST, for the decoding hot path.
 *
 * Decoding a body with `Schema.decodeUnknown` walks every field through the parser
 * interpreter, allocating a result per value: most of the CPU an export spends on a run. For
 * a schema without transformations, a value the schema accepts decodes to itself (less any
 * undeclared keys), so a predicate that answers "accepted" is enough on the common path. The
 * predicate is derived from the same AST, never written by hand, and only ever says yes when
 * the schema would: anything it does not fully understand (transformations, declarations,
 * recursion, index signatures) makes `compile` give up, and a `false` only sends the value
 * to the real decoder, which then names the bad field.
 *
 * @internal
 */
import { Option, SchemaAST as AST } from "effect"

/** @internal */
export type Guard = (input: unknown) => boolean

const always: Guard = () => true
const hasOwn = Object.prototype.hasOwnProperty

/**
 * The predicate of `ast`, or undefined when the AST has a node it does not cover (the schema
 * must then be decoded every time).
 *
 * @internal
 */
export const compile = (ast: AST.AST): Guard | undefined => {
  switch (ast._tag) {
    case "UnknownKeyword":
    case "AnyKeyword":
      return always
    case "StringKeyword":
      return (u) => typeof u === "string"
    case "NumberKeyword":
      return (u) => typeof u === "number"
    case "BooleanKeyword":
      return (u) => typeof u === "boolean"
    case "UndefinedKeyword":
      return (u) => u === undefined
    case "Literal": {
      const literal = ast.literal
      return (u) => u === literal
    }
    case "Enums": {
      const values = new Set<unknown>(ast.enums.map(([, value]) => value))
      return (u) => values.has(u)
    }
    case "Refinement": {
      const from = compile(ast.from)
      if (from === undefined) return undefined
      const refinement = ast
      return (u) => from(u) && Option.isNone(refinement.filter(u, {}, refinement))
    }
    case "Union": {
      const members: Array<Guard> = []
      for (const member of ast.types) {
        const guard = compile(member)
        if (guard === undefined) return undefined
        members.push(guard)
      }
      return (u) => {
        for (let i = 0; i < members.length; i++) if (members[i]!(u)) return true
        return false
      }
    }
    case "TupleType":
      return arrayOf(ast)
    case "TypeLiteral":
      return struct(ast)
    default:
      return undefined
  }
}

/** `Schema.Array(item)` only: tuples are not needed by any provider body. */
const arrayOf = (ast: AST.TupleType): Guard | undefined => {
  if (ast.elements.length !== 0 || ast.rest.length !== 1) return undefined
  const item = compile(ast.rest[0]!.type)
  if (item === undefined) return undefined
  return (u) => {
    if (!Array.isArray(u)) return false
    for (let i = 0; i < u.length; i++) if (!item(u[i])) return false
    return true
  }
}

const struct = (ast: AST.TypeLiteral): Guard | undefined => {
  if (ast.indexSignatures.length !== 0) return undefined
  const names: Array<string> = []
  const optional: Array<boolean> = []
  const guards: Array<Guard> = []
  for (const ps of ast.propertySignatures) {
    if (typeof ps.name !== "string") return undefined
    const guard = compile(ps.type)
    if (guard === undefined) return undefined
    names.push(ps.name)
    optional.push(ps.isOptional)
    guards.push(guard)
  }
  const n = names.length
  return (u) => {
    if (typeof u !== "object" || u === null || Array.isArray(u)) return false
    const record = u as Record<string, unknown>
    for (let i = 0; i < n; i++) {
      const name = names[i]!
      if (!hasOwn.call(record, name)) {
        if (optional[i]) continue
        return false
      }
      if (!guards[i]!(record[name])) return false
    }
    return true
  }
}
