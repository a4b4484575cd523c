/**
 * @since 0.3.0
 */
export * as Temporal from "./Temporal.js"
export * as TemporalSchema from "./TemporalSchema.js"
export * as Descriptor from "./Descriptor.js"

/**
 * Temporal's settings, imported by the descriptor and the provider alike.
 *
 * @since 0.3.0
 */
export * as Settings from "./Settings.js"
