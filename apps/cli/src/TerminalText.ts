/**
 * Every line the CLI writes to stderr goes through `escape` or `line`, so text from a provider
 * cannot drive the terminal. They live in `@steptrail/export` (whose progress line and summary
 * escape their text the same way); the deep import keeps `--help` from loading the package.
 */
export { escape, line } from "@steptrail/export/TerminalText"
