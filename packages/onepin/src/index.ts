/**
 * @since 0.1.0
 */
export * as Onepin from "./Onepin.js"
export * as OnepinApi from "./OnepinApi.js"
export * as OnepinSchema from "./OnepinSchema.js"
export * as Descriptor from "./Descriptor.js"

/**
 * Onepin's settings, imported by the descriptor and the provider alike.
 *
 * @since 0.1.0
 */
export * as Settings from "./Settings.js"
