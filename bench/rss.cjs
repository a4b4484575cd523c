// Preload (`node --require ./rss.cjs ...`): on exit, appends this process's peak RSS and CPU
// time as one JSON line to $BENCH_RSS_FILE. `maxRSS` is in KiB; CPU times in microseconds.
"use strict"
const file = process.env.BENCH_RSS_FILE
if (file) {
  process.on("exit", () => {
    const u = process.resourceUsage()
    require("node:fs").appendFileSync(
      file,
      JSON.stringify({ maxRssKiB: u.maxRSS, userUs: u.userCPUTime, systemUs: u.systemCPUTime }) + "\n"
    )
  })
}
