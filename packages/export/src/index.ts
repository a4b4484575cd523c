/**
 * @since 0.1.0
 */
export * as Export from "./Export.js"
export * as ExportJob from "./ExportJob.js"
export * as Follow from "./Follow.js"
export * as Incremental from "./Incremental.js"
export * as Lock from "./Lock.js"
export * as Ndjson from "./Ndjson.js"
export * as Output from "./Output.js"
export * as Progress from "./Progress.js"
export * as Redaction from "./Redaction.js"
export * as Singer from "./Singer.js"
export * as State from "./State.js"
export * as Store from "./Store.js"
export * as Summary from "./Summary.js"
export * as TerminalText from "./TerminalText.js"
