import { ProviderError } from "@steptrail/core"
import { Effect } from "effect"

const uuid = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

/**
 * Workflow and run ids are UUIDs (`format: "uuid"`): a malformed one is refused before any
 * request, with exit code 2, instead of costing a round trip and a 422.
 *
 * @internal
 */
export const uuidOf = (what: "workflow" | "run", id: string): Effect.Effect<string, ProviderError.InvalidRequest> =>
  uuid.test(id)
    ? Effect.succeed(id)
    : Effect.fail(
      new ProviderError.InvalidRequest({
        provider: "onepin",
        detail: `${what} id ${JSON.stringify(id)} is not a UUID`,
        field: `${what}_id`,
        run: what === "run" ? id : undefined
      })
    )
