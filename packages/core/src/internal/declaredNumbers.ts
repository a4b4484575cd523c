/**
 * Where a raw Schema declares a number, a `Json.RawNumber` (a number a double would change,
 * kept as its digits) made a double again: the schema guard and the decoder know numbers
 * only, and a mapping computes with such a field. Values the Schema leaves unknown (outputs,
 * inputs, errors) keep their `RawNumber`s, so they are written with the digits sent.
 *
 * Only a body that holds such a number and that the guard refused comes here: the common
 * path never does.
 *
 * @internal
 */
import { SchemaAST as AST } from "effect"
import { RawNumber } from "../Json.js"

/** @internal */
export type Convert = (input: unknown) => unknown

const same: Convert = (u) => u

/** The conversion `ast` calls for (`same` where it declares no number). */
export const compile = (ast: AST.AST): Convert => {
  switch (ast._tag) {
    case "NumberKeyword":
      return (u) => (u instanceof RawNumber ? Number(u.text) : u)
    case "Refinement":
      return compile(ast.from)
    case "Transformation":
      return compile(ast.from)
    case "Union": {
      const members = ast.types.map(compile).filter((c) => c !== same)
      if (members.length === 0) return same
      return (u) => members.reduce((value, convert) => convert(value), u)
    }
    case "TupleType": {
      const rest = ast.rest.length === 1 && ast.elements.length === 0 ? compile(ast.rest[0]!.type) : same
      if (rest === same) return same
      return (u) => {
        if (!Array.isArray(u)) return u
        let copy: Array<unknown> | undefined
        for (let i = 0; i < u.length; i++) {
          const next = rest(u[i])
          if (next !== u[i]) (copy ??= u.slice())[i] = next
        }
        return copy ?? u
      }
    }
    case "TypeLiteral": {
      const fields: Array<readonly [string, Convert]> = []
      for (const ps of ast.propertySignatures) {
        const convert = compile(ps.type)
        if (typeof ps.name === "string" && convert !== same) fields.push([ps.name, convert])
      }
      if (fields.length === 0) return same
      return (u) => {
        if (typeof u !== "object" || u === null || Array.isArray(u)) return u
        const record = u as Record<string, unknown>
        let copy: Record<string, unknown> | undefined
        for (const [name, convert] of fields) {
          if (!Object.hasOwn(record, name)) continue
          const next = convert(record[name])
          if (next !== record[name]) (copy ??= { ...record })[name] = next
        }
        return copy ?? u
      }
    }
    default:
      return same
  }
}
