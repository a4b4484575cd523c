import { defineProject, mergeConfig } from "vitest/config"
import shared from "../../vitest.shared.ts"

export default mergeConfig(shared, defineProject({ test: { exclude: ["test/rehearsal/**", "**/node_modules/**"] } }))
