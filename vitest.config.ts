import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    // both cores (vitest's default leaves one idle outside watch mode): most of the CLI's test
    // time is spent waiting on processes, retries and the network, not on a CPU
    maxWorkers: 2,
    // workers are reused from one test file to the next (each project says whether its modules
    // are loaded again for every file: `vitest.shared.ts`)
    isolate: false,
    projects: ["packages/*", "apps/*", "apps/cli/vitest.rehearsal.config.ts"],
    reporters: ["default", "json"],
    outputFile: { json: "reports/vitest.json" }
  }
})
