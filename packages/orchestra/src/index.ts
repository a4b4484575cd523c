/**
 * @since 0.1.0
 */
export * as Orchestra from "./Orchestra.js"
export * as OrchestraApi from "./OrchestraApi.js"
export * as OrchestraSchema from "./OrchestraSchema.js"
export * as Descriptor from "./Descriptor.js"
