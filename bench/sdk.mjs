// The alternative a user would pick: the official `cloudflare` SDK as its docs show it
// (auto-paginated `instances.list`, then `instances.get` per instance, a simple pool of N),
// writing one JSON line per step with the same fields as floor.mjs.
//   node sdk.mjs BASE_URL ACCOUNT_ID WORKFLOW [CONCURRENCY]   (token: CLOUDFLARE_API_TOKEN)
import Cloudflare from "cloudflare"

const [baseURL, account_id, workflow, conc = "16"] = process.argv.slice(2)
const concurrency = Number(conc)
const client = new Cloudflare({ apiToken: process.env.CLOUDFLARE_API_TOKEN, baseURL })

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

const exportOne = async (id) => {
  const inst = await client.workflows.instances.get(id, { account_id, workflow_name: workflow })
  let text = ""
  inst.steps.forEach((s, i) => {
    text += JSON.stringify({
      schema_version: 1, provider: "cloudflare", account: account_id, workflow, run_id: id, step_index: i,
      name: s.name ?? null, kind: kinds[s.type] ?? s.type, status: status(s), provider_status: null,
      started_at: s.start ?? null, ended_at: s.end ?? null, duration_ms: ms(s.start, s.end),
      attempts: s.attempts?.map((a) => ({ started_at: a.start, ended_at: a.end, duration_ms: ms(a.start, a.end), success: a.success, error: err(a.error) })) ?? null,
      retry_config: s.config ? { ...s.config.retries, timeout: s.config.timeout } : null,
      output: parse(s.output), error: err(s.error), trigger: s.trigger ?? null, run_status: inst.status
    }) + "\n"
  })
  await write(text)
}

// a simple pool: at most `concurrency` gets in flight while the list pages stream in
const inFlight = new Set()
for await (const instance of client.workflows.instances.list(workflow, { account_id })) {
  if (inFlight.size >= concurrency) await Promise.race(inFlight)
  const p = exportOne(instance.id).finally(() => inFlight.delete(p))
  inFlight.add(p)
}
await Promise.all(inFlight)
