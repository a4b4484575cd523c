import { defineProject, mergeConfig } from "vitest/config"
import shared from "../../vitest.shared.ts"

// The real-envelope rehearsals: real time, real budgets with windows longer than a request's
// whole retry allowance, latency on every request. They take the time the budgets dictate,
// one file at a time (in one worker, after the other projects), so that no other test's CPU
// bends their timing.
const config = mergeConfig(
  shared,
  defineProject({ test: { name: "rehearsals", testTimeout: 150_000, hookTimeout: 60_000, poolOptions: { forks: { singleFork: true } } } })
)
config.test!.include = ["test/rehearsal/**/*.test.ts"]

export default config
