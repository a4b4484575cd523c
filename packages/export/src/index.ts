/**
 * @since 0.1.0
 */
export * as Export from "./Export.js"
export * as Ndjson from "./Ndjson.js"
export * as Output from "./Output.js"
export * as State from "./State.js"
export * as Summary from "./Summary.js"
