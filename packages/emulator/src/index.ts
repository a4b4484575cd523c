/**
 * @since 0.1.0
 */

/**
 * The emulator server: options, start, layer, info, fixtures.
 *
 * @since 0.1.0
 */
export * as Emulator from "./Emulator.js"

/**
 * Fault injection options and the `--faults` parser.
 *
 * @since 0.1.0
 */
export * as Faults from "./Faults.js"

/**
 * Rate limit options and the `--rate-limit` parser.
 *
 * @since 0.1.0
 */
export * as RateLimit from "./RateLimit.js"

/**
 * The latency model and the `--latency` parser.
 *
 * @since 0.1.0
 */
export * as Latency from "./Latency.js"

/**
 * The 429 storm and the `--storm` parser.
 *
 * @since 0.1.0
 */
export * as Storm from "./Storm.js"
