/**
 * `GET .../instances/{id}/step`: one step's full output (or one attempt's),
 * in the envelope or flat per `stepBody`, binary outputs as octets.
 *
 * @internal
 */
import type { ApiRequest, Reply } from "../http.js"
import * as Http from "../http.js"
import { hash } from "../random.js"
import { badRequest, Codes, errorReply } from "./bodies.js"
import type { ErrorBody } from "./model.js"
import { REDACTED } from "./model.js"
import { binaryBytes, fullText, isSensitive, valueSalt } from "./previews.js"
import type { Store } from "./store.js"

export const getStep = (store: Store, req: ApiRequest, ordinal: number, now: number): Reply => {
  const route = "getStep"
  const name = Http.param(req.query, "name")
  if (name === undefined || name === "") return badRequest(route, "name is required")
  const type = Http.param(req.query, "type")
  if (type !== "step" && type !== "waitForEvent") return badRequest(route, "type must be step or waitForEvent")
  let attempt: number | undefined
  const attemptText = Http.param(req.query, "attempt")
  if (attemptText !== undefined) {
    const n = Http.parseIntStrict(attemptText)
    if (n === undefined || n < 1) return badRequest(route, "attempt must be an integer greater than 0")
    attempt = n
  }
  const v = store.viewAt(ordinal, now)
  const found = v.entries.find((e) =>
    e.entry.name === name &&
    (type === "waitForEvent" ? e.entry.kind === "waitForEvent" : e.entry.kind === "step" || e.entry.kind === "rollback")
  )
  if (found === undefined) return errorReply(route, 404, Codes.stepNotFound, `Step not found: ${name} (${type})`)
  const e = found.entry
  const salt = valueSalt(store.config, ordinal, e.index)
  let status: string
  let error: ErrorBody | null = null
  let complete = false
  if (e.kind === "waitForEvent") {
    if (attempt !== undefined && attempt !== 1) return errorReply(route, 404, Codes.stepNotFound, `Attempt ${attempt} not found`)
    if (found.inflight) status = "waiting"
    else if (e.error !== null) {
      status = "errored"
      error = e.error
    } else {
      status = "complete"
      complete = true
    }
  } else if (attempt !== undefined) {
    const a = found.attempts[attempt - 1]
    if (a === undefined) return errorReply(route, 404, Codes.stepNotFound, `Attempt ${attempt} not found`)
    if (a.end === null) status = "running"
    else if (a.success === true) {
      status = "complete"
      complete = true
    } else {
      status = "errored"
      error = a.error
    }
  } else if (found.inflight) {
    status = "running"
    for (const a of found.attempts) if (a.success === false) error = a.error
  } else if (e.success) {
    status = "complete"
    complete = true
  } else {
    status = "errored"
    error = e.attempts[e.attempts.length - 1]!.error
  }
  let output = "null"
  if (complete) {
    if (isSensitive(e)) output = JSON.stringify(REDACTED)
    else if (e.value.t === "binary") return Http.bytes(route, binaryBytes(e.value, salt))
    else output = fullText(e.value, salt)
  }
  // The output is spliced in as text; it is already serialized JSON.
  const result = `{"error":${JSON.stringify(error)},"status":${JSON.stringify(status)},"output":${output}}`
  const flat = store.config.stepBody === "flat" || (store.config.stepBody === "mixed" && hash(store.config.seed, ordinal, e.index) % 2 === 1)
  return {
    status: 200,
    route,
    headers: { "content-type": "application/json; charset=utf-8" },
    body: flat ? result : `{"errors":[],"messages":[],"result":${result},"success":true}`
  }
}

