import * as path from "node:path"
import { fileURLToPath } from "node:url"
import type { ViteUserConfig } from "vitest/config"

const root = path.dirname(fileURLToPath(import.meta.url))
const pkg = (dir: string) => path.join(root, dir, "src", "index.ts")

// Tests run against sources, not dist, so a change in core is seen without a rebuild.
const config: ViteUserConfig = {
  resolve: {
    alias: {
      "@steptrail/core": pkg("packages/core"),
      "@steptrail/cloudflare": pkg("packages/cloudflare"),
      "@steptrail/orchestra": pkg("packages/orchestra"),
      "@steptrail/onepin": pkg("packages/onepin"),
      "@steptrail/export": pkg("packages/export"),
      "@steptrail/emulator": pkg("packages/emulator")
    }
  },
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 30_000,
    hookTimeout: 30_000
  }
}

export default config
