/**
 * Tiny local HTTP servers for what the emulator cannot answer: a body of hundreds of MB, a
 * validation error the client never lets through to the emulator, and a recording proxy that
 * shows exactly what went over the wire. All on 127.0.0.1, all closed with their scope.
 */
import { Effect, type Scope } from "effect"
import * as http from "node:http"
import type { AddressInfo } from "node:net"

/** 300 MB: far over the client's 64 MiB body limit. */
export const HUGE_BYTES = 300 * 1024 * 1024

export interface Stub {
  readonly url: string
  /** Requests seen per first path segment (`huge-declared`, `huge-stream`, `onepin-fastapi`). */
  readonly requests: Map<string, number>
  /** Bytes actually written per first path segment: proof that a body was not read whole. */
  readonly bytesSent: Map<string, number>
}

const listen = (server: http.Server) =>
  Effect.acquireRelease(
    Effect.async<number>((resume) => {
      server.listen(0, "127.0.0.1", () => resume(Effect.succeed((server.address() as AddressInfo).port)))
    }),
    () =>
      Effect.async<void>((resume) => {
        server.closeAllConnections()
        server.close(() => resume(Effect.void))
      })
  )

const CHUNK = Buffer.alloc(1024 * 1024, "0,")

/** Writes up to `total` bytes, honouring backpressure, until the client goes away. */
const pour = (res: http.ServerResponse, total: number, count: (n: number) => void) => {
  let sent = 0
  let closed = false
  res.on("close", () => (closed = true))
  res.write("[")
  const more = () => {
    while (!closed && sent < total) {
      sent += CHUNK.length
      count(CHUNK.length)
      if (!res.write(CHUNK)) return void res.once("drain", more)
    }
    if (!closed) res.end("0]")
  }
  more()
}

/**
 * - `/huge-declared/...`: 200 JSON declaring a 300 MB `Content-Length`, then streaming it.
 * - `/huge-stream/...`: 200 JSON, chunked, 300 MB without a declared length.
 * - `/cf-cursor-loop/...`: a Cloudflare listing whose every page is empty and carries the
 *   same cursor (a server stuck on a page).
 * - `/onepin-fastapi/...`: Onepin's FastAPI-shaped 422 for a run id, echoing the request's
 *   `Authorization` header in `input` (a server that reflects a secret must not make
 *   steptrail print it).
 */
export const start: Effect.Effect<Stub, never, Scope.Scope> = Effect.gen(function*() {
  const requests = new Map<string, number>()
  const bytesSent = new Map<string, number>()
  const server = http.createServer((req, res) => {
    const kind = (req.url ?? "/").split("/")[1] ?? ""
    requests.set(kind, (requests.get(kind) ?? 0) + 1)
    const count = (n: number) => bytesSent.set(kind, (bytesSent.get(kind) ?? 0) + n)
    req.resume()
    if (kind === "huge-declared") {
      res.writeHead(200, { "content-type": "application/json", "content-length": String(HUGE_BYTES + 3) })
      return pour(res, HUGE_BYTES, count)
    }
    if (kind === "huge-stream") {
      res.writeHead(200, { "content-type": "application/json" })
      return pour(res, HUGE_BYTES, count)
    }
    if (kind === "cf-cursor-loop") {
      const body = JSON.stringify({
        success: true,
        errors: [],
        messages: [],
        result: [],
        result_info: { count: 0, per_page: 100, total_count: 0, cursor: "c-1" }
      })
      res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
      return res.end(body)
    }
    if (kind === "onepin-fastapi") {
      const body = JSON.stringify({
        detail: [{
          loc: ["path", "run_id"],
          msg: `Input should be a valid UUID, got ${req.headers.authorization ?? ""}`,
          type: "uuid_parsing",
          input: req.headers.authorization ?? ""
        }]
      })
      res.writeHead(422, { "content-type": "application/json", "content-length": Buffer.byteLength(body) })
      return res.end(body)
    }
    res.writeHead(404, { "content-type": "application/json" })
    res.end(JSON.stringify({ detail: "Not Found" }))
  })
  const port = yield* listen(server)
  return { url: `http://127.0.0.1:${port}`, requests, bytesSent }
})

/** A port nothing listens on: bound once, then closed. */
export const closedPort: Effect.Effect<number> = Effect.scoped(
  Effect.gen(function*() {
    return yield* listen(http.createServer())
  })
)

export interface Recorded {
  readonly url: string
  readonly headers: http.IncomingHttpHeaders
}

export interface Proxy {
  readonly url: string
  readonly recorded: Array<Recorded>
}

/** Forwards every request to `target` (an origin) unchanged, keeping its URL and headers. */
export const recordingProxy = (target: string): Effect.Effect<Proxy, never, Scope.Scope> =>
  Effect.gen(function*() {
    const recorded: Array<Recorded> = []
    const to = new URL(target)
    const server = http.createServer((req, res) => {
      recorded.push({ url: req.url ?? "", headers: { ...req.headers } })
      const upstream = http.request(
        { host: to.hostname, port: to.port, path: req.url, method: req.method, headers: { ...req.headers, host: to.host } },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers)
          answer.pipe(res)
        }
      )
      upstream.on("error", () => res.destroy())
      req.pipe(upstream)
    })
    const port = yield* listen(server)
    return { url: `http://127.0.0.1:${port}`, recorded }
  })
