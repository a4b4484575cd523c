import { defineProject, mergeConfig } from "vitest/config"
import shared from "../../vitest.shared.ts"

// The real-envelope rehearsals: real time, real budgets with windows longer than a request's
// whole retry allowance, latency on every request. They take the time the budgets dictate.
const config = mergeConfig(shared, defineProject({ test: { name: "rehearsals", testTimeout: 150_000, hookTimeout: 60_000 } }))
config.test!.include = ["test/rehearsal/**/*.test.ts"]

export default config
