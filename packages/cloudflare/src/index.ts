/**
 * @since 0.1.0
 */

/**
 * The Cloudflare Workflows `WorkflowProvider`: `make`, `layer`, `layerConfig`.
 *
 * @since 0.1.0
 */
export * as Cloudflare from "./Cloudflare.js"

/**
 * The raw API client: one typed call per endpoint.
 *
 * @since 0.1.0
 */
export * as CloudflareApi from "./CloudflareApi.js"

/**
 * The raw API bodies as Schemas.
 *
 * @since 0.1.0
 */
export * as CloudflareSchema from "./CloudflareSchema.js"

/**
 * Cloudflare Workflows in the provider registry.
 *
 * @since 0.1.0
 */
export * as Descriptor from "./Descriptor.js"

/**
 * Cloudflare Workflows's settings, imported by the descriptor and the provider alike.
 *
 * @since 0.1.0
 */
export * as Settings from "./Settings.js"
