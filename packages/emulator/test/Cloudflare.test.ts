import { describe, expect, it } from "@effect/vitest"
import * as Effect from "effect/Effect"
import { Emulator } from "@steptrail/emulator"
import { cf, expectKeys, get, ISO_MS, request, UUID } from "./helpers.js"

const ENVELOPE = ["errors", "messages", "result", "success"]
const LIST_ITEM = ["id", "status", "created_on", "modified_on", "ended_on", "workflow_id", "version_id"]
// Seed 002's result, and its step union members.
const INSTANCE = ["end", "error", "output", "params", "queued", "start", "status", "step_count", "steps", "success", "trigger", "versionId"]
const STEP = ["attempts", "config", "end", "name", "output", "start", "success", "type"]
const SLEEP = ["end", "error", "finished", "name", "start", "type"]
const ATTEMPT = ["end", "error", "start", "success"]
const STATUSES = ["queued", "running", "paused", "errored", "terminated", "complete", "waitingForPause", "waiting"]

const allPagesByCursor = (em: Emulator.Emulator, query: string) =>
  Effect.gen(function*() {
    const ids: Array<string> = []
    let cursor: string | undefined
    let pages = 0
    do {
      const url = cf(em, `/instances?per_page=100${query}${cursor === undefined ? "" : `&cursor=${encodeURIComponent(cursor)}`}`)
      const r = yield* get(em, url)
      expect(r.status).toBe(200)
      for (const item of r.json.result) ids.push(item.id)
      cursor = r.json.result_info.cursor
      pages++
    } while (cursor !== undefined && pages < 50)
    return { ids, pages }
  })

