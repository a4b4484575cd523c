/**
 * @since 0.4.0
 */
export * as Cluster from "./Cluster.js"
export * as Endpoints from "./Endpoints.js"
export * as Handover from "./Handover.js"
export * as Serve from "./Serve.js"
