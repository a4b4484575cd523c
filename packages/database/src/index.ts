/**
 * @since 0.3.0
 */
export * as Database from "./Database.js"
export * as Tables from "./Tables.js"
export * as Url from "./Url.js"
