/**
 * Process-wide counters a progress display and `serve`'s `/metrics` read: requests sent,
 * 429s received, retries scheduled, and requests waiting on a rate budget or a 429 pause
 * right now.
 *
 * @since 0.1.0
 */
import { Metric } from "effect"

/**
 * @since 0.1.0
 * @category metrics
 */
export const requests = Metric.counter("steptrail_requests", { description: "HTTP requests sent to providers" })

/**
 * @since 0.4.0
 * @category metrics
 */
export const rateLimited = Metric.counter("steptrail_rate_limited", { description: "provider answers 429 (too many requests)" })

/**
 * @since 0.1.0
 * @category metrics
 */
export const retries = Metric.counter("steptrail_retries", { description: "transient failures that were retried" })

/**
 * @since 0.1.0
 * @category metrics
 */
export const waiting = Metric.gauge("steptrail_waiting", { description: "requests waiting on a rate budget or a 429 pause" })
