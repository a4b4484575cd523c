import * as path from "node:path"
import { fileURLToPath } from "node:url"
import { defineProject, mergeConfig } from "vitest/config"
import shared from "../../vitest.shared.ts"

const here = path.dirname(fileURLToPath(import.meta.url))

// The tests use the platform's Node FileSystem. Until @effect/platform-node is a
// devDependency of this package, it is resolved from the CLI's dependencies.
export default mergeConfig(shared, defineProject({
  resolve: {
    alias: {
      "@effect/platform-node": path.join(here, "../../apps/cli/node_modules/@effect/platform-node/dist/esm/index.js")
    }
  }
}))
