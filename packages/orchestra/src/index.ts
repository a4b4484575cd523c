/**
 * @since 0.1.0
 */
export * as Orchestra from "./Orchestra.js"
export * as OrchestraApi from "./OrchestraApi.js"
export * as OrchestraSchema from "./OrchestraSchema.js"
export * as Descriptor from "./Descriptor.js"

/**
 * Arcee Orchestra's settings, imported by the descriptor and the provider alike.
 *
 * @since 0.1.0
 */
export * as Settings from "./Settings.js"
