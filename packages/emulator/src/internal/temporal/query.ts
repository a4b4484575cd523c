/**
 * The part of Temporal's visibility query language ("List Filter") the
 * emulator understands: comparisons of `WorkflowType`, `WorkflowId`, `RunId`,
 * `ExecutionStatus`, `StartTime` and `CloseTime` with a quoted value, joined
 * by `AND`. Anything else is refused as an invalid argument, so a client that
 * needs more finds out here.
 *
 * @internal
 */
import * as Either from "effect/Either"
import { parseTimestamp } from "./format.js"
import { STATUS_NAMES } from "./model.js"

/** What a filter is checked against. */
export interface Row {
  readonly workflowType: string
  readonly workflowId: string
  readonly runId: string
  readonly status: string
  readonly startMs: number
  readonly closeMs: number | null
}

export type Filter = (row: Row) => boolean

const OPS = ["=", "!=", ">=", "<=", ">", "<"] as const
type Op = (typeof OPS)[number]

const TOKEN = /\s*(?:(`?[A-Za-z_][A-Za-z0-9_]*`?)|('(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")|(!=|>=|<=|=|>|<)|(\S))/y

type Token = { readonly kind: "word" | "string" | "op"; readonly text: string }

const tokenize = (text: string): Either.Either<Array<Token>, string> => {
  const out: Array<Token> = []
  TOKEN.lastIndex = 0
  while (TOKEN.lastIndex < text.length) {
    const m = TOKEN.exec(text)
    if (m === null) break
    if (m[1] !== undefined) out.push({ kind: "word", text: m[1].replace(/`/g, "") })
    else if (m[2] !== undefined) out.push({ kind: "string", text: m[2].slice(1, -1).replace(/\\(.)/g, "$1") })
    else if (m[3] !== undefined) out.push({ kind: "op", text: m[3] })
    else if (m[4] !== undefined) return Either.left(`unexpected '${m[4]}'`)
  }
  return Either.right(out)
}

const compare = (op: Op, a: number | string, b: number | string): boolean => {
  switch (op) {
    case "=":
      return a === b
    case "!=":
      return a !== b
    case ">=":
      return a >= b
    case "<=":
      return a <= b
    case ">":
      return a > b
    case "<":
      return a < b
  }
}

const condition = (field: string, op: Op, value: string): Either.Either<Filter, string> => {
  switch (field) {
    case "WorkflowType":
    case "WorkflowId":
    case "RunId": {
      const key = field === "WorkflowType" ? "workflowType" : field === "WorkflowId" ? "workflowId" : "runId"
      return Either.right((row) => compare(op, row[key], value))
    }
    case "ExecutionStatus": {
      const status = STATUS_NAMES[value.toLowerCase()]
      if (status === undefined) return Either.left(`invalid ExecutionStatus value '${value}'`)
      if (op !== "=" && op !== "!=") return Either.left(`operator '${op}' not allowed for ExecutionStatus`)
      return Either.right((row) => compare(op, row.status, status))
    }
    case "StartTime":
    case "CloseTime": {
      const ms = parseTimestamp(value)
      if (ms === undefined) return Either.left(`invalid ${field} value '${value}': want RFC 3339`)
      return Either.right((row) => {
        const t = field === "StartTime" ? row.startMs : row.closeMs
        return t !== null && compare(op, t, ms)
      })
    }
    default:
      return Either.left(`unknown or unsupported search attribute ${field}`)
  }
}

/** A filter from a query; the empty query matches everything. The error is the text after `invalid query: `. */
export const parse = (text: string): Either.Either<Filter, string> => {
  const tokens = tokenize(text)
  if (Either.isLeft(tokens)) return Either.left(tokens.left)
  const ts = tokens.right
  if (ts.length === 0) return Either.right(() => true)
  const filters: Array<Filter> = []
  let i = 0
  for (;;) {
    const [field, op, value] = [ts[i], ts[i + 1], ts[i + 2]]
    if (field?.kind !== "word" || op?.kind !== "op" || value?.kind !== "string") {
      return Either.left("the emulator understands only `Attribute <op> 'value'` joined by AND")
    }
    const f = condition(field.text, op.text as Op, value.text)
    if (Either.isLeft(f)) return Either.left(f.left)
    filters.push(f.right)
    i += 3
    if (i === ts.length) break
    if (ts[i]!.kind !== "word" || ts[i]!.text.toUpperCase() !== "AND") {
      return Either.left(`'${ts[i]!.text}' is not supported by the emulator (only AND)`)
    }
    i++
  }
  return Either.right((row) => filters.every((f) => f(row)))
}
