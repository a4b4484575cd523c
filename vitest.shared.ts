import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type { ViteUserConfig } from "vitest/config"

const packages = path.join(path.dirname(fileURLToPath(import.meta.url)), "packages")

// Tests run against sources, not dist, so a change in core is seen without a rebuild: every
// `@steptrail/<name>` is `packages/<name>/src/index.ts`, `@steptrail/<name>/<Module>` its module.
const config: ViteUserConfig = {
  resolve: {
    alias: [
      { find: /^@steptrail\/([a-z-]+)$/, replacement: path.join(packages, "$1", "src", "index.ts") },
      { find: /^@steptrail\/([a-z-]+)\/([A-Za-z]+)$/, replacement: path.join(packages, "$1", "src", "$2.ts") }
    ]
  },
  test: {
    include: ["test/**/*.test.ts"],
    // A worker keeps the modules it loaded from one test file to the next: loading Effect and
    // the packages again for every file cost more than half of the suite's CPU. Tests share
    // no state through modules (each builds its own layers); a project whose tests count
    // module loads (the providers' `Descriptor.test.ts`) sets `isolate: true` again.
    isolate: false,
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
}

export default config
