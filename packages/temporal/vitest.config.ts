import { defineProject, mergeConfig } from "vitest/config"
import shared from "../../vitest.shared.ts"

// Descriptor.test.ts counts the loads of the provider's module (`make` loads it lazily): a
// fresh module registry per test file
export default mergeConfig(shared, defineProject({ test: { isolate: true } }))
