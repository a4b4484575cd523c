import { describe, expect, it } from "@effect/vitest"
import { Url } from "@steptrail/database"
import { Effect, Redacted } from "effect"
import * as path from "node:path"

describe("Url.parse", () => {
  it.effect("sqlite:PATH, relative or absolute, resolved; named as given", () =>
    Effect.gen(function*() {
      const relative = yield* Url.parse("sqlite:data/steps.db")
      expect(relative).toEqual({ _tag: "Sqlite", filename: path.resolve("data/steps.db"), display: "sqlite:data/steps.db" })
      const absolute = yield* Url.parse("sqlite:///tmp/steps.db")
      expect(absolute._tag === "Sqlite" && absolute.filename).toBe("/tmp/steps.db")
      expect((yield* Effect.flip(Url.parse("sqlite:"))).message).toContain("sqlite:PATH")
    }))

  it.effect("postgres:// and postgresql://: the password Redacted and never in what is displayed; PG* fill the gaps", () =>
    Effect.gen(function*() {
      const url = yield* Url.parse("postgresql://ann:p%40ss-w0rd@db.internal:6543/steps")
      expect(url._tag).toBe("Postgres")
      if (url._tag !== "Postgres") return
      expect([url.host, url.port, url.database, url.username]).toEqual(["db.internal", 6543, "steps", "ann"])
      expect(Redacted.value(url.password!)).toBe("p@ss-w0rd")
      expect(url.display).toBe("postgres://ann@db.internal:6543/steps")
      expect(JSON.stringify(url)).not.toContain("w0rd")
      const env: Record<string, string> = { PGUSER: "bob", PGPASSWORD: "env-secret", PGDATABASE: "d" }
      const filled = yield* Url.parse("postgres://db.internal", (k) => env[k])
      expect(filled._tag === "Postgres" && [filled.username, filled.port, filled.database, Redacted.value(filled.password!)]).toEqual(["bob", 5432, "d", "env-secret"])
    }))

  it.effect("a malformed URL, a bad port or query options: exit 2, without the password", () =>
    Effect.gen(function*() {
      for (const out of ["postgres://u:s3cret@", "postgres://u:s3cret@h:99999/db", "postgres://u:s3cret@h/db?sslmode=require"]) {
        const error = yield* Effect.flip(Url.parse(out))
        expect(error.exitCode).toBe(2)
        expect(error.message).not.toContain("s3cret")
      }
      expect(Url.isDatabase("sqlite:x.db") && Url.isDatabase("POSTGRES://h/db") && !Url.isDatabase("runs.ndjson") && !Url.isDatabase("postgres.ndjson")).toBe(true)
    }))
})
