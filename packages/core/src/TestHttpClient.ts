/**
 * An `HttpClient` for provider tests: a function answers each request, and every request is
 * recorded, so a test can assert what was sent as well as what was made of the answer.
 *
 * @since 0.1.0
 */
import { HttpClient, HttpClientResponse } from "@effect/platform"
import { Effect, Layer, Ref } from "effect"

/**
 * @since 0.1.0
 * @category models
 */
export interface Seen {
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
}

/**
 * Builds the response to the `count`-th request (from 0).
 *
 * @since 0.1.0
 * @category models
 */
export type Answer = (url: URL, count: number) => Response | Effect.Effect<Response>

/**
 * @since 0.1.0
 * @category models
 */
export interface TestHttpClient {
  readonly client: HttpClient.HttpClient
  readonly seen: Effect.Effect<ReadonlyArray<Seen>>
  readonly layer: Layer.Layer<HttpClient.HttpClient>
}

/**
 * @since 0.1.0
 * @category constructors
 */
export const make = (answer: Answer): Effect.Effect<TestHttpClient> =>
  Effect.gen(function*() {
    const seen = yield* Ref.make<ReadonlyArray<Seen>>([])
    const client = HttpClient.make((request, url) =>
      Ref.modify(seen, (all) => [all.length, [...all, { url, headers: request.headers }]]).pipe(
        Effect.flatMap((count) => {
          const made = answer(url, count)
          return Effect.isEffect(made) ? made : Effect.succeed(made)
        }),
        Effect.map((response) => HttpClientResponse.fromWeb(request, response))
      )
    )
    return { client, seen: Ref.get(seen), layer: Layer.succeed(HttpClient.HttpClient, client) }
  })

/**
 * A JSON response.
 *
 * @since 0.1.0
 * @category constructors
 */
export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } })
