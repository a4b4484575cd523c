import { Emulator } from "/work/main/packages/emulator/dist/index.js"
import { Effect, Scope, Exit } from "effect"
import http from "node:http"
const scope = Effect.runSync(Scope.make())
const em = await Effect.runPromise(Scope.extend(Emulator.start({ cloudflare: { instances: 20000, steps: 20, outputBytes: 4096, live: 0 } }), scope))
const s = http.createServer((req, res) => { const b = '{"a":1}'; res.writeHead(404, {"content-type":"application/json","content-length":String(b.length)}); res.end(b) })
await new Promise((r) => s.listen(0, "127.0.0.1", r))
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 })
const getp = (url) => new Promise((res, rej) => { http.get(url, { agent, headers: { authorization: `Bearer ${em.info.token}` } }, (r) => { r.resume(); r.on("end", () => res(r.statusCode)) }).on("error", rej) })
const base = `${em.info.cloudflare.baseUrl}/accounts/${em.info.cloudflare.accountId}/workflows/order-pipeline`
for (let k = 0; k < 3; k++) for (const [label, url] of [["bare", `http://127.0.0.1:${s.address().port}/x`], ["emu404", `${base}/instances/x`], ["detail", `${base}/instances/${em.fixtures.cloudflare.instances.showcase}`]]) {
  await getp(url)
  const t = performance.now(); for (let i = 0; i < 300; i++) await getp(url); console.log(label, ((performance.now() - t) / 300).toFixed(3), "ms")
}
s.close(); agent.destroy(); await Effect.runPromise(Scope.close(scope, Exit.void))