describe("Cloudflare", () => {
  it.scoped("lists instances in the documented envelope, desc by default", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const r = yield* get(em, cf(em, "/instances?per_page=5"))
      expect(r.status).toBe(200)
      expect(r.headers.get("content-type")).toMatch(/^application\/json/)
      expectKeys(r.json, [...ENVELOPE, "result_info"])
      expect(r.json.success).toBe(true)
      expect(r.json.result).toHaveLength(5)
      for (const item of r.json.result) {
        expectKeys(item, LIST_ITEM)
        expect(item.created_on).toMatch(ISO_MS)
        expect(item.modified_on).toMatch(ISO_MS)
        expect(STATUSES).toContain(item.status)
        expect(item.version_id).toMatch(UUID)
      }
      const created = r.json.result.map((i: any) => i.created_on)
      expect([...created].sort().reverse()).toEqual(created)
      expectKeys(r.json.result_info, ["count", "per_page", "total_count", "cursor"])
      expect(r.json.result_info).toMatchObject({ count: 5, per_page: 5, total_count: 151 })
      const d = yield* get(em, cf(em, "/instances"))
      expect(d.json.result).toHaveLength(Emulator.defaults.cloudflare.perPage)
    }))

  it.scoped("cursor pagination reaches every instance exactly once, both directions", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      for (const direction of ["asc", "desc"]) {
        const { ids, pages } = yield* allPagesByCursor(em, `&direction=${direction}`)
        expect(pages).toBe(2)
        expect(ids).toHaveLength(151)
        expect(new Set(ids).size).toBe(151)
      }
      const last = yield* get(em, cf(em, "/instances?per_page=100&direction=asc&cursor=" + encodeURIComponent(
        (yield* get(em, cf(em, "/instances?per_page=100&direction=asc"))).json.result_info.cursor
      )))
      expect(last.json.result_info.cursor).toBeUndefined()
      expect(last.json.result_info.count).toBe(51)
    }))

  it.scoped("deprecated page pagination: every instance once, empty result past the end", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const ids: Array<string> = []
      for (let page = 1; page < 20; page++) {
        const r = yield* get(em, cf(em, `/instances?per_page=40&page=${page}`))
        expect(r.status).toBe(200)
        expectKeys(r.json.result_info, ["count", "per_page", "total_count", "page", "total_pages"])
        expect(r.json.result_info).toMatchObject({ page, per_page: 40, total_count: 151, total_pages: 4 })
        if (r.json.result.length === 0) break
        for (const item of r.json.result) ids.push(item.id)
      }
      expect(ids).toHaveLength(151)
      expect(new Set(ids).size).toBe(151)
      const past = yield* get(em, cf(em, "/instances?per_page=40&page=99"))
      expect(past.json.result).toEqual([])
    }))

  it.scoped("filters by status and creation date; every status exists", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      // seed 1: the fixtures (one of each frozen status; live run 0 is running at the epoch) and 140 random ones
      const counts: Record<string, number> = {
        queued: 1,
        running: 3,
        paused: 1,
        errored: 13,
        terminated: 17,
        complete: 113,
        waitingForPause: 1,
        waiting: 2
      }
      expect(Object.values(counts).reduce((a, b) => a + b, 0)).toBe(151)
      for (const status of STATUSES) {
        const r = yield* get(em, cf(em, `/instances?per_page=100&status=${status}`))
        expect(r.status).toBe(200)
        expect(r.json.result).toHaveLength(Math.min(100, counts[status]!))
        expect(r.json.result.every((i: any) => i.status === status)).toBe(true)
        expect(r.json.result_info.total_count).toBe(counts[status])
      }
      const complete = yield* allPagesByCursor(em, "&status=complete")
      expect(complete.ids).toHaveLength(113)
      expect(complete.pages).toBe(2)
      const total = (yield* get(em, cf(em, "/instances?status=complete"))).json.result_info.total_count
      expect(complete.ids).toHaveLength(total)
      expect(new Set(complete.ids).size).toBe(total)
      const all = (yield* get(em, cf(em, "/instances?per_page=100&direction=asc"))).json.result
      const from = all[10].created_on
      const to = all[19].created_on
      const w = yield* get(em, cf(em, `/instances?per_page=100&direction=asc&date_start=${from}&date_end=${to}`))
      expect(w.json.result.map((i: any) => i.id)).toEqual(all.slice(10, 20).map((i: any) => i.id))
      expect(w.json.result_info.total_count).toBe(10)
    }))

  it.scoped("the showcase instance has every step kind in seed 002's shapes", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const fx = em.fixtures.cloudflare
      const r = yield* get(em, cf(em, `/instances/${fx.instances.showcase}`))
      expect(r.status).toBe(200)
      expectKeys(r.json, ENVELOPE)
      const inst = r.json.result
      expectKeys(inst, INSTANCE)
      expect(inst.status).toBe("complete")
      expect(inst.success).toBe(true)
      expect(["string", "number"]).toContain(typeof inst.output)
      expect(inst.versionId).toMatch(UUID)
      expect(["unknown", "api", "binding", "event", "cron"]).toContain(inst.trigger.source)
      for (const t of [inst.queued, inst.start, inst.end]) expect(t).toMatch(ISO_MS)
      expect(inst.step_count).toBe(inst.steps.length)
      const byName = (name: string, type: string) => inst.steps.find((s: any) => s.name === name && s.type === type)
      const s = fx.showcaseSteps
      for (const step of inst.steps) {
        if (step.type === "step") {
          expectKeys(step, step.config.sensitive === undefined ? STEP : STEP)
          for (const a of step.attempts) expectKeys(a, ATTEMPT)
          expect(step.config.retries).toHaveProperty("delay")
          expect(step.config.retries).toHaveProperty("limit")
        } else if (step.type === "sleep") expectKeys(step, SLEEP)
        else if (step.type === "waitForEvent") expectKeys(step, [...SLEEP, "event_type", "output"])
      }
      // counter suffixes
      expect(byName("load-1", "step")).toBeDefined()
      expect(byName("load-2", "step")).toBeDefined()
      expect(byName("load-3", "step")).toBeDefined()
      // truncation marker on previews longer than 1024
      const truncated = byName(s.truncated, "step").output as string
      expect(truncated.endsWith("[truncated output]")).toBe(true)
      expect(truncated.length).toBe(1024 + "[truncated output]".length)
      expect(byName(s.binary, "step").output).toBe("[ReadableStream (binary): 2048 bytes]")
      expect(byName(s.sensitive, "step").output).toBe("[REDACTED]")
      expect(byName(s.sensitive, "step").config.sensitive).toBe("output")
      expect(byName(s.nullOutput, "step").output).toBeNull()
      expect(JSON.parse(byName(s.numberOutput, "step").output)).toBeTypeOf("number")
      const retried = byName(s.retried, "step")
      expect(retried.attempts.map((a: any) => a.success)).toEqual([false, false, true])
      expectKeys(retried.attempts[0].error, ["message", "name"])
      expect(retried.config).toEqual({ retries: { delay: "10 seconds", limit: 5, backoff: "exponential" }, timeout: "10 minutes" })
      expect(byName(s.numberDelay, "step").config).toEqual({ retries: { delay: 5000, limit: 3, backoff: "linear" }, timeout: 60000 })
      expect(byName(s.dynamicDelay, "step").config.retries.delay).toBe("[dynamic]")
      expect(byName(s.sensitive, "step").config.retries.backoff).toBe("constant")
      const wait = byName(s.waitForEvent, "waitForEvent")
      expect(wait).toMatchObject({ finished: true, error: null, event_type: "approval.granted" })
      expect(typeof wait.output).toBe("string")
      expect(byName(s.sharedNameStep, "step")).toBeDefined()
      expect(byName(s.sleep, "sleep")).toMatchObject({ finished: true, error: null })
    }))

  it.scoped("order=desc reverses steps; simple=true drops them", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const id = em.fixtures.cloudflare.instances.showcase
      const asc = (yield* get(em, cf(em, `/instances/${id}?order=asc`))).json.result
      const desc = (yield* get(em, cf(em, `/instances/${id}?order=desc`))).json.result
      expect(desc.steps).toEqual([...asc.steps].reverse())
      const simple = (yield* get(em, cf(em, `/instances/${id}?simple=true`))).json.result
      expect(simple.steps).toBeUndefined()
      expect(simple.step_count).toBe(asc.steps.length)
      expectKeys(simple, INSTANCE.filter((k) => k !== "steps"))
    }))

  it.scoped("special instances: errored with rollbacks, terminated, running, retrying, waiting, queued", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const fx = em.fixtures.cloudflare
      const inst = (id: string | null) => get(em, cf(em, `/instances/${id}`)).pipe(Effect.map((r) => r.json.result))

      const errored = yield* inst(fx.instances.errored)
      expect(errored.status).toBe("errored")
      expect(errored.success).toBe(false)
      expectKeys(errored.error, ["message", "name"])
      const exhausted = errored.steps.find((s: any) => s.name === fx.erroredSteps!.exhausted)
      expect(exhausted.success).toBe(false)
      expect(exhausted.attempts).toHaveLength(4)
      expect(exhausted.attempts.every((a: any) => a.success === false)).toBe(true)
      expect(errored.steps.filter((s: any) => s.type === "rollback").map((s: any) => s.name)).toEqual(fx.erroredSteps!.rollbacks)
      for (const s of errored.steps.filter((s: any) => s.type === "rollback")) expectKeys(s, STEP)

      const terminated = yield* inst(fx.instances.terminated)
      expect(terminated.status).toBe("terminated")
      const last = terminated.steps[terminated.steps.length - 1]
      expectKeys(last, ["trigger", "type"])
      expect(last.type).toBe("termination")
      expect(typeof last.trigger.source).toBe("string")

      const running = yield* inst(fx.instances.running)
      expect(running.status).toBe("running")
      expect(running.end).toBeNull()
      const inflight = running.steps[running.steps.length - 1]
      expect(inflight).toMatchObject({ name: fx.inflightSteps.running, success: null, end: null, output: null })
      expect(inflight.attempts[inflight.attempts.length - 1]).toMatchObject({ end: null, success: null, error: null })

      const retrying = yield* inst(fx.instances.retrying)
      const r = retrying.steps[retrying.steps.length - 1]
      expect(r).toMatchObject({ name: fx.inflightSteps.retrying, success: null, end: null })
      expect(r.attempts).toHaveLength(1)
      expect(r.attempts[0].success).toBe(false)

      const waiting = yield* inst(fx.instances.waitingForEvent)
      expect(waiting.status).toBe("waiting")
      const w = waiting.steps[waiting.steps.length - 1]
      expect(w).toMatchObject({ type: "waitForEvent", finished: false, end: null, event_type: "human.review" })
      expect(w.output).toBeUndefined()

      const timeout = yield* inst(fx.instances.waitTimeout)
      expect(timeout.status).toBe("errored")
      const t = timeout.steps[timeout.steps.length - 1]
      expect(t.type).toBe("waitForEvent")
      expect(t.error.name).toBe("WorkflowTimeoutError")
      expect(timeout.error).toEqual(t.error)

      const sleeping = yield* inst(fx.instances.sleeping)
      expect(sleeping.status).toBe("waiting")
      expect(sleeping.steps[sleeping.steps.length - 1]).toMatchObject({ type: "sleep", finished: false, end: null })

      const queued = yield* inst(fx.instances.queued)
      expect(queued).toMatchObject({ status: "queued", start: null, end: null, step_count: 0, steps: [] })
      expect((yield* inst(fx.instances.paused)).status).toBe("paused")
      expect((yield* inst(fx.instances.waitingForPause)).status).toBe("waitingForPause")
    }))

  it.scoped("/step serves full outputs, octet-stream, [REDACTED], attempts and in-flight states", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const fx = em.fixtures.cloudflare
      const step = (id: string | null, query: string) => get(em, cf(em, `/instances/${id}/step?${query}`))
      const s = fx.showcaseSteps
      const logs = (yield* get(em, cf(em, `/instances/${fx.instances.showcase}`))).json.result.steps

      const full = yield* step(fx.instances.showcase, `name=${s.truncated}&type=step`)
      expect(full.status).toBe(200)
      expectKeys(full.json, ENVELOPE)
      expectKeys(full.json.result, ["error", "status", "output"])
      expect(full.json.result.status).toBe("complete")
      expect(full.json.result.error).toBeNull()
      const serialized = JSON.stringify(full.json.result.output)
      // at least 3 x 1024 characters, the showcase's rule for load-2
      expect(serialized).toHaveLength(3115)
      const preview = logs.find((x: any) => x.name === s.truncated).output
      expect(preview).toBe(serialized.slice(0, 1024) + "[truncated output]")

      const small = yield* step(fx.instances.showcase, `name=${s.counterFirst}&type=step`)
      expect(JSON.stringify(small.json.result.output)).toBe(logs.find((x: any) => x.name === s.counterFirst).output)

      const bin = yield* step(fx.instances.showcase, `name=${s.binary}&type=step`)
      expect(bin.headers.get("content-type")).toBe("application/octet-stream")
      expect(bin.bytes.length).toBe(2048)
      const bin2 = yield* step(fx.instances.showcase, `name=${s.binary}&type=step`)
      expect(bin2.bytes.equals(bin.bytes)).toBe(true)

      const secret = yield* step(fx.instances.showcase, `name=${s.sensitive}&type=step`)
      expect(secret.json.result.output).toBe("[REDACTED]")

      const a1 = yield* step(fx.instances.showcase, `name=${s.retried}&type=step&attempt=1`)
      expect(a1.json.result.status).toBe("errored")
      expectKeys(a1.json.result.error, ["message", "name"])
      expect(a1.json.result.output).toBeNull()
      const a3 = yield* step(fx.instances.showcase, `name=${s.retried}&type=step&attempt=3`)
      expect(a3.json.result.status).toBe("complete")
      expect((yield* step(fx.instances.showcase, `name=${s.retried}&type=step&attempt=4`)).status).toBe(404)

      // same name, two types
      const asStep = yield* step(fx.instances.showcase, `name=${s.sharedNameStep}&type=step`)
      const asEvent = yield* step(fx.instances.showcase, `name=${s.waitForEvent}&type=waitForEvent`)
      expect(asStep.json.result.status).toBe("complete")
      expect(asEvent.json.result.status).toBe("complete")
      expect(asStep.json.result.output).not.toEqual(asEvent.json.result.output)

      const running = yield* step(fx.instances.running, `name=${fx.inflightSteps.running}&type=step`)
      expect(running.json.result).toEqual({ error: null, status: "running", output: null })
      const retrying = yield* step(fx.instances.retrying, `name=${fx.inflightSteps.retrying}&type=step`)
      expect(retrying.json.result.status).toBe("running")
      expectKeys(retrying.json.result.error, ["message", "name"])
      expect(retrying.json.result.output).toBeNull()
      const waiting = yield* step(fx.instances.waitingForEvent, `name=${fx.inflightSteps.waitingForEvent}&type=waitForEvent`)
      expect(waiting.json.result).toEqual({ error: null, status: "waiting", output: null })
      const exhausted = yield* step(fx.instances.errored, `name=${fx.erroredSteps!.exhausted}&type=step`)
      expect(exhausted.json.result.status).toBe("errored")

      const missing = yield* step(fx.instances.showcase, "name=nope-1&type=step")
      expect(missing.status).toBe(404)
      expectKeys(missing.json, ENVELOPE)
      expect(missing.json.success).toBe(false)
      const wrongType = yield* step(fx.instances.showcase, `name=${s.sleep}&type=step`)
      expect(wrongType.status).toBe(404)
    }))

  it.scoped("/step body forms: flat and mixed", () =>
    Effect.gen(function*() {
      const flat = yield* Emulator.start({ cloudflare: { stepBody: "flat" } })
      const s = flat.fixtures.cloudflare.showcaseSteps
      const r = yield* get(flat, cf(flat, `/instances/${flat.fixtures.cloudflare.instances.showcase}/step?name=${s.counterFirst}&type=step`))
      expectKeys(r.json, ["error", "status", "output"])
      expect(r.json.status).toBe("complete")

      const mixed = yield* Emulator.start({ cloudflare: { stepBody: "mixed" } })
      const shapes = new Set<string>()
      for (const name of Object.values(s)) {
        const m = yield* get(mixed, cf(mixed, `/instances/${mixed.fixtures.cloudflare.instances.showcase}/step?name=${name}&type=step`))
        if (m.status === 200 && m.json !== undefined) shapes.add("success" in m.json ? "envelope" : "flat")
      }
      expect([...shapes].sort()).toEqual(["envelope", "flat"])
    }))

  it.scoped("auth, account, not-found and validation errors use the envelope", () =>
    Effect.gen(function*() {
      const em = yield* Emulator.start()
      const error = (r: { json: any }, code?: number) => {
        expectKeys(r.json, ENVELOPE)
        expect(r.json).toMatchObject({ success: false, messages: [], result: null })
        expect(r.json.errors).toHaveLength(1)
        expectKeys(r.json.errors[0], ["code", "message"])
        if (code !== undefined) expect(r.json.errors[0].code).toBe(code)
      }
      const none = yield* request(cf(em, "/instances"))
      expect(none.status).toBe(401)
      error(none, 10000)
      expect(none.json.errors[0].message).toBe("Authentication error")
      const wrong = yield* get(em, cf(em, "/instances"), { authorization: "Bearer nope" })
      expect(wrong.status).toBe(401)
      const legacy = yield* get(em, cf(em, "/instances"), { "x-auth-email": "me@example.com", "x-auth-key": em.info.token })
      expect(legacy.status).toBe(200)
      const noEmail = yield* get(em, cf(em, "/instances"), { "x-auth-key": em.info.token })
      expect(noEmail.status).toBe(401)

      const account = yield* get(em, `${em.info.cloudflare.baseUrl}/accounts/${"0".repeat(32)}/workflows/order-pipeline/instances`)
      expect(account.status).toBe(403)
      error(account, 9109)

      const wf = yield* get(em, `${em.info.cloudflare.baseUrl}/accounts/${em.info.cloudflare.accountId}/workflows/nope/instances`)
      expect(wf.status).toBe(404)
      error(wf, Emulator.constants.cloudflare.codes.workflowNotFound)
      const inst = yield* get(em, cf(em, "/instances/does-not-exist"))
      expect(inst.status).toBe(404)
      error(inst, Emulator.constants.cloudflare.codes.instanceNotFound)
      // %2F is part of the id, never a separator
      const slash = yield* get(em, cf(em, `/instances/${em.fixtures.cloudflare.instances.showcase}%2Fstep?name=load-1&type=step`))
      expect(slash.status).toBe(404)
      error(slash, Emulator.constants.cloudflare.codes.instanceNotFound)

      const empty = yield* get(em, `${em.info.cloudflare.baseUrl}/accounts/${em.info.cloudflare.accountId}/workflows/empty-pipeline/instances`)
      expect(empty.status).toBe(200)
      expect(empty.json.result).toEqual([])
      expect(empty.json.result_info.total_count).toBe(0)

      const id = em.fixtures.cloudflare.instances.showcase
      for (
        const path of [
          "/instances?per_page=0",
          "/instances?per_page=101",
          "/instances?per_page=abc",
          "/instances?status=done",
          "/instances?date_start=yesterday",
          "/instances?date_end=2026-13-45",
          "/instances?direction=up",
          "/instances?page=0",
          "/instances?cursor=!!!",
          `/instances/${id}?order=newest`,
          `/instances/${id}?simple=yes`,
          `/instances/${id}/step?type=step`,
          `/instances/${id}/step?name=&type=step`,
          `/instances/${id}/step?name=load-1&type=sleep`,
          `/instances/${id}/step?name=load-1`,
          `/instances/${id}/step?name=load-1&type=step&attempt=0`,
          `/instances/${id}/step?name=load-1&type=step&attempt=1.5`
        ]
      ) {
        const r = yield* get(em, cf(em, path))
        expect(r.status, path).toBe(400)
        error(r)
      }
    }))
})
