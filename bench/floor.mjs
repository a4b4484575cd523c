// The floor: the smallest hand-written exporter that makes steptrail's requests (list by
// cursor, per_page=100; GET every instance) with the same concurrency and writes one JSON
// line per step with the same fields. No validation, no retries, no rate budget.
//   node floor.mjs BASE_URL ACCOUNT_ID WORKFLOW [CONCURRENCY]   (token: CLOUDFLARE_API_TOKEN)
import http from "node:http"

const [base, account, workflow, conc = "16"] = process.argv.slice(2)
const concurrency = Number(conc)
const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency + 1 })
const headers = { authorization: `Bearer ${process.env.CLOUDFLARE_API_TOKEN}` }
const root = `${base}/accounts/${account}/workflows/${encodeURIComponent(workflow)}/instances`

const get = (url) =>
  new Promise((resolve, reject) => {
    http.get(url, { agent, headers }, (res) => {
      const chunks = []
      res.on("data", (c) => chunks.push(c))
      res.on("end", () => {
        if (res.statusCode !== 200) return reject(new Error(`${res.statusCode} ${url}`))
        resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")))
      })
      res.on("error", reject)
    }).on("error", reject)
  })

const out = process.stdout
const write = (text) => (out.write(text) ? undefined : new Promise((r) => out.once("drain", r)))

const kinds = { step: "step", rollback: "rollback", sleep: "sleep", waitForEvent: "wait_for_event", termination: "termination" }
const parse = (s) => {
  if (typeof s !== "string") return s ?? null
  try { return JSON.parse(s) } catch { return s }
}
const err = (e) => (e == null ? null : typeof e === "string" ? { name: "Error", message: e } : { name: e.name ?? "Error", message: e.message })
const ms = (a, b) => (a && b ? Date.parse(b) - Date.parse(a) : null)
const status = (s) =>
  s.success === true || s.finished === true ? "complete" : s.success === false || s.error ? "errored" : s.end ? "complete" : "running"

const lines = (id, inst) => {
  let text = ""
  inst.steps.forEach((s, i) => {
    text += JSON.stringify({
      schema_version: 1, provider: "cloudflare", account, workflow, run_id: id, step_index: i,
      name: s.name ?? null, kind: kinds[s.type] ?? s.type, status: status(s), provider_status: null,
      started_at: s.start ?? null, ended_at: s.end ?? null, duration_ms: ms(s.start, s.end),
      attempts: s.attempts?.map((a) => ({ started_at: a.start, ended_at: a.end, duration_ms: ms(a.start, a.end), success: a.success, error: err(a.error) })) ?? null,
      retry_config: s.config ? { ...s.config.retries, timeout: s.config.timeout } : null,
      output: parse(s.output), error: err(s.error), trigger: s.trigger ?? null, run_status: inst.status
    }) + "\n"
  })
  return text
}

// list by cursor into a queue; `concurrency` workers GET instances from it
const queue = []
let listed = false
const waiting = []
const wake = () => waiting.splice(0).forEach((r) => r())
const lister = (async () => {
  let cursor
  do {
    const page = await get(`${root}?per_page=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`)
    for (const item of page.result) queue.push(item.id)
    cursor = page.result_info?.cursor
    wake()
  } while (cursor)
  listed = true
  wake()
})()
const worker = async () => {
  for (;;) {
    const id = queue.shift()
    if (id === undefined) {
      if (listed) return
      await new Promise((r) => waiting.push(r))
      continue
    }
    const body = await get(`${root}/${encodeURIComponent(id)}`)
    await write(lines(id, body.result))
  }
}
await Promise.all([lister, ...Array.from({ length: concurrency }, worker)])
agent.destroy()
