import { defineConfig } from "vitest/config"

export default defineConfig({
  test: {
    projects: ["packages/*", "apps/*", "apps/cli/vitest.rehearsal.config.ts"],
    reporters: ["default", "json"],
    outputFile: { json: "reports/vitest.json" }
  }
})
