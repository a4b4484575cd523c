import { HttpClient, HttpClientResponse } from "@effect/platform"
import { Effect, Ref } from "effect"

export interface Seen {
  readonly url: URL
  readonly headers: Readonly<Record<string, string>>
}

export type Answer = (url: URL, count: number) => Response

/**
 * A fake HttpClient: `answer` builds each response (`count` is the 0-based number of the
 * request); every request is recorded.
 */
export const fake = (answer: Answer) =>
  Effect.gen(function*() {
    const seen = yield* Ref.make<ReadonlyArray<Seen>>([])
    const client = HttpClient.make((request, url) =>
      Ref.modify(seen, (all) => [all.length, [...all, { url, headers: request.headers }]]).pipe(
        Effect.map((count) => HttpClientResponse.fromWeb(request, answer(url, count)))
      )
    )
    return { client, seen: Ref.get(seen) }
  })

export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } })
