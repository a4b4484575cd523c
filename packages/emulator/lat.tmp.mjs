import { Emulator } from "/work/main/packages/emulator/dist/index.js"
import { Effect } from "effect"
import http from "node:http"
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
const getp = (url, token) => new Promise((res, rej) => {
  http.get(url, { agent, headers: { authorization: `Bearer ${token}` } }, (r) => { let n = 0; r.on("data", (c) => n += c.length); r.on("end", () => res([r.statusCode, n])) }).on("error", rej)
})
await Effect.runPromise(Effect.scoped(Effect.gen(function*() {
  const em = yield* Emulator.start({ cloudflare: { instances: 20000, steps: 20, outputBytes: 4096, live: 0 } })
  const base = `${em.info.cloudflare.baseUrl}/accounts/${em.info.cloudflare.accountId}/workflows/order-pipeline`
  const ids = em.fixtures.cloudflare.instances
  const id = ids.showcase
  for (const [label, url] of [["detail", `${base}/instances/${id}`], ["list", `${base}/instances?per_page=100`], ["404", `${base}/instances/x`], ["list5", `${base}/instances?per_page=5`]]) {
    yield* Effect.promise(() => getp(url, em.info.token))
    const t = performance.now()
    for (let i = 0; i < 200; i++) yield* Effect.promise(() => getp(url, em.info.token))
    console.log(label, ((performance.now() - t) / 200).toFixed(2), "ms")
  }
})))
