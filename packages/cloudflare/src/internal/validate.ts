/**
 * Input checks made before any request, so a malformed id is a usage error (exit 2) and
 * never a confusing 404 or a request for some other path.
 *
 * @internal
 */
import { ProviderError } from "@steptrail/core"
import { Effect } from "effect"

/** @internal */
export const PROVIDER = "cloudflare"

// C0 controls, DEL and C1 controls: never part of a name, often a paste accident.
const control = /[\u0000-\u001f\u007f-\u009f]/

/** Quoted, with every control character escaped: a message must stay one printable line. */
/** @internal */
export const quote = (value: string) =>
  JSON.stringify(value).replace(/[\u007f-\u009f]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`)

const invalid = (detail: string, field: string) =>
  new ProviderError.InvalidRequest({ provider: PROVIDER, detail, field })

const text = (
  field: string,
  label: string,
  value: string,
  min: number,
  max: number
): Effect.Effect<string, ProviderError.InvalidRequest> => {
  if (control.test(value)) return Effect.fail(invalid(`${label} ${quote(value)} contains a control character`, field))
  const length = [...value].length
  if (length < min || length > max) {
    return Effect.fail(
      invalid(`${label} must be ${min} to ${max} characters, got ${length}: ${quote(value.slice(0, 120))}`, field)
    )
  }
  return Effect.succeed(value)
}

/** @internal */
export const accountId = (value: string): Effect.Effect<string, ProviderError.InvalidRequest> =>
  /^[0-9a-fA-F]{32}$/.test(value)
    ? Effect.succeed(value)
    : Effect.fail(invalid(`account id must be 32 hexadecimal characters, got ${quote(value.slice(0, 80))}`, "account_id"))

/** @internal */
export const workflowName = (value: string) => text("workflow_name", "workflow name", value, 1, 64)

/** @internal */
export const instanceId = (value: string) => text("instance_id", "instance id", value, 1, 100)

/** @internal */
export const stepName = (value: string) => text("name", "step name", value, 1, Number.MAX_SAFE_INTEGER)
