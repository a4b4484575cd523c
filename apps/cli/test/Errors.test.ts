/**
 * Every case of `errorCases.ts` against the built CLI: the documented exit code, exactly one
 * stderr line (the documented message), no stack trace, nothing on stdout, nothing left in
 * the output directory. And `docs/errors.md` lists every case with its exit code.
 */
import { describe, expect, it, layer } from "@effect/vitest"
import { Effect } from "effect"
import * as fs from "node:fs"
import { fileURLToPath } from "node:url"
import { stderrLines } from "./cli.js"
import { caseDir, cases, type Ctx, listFiles, matches, runCase, SECRETS, ServersTag, serversLayer } from "./errorCases.js"

const DOC = fileURLToPath(new URL("../../../docs/errors.md", import.meta.url))
const hasDevFull = fs.existsSync("/dev/full")

/** The rows of docs/errors.md's tables whose first cell is a case id: id → exit code cell. */
const documented = (): Map<string, string> => {
  const rows = new Map<string, string>()
  for (const line of fs.readFileSync(DOC, "utf8").split("\n")) {
    const cells = line.split("|").map((cell) => cell.trim())
    const id = /^`([a-z]+\.[a-z0-9-]+)`$/.exec(cells[1] ?? "")?.[1]
    if (id !== undefined) rows.set(id, cells[cells.length - 2] ?? "")
  }
  return rows
}

describe("the error table", () => {
  it("has at least 30 cases with unique ids, across all three providers", () => {
    expect(cases.length).toBeGreaterThanOrEqual(30)
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length)
    const text = JSON.stringify(cases.map((c) => c.id))
    for (const provider of ["cloudflare", "orchestra", "onepin"]) expect(text).toContain(provider)
  })

  it("docs/errors.md lists every case with its exit code, and no other", () => {
    const rows = documented()
    for (const kase of cases) {
      expect(rows.has(kase.id), `${kase.id} missing from docs/errors.md`).toBe(true)
      expect(rows.get(kase.id), `${kase.id}'s exit code in docs/errors.md`).toBe(String(kase.code))
    }
    expect([...rows.keys()].filter((id) => !cases.some((c) => c.id === id))).toEqual([])
  })
})

layer(serversLayer, { excludeTestServices: true, timeout: "30 seconds" })("steptrail error cases", (it) => {
  describe.concurrent("each prints one line, exits with its code, leaves nothing behind", () => {
    for (const kase of cases) {
      const skip = kase.stdoutFull === true && !hasDevFull
      it.effect.skipIf(skip)(`${kase.id}: ${kase.title} → ${kase.code}`, () =>
        Effect.gen(function*() {
          const servers = yield* ServersTag
          const c: Ctx = { ...servers, dir: caseDir() }
          try {
            kase.setup?.(c)
            const before = listFiles(c.dir)
            const r = yield* runCase(kase, c)
            const lines = stderrLines(r)
            expect(r.stderr, "no stack trace").not.toMatch(/^\s+at /m)
            expect(lines, r.stderr).toHaveLength(1)
            expect(matches(kase.stderr, lines[0]!, c), `stderr ${JSON.stringify(lines[0])} vs ${String(kase.stderr)}`).toBe(true)
            expect(r.code, r.stderr).toBe(kase.code)
            expect(r.stdout).toBe("")
            expect(listFiles(c.dir), "no output, no .partial, no half file").toEqual(before)
            for (const secret of SECRETS) expect(r.stderr).not.toContain(secret)
            kase.after?.(c)
          } finally {
            fs.rmSync(c.dir, { recursive: true, force: true })
          }
        }), 30_000)
    }
  })
})
