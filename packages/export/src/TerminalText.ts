/**
 * Text bound for the user's terminal, made inert. Provider answers reach stderr in error
 * messages, names and ids; a hostile or broken endpoint could put escape sequences there
 * that retitle (`ESC ] 0;… BEL`), clear (`ESC [2J`) or rewrite the terminal. Whatever writes
 * text to stderr (the CLI's failure line and logger, the summary, the progress line) escapes
 * it here first, so such characters are shown as visible escapes; the only control sequences
 * that reach a terminal are the ones a writer adds around escaped text itself (the progress
 * line's redraw).
 *
 * @since 0.3.0
 */

/**
 * C0 controls but newline, DEL, C1 controls, and the Unicode line/paragraph separators and
 * bidirectional overrides (which reorder what is shown).
 */
// eslint-disable-next-line no-control-regex
const unsafe = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g

const visible = (c: string): string => {
  const code = c.charCodeAt(0)
  if (c === "\t") return "\\t"
  if (c === "\r") return "\\r"
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u${code.toString(16).padStart(4, "0")}`
}

/**
 * The text with every control character shown as `\xNN` (`\t`, `\r`, `\uNNNN`); newlines kept.
 *
 * @since 0.3.0
 * @category escaping
 */
export const escape = (text: string): string => text.replace(unsafe, visible)

/**
 * One line for stderr: escaped, and with `\n` shown as well, so it stays one line.
 *
 * @since 0.3.0
 * @category escaping
 */
export const line = (text: string): string => escape(text).replace(/\n/g, "\\n")
