import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { Database, Tables, Url } from "@steptrail/database"
import * as net from "node:net"
import { provider } from "./fake.js"
import { PgClient } from "@effect/sql-pg"
import { Effect, Layer } from "effect"
import * as postgres from "@steptrail/database/TestServer"
import { suite } from "./suite.js"

let server: postgres.Server
let n = 0
let closedPort = 0
beforeAll(async () => {
  server = await postgres.start()
  // a port nothing listens on
  closedPort = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as net.AddressInfo).port
      s.close(() => resolve(port))
    })
  })
}, 60_000)
afterAll(() => server?.stop())

suite("PostgreSQL", () =>
  Layer.unwrapEffect(Effect.sync(() => {
    const name = `t${++n}`
    server.createDatabase(name)
    return PgClient.layer({ host: "127.0.0.1", port: server.port, database: name, username: "postgres" })
  })))

describe("PostgreSQL: what cannot be used is one error with a contract exit code, and never the password", () => {
  const run = (out: string, env: Record<string, string> = {}) =>
    Effect.flip(Effect.flatMap(Url.parse(out, (k) => env[k]), (url) => Url.run(url, [{ provider: provider({ ids: () => ["run-1"], steps: 1 }), workflow: "wf" }])))

  it.live("an unreachable server: unavailable, exit 5, after retries", () =>
    Effect.gen(function*() {
      const error = yield* run(`postgres://u:s3cret-pw@127.0.0.1:${closedPort}/db`)
      expect(error._tag).toBe("DatabaseError")
      expect((error as Database.DatabaseError).exitCode).toBe(5)
      expect(error.message).toMatch(/^database postgres:\/\/u@127\.0\.0\.1:\d+\/db: cannot reach the server/)
      expect(error.message).not.toContain("s3cret")
    }), 60_000)

  it.live("a wrong password (in the URL or PGPASSWORD): unauthorized, exit 3", () =>
    Effect.gen(function*() {
      server.psql("postgres", "CREATE ROLE alice LOGIN PASSWORD 'right-pw'")
      server.createDatabase("alice_db")
      const inUrl = yield* run(`postgres://alice:wr0ng-pw@127.0.0.1:${server.port}/alice_db`)
      expect((inUrl as Database.DatabaseError).exitCode).toBe(3)
      expect(inUrl.message).toContain("refused the credentials")
      expect(inUrl.message).not.toContain("wr0ng-pw")
      const inEnv = yield* run(`postgres://alice@127.0.0.1:${server.port}/alice_db`, { PGPASSWORD: "wr0ng-pw" })
      expect((inEnv as Database.DatabaseError).exitCode).toBe(3)
    }))

  it.live("no right to create tables: unauthorized, exit 3, nothing created", () =>
    Effect.gen(function*() {
      server.psql("postgres", "CREATE ROLE bob LOGIN PASSWORD 'bob-pw'")
      server.createDatabase("bob_db")
      const error = yield* run(`postgres://bob:bob-pw@127.0.0.1:${server.port}/bob_db`)
      expect((error as Database.DatabaseError).exitCode).toBe(3)
      expect(error.message).toContain("permission denied")
      expect(server.psql("bob_db", "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'steptrail%'").trim()).toBe("0")
    }))

  it.live("PGPASSWORD, PGUSER and PGDATABASE fill what the URL leaves out", () =>
    Effect.gen(function*() {
      server.psql("postgres", "CREATE ROLE carol LOGIN PASSWORD 'carol-pw'")
      server.psql("postgres", "CREATE DATABASE carol_db OWNER carol")
      const url = yield* Url.parse(`postgresql://127.0.0.1:${server.port}`, (k) => ({ PGUSER: "carol", PGPASSWORD: "carol-pw", PGDATABASE: "carol_db" } as Record<string, string>)[k])
      expect(url.display).toBe(`postgres://carol@127.0.0.1:${server.port}/carol_db`)
      const result = yield* Url.run(url, [{ provider: provider({ ids: () => ["run-1", "run-2"], steps: 2 }), workflow: "wf" }])
      expect(result.steps).toBe(4)
      expect(server.psql("carol_db", "SELECT count(*) FROM steptrail_steps").trim()).toBe("4")
    }))
})

describe("PostgreSQL: processes started together", () => {
  const client = (database: string) => PgClient.layer({ host: "127.0.0.1", port: server.port, database, username: "postgres" })

  it.live("Database.exclusively: two sessions never hold it at once", () =>
    Effect.gen(function*() {
      const name = `x${++n}`
      server.createDatabase(name)
      const spans: Array<readonly [number, number]> = []
      const held = Effect.gen(function*() {
        const from = performance.now()
        yield* Effect.sleep("300 millis")
        spans.push([from, performance.now()])
      })
      // two clients, two pools: as two processes would be
      yield* Effect.all([
        Effect.provide(Database.exclusively(held), client(name)),
        Effect.provide(Database.exclusively(held), client(name))
      ], { concurrency: 2 })
      const [a, b] = [...spans].sort((x, y) => x[0] - y[0])
      expect(b![0]).toBeGreaterThanOrEqual(a![1])
    }))

  it.live("four migrations of one new database at once all succeed (unlocked, PostgreSQL's CREATE TABLE races fail one)", () =>
    Effect.gen(function*() {
      const name = `m${++n}`
      server.createDatabase(name)
      yield* Effect.all(Array.from({ length: 4 }, () => Effect.provide(Database.migrate(`postgres://127.0.0.1/${name}`), client(name))), { concurrency: 4 })
      const layout = yield* Effect.provide(Tables.layout, client(name))
      expect(layout).toBe(Tables.LAYOUT)
    }))
})
