/**
 * Text bound for the user's terminal, made inert. Provider answers reach stderr in error
 * messages, names and ids; a hostile or broken endpoint could put escape sequences there
 * that retitle (`ESC ] 0;… BEL`), clear (`ESC [2J`) or rewrite the terminal. Every stderr
 * writer of the CLI (the failure line, the logger, the summary, the progress line) goes
 * through `escape`, which shows such characters as visible escapes instead.
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

/** The text with every control character shown as `\xNN` (`\t`, `\r`, `\uNNNN`); newlines kept. */
export const escape = (text: string): string => text.replace(unsafe, visible)

/** One line for stderr: escaped, and with `\n` shown as well, so it stays one line. */
export const line = (text: string): string => escape(text).replace(/\n/g, "\\n")

/** Erase-line and cursor-column sequences: what the CLI itself writes to redraw its progress line. */
// eslint-disable-next-line no-control-regex
const redraw = /^\x1b\[\d*[GK]$/

/**
 * A stream for the progress reporter: text is escaped, except a chunk that is exactly one of
 * the redraw sequences the reporter writes through `readline` on a terminal.
 */
export const stream = <S extends NodeJS.WritableStream>(target: S): S =>
  new Proxy(target, {
    get(object, property, receiver) {
      if (property === "write") {
        return (chunk: unknown, ...rest: Array<any>) =>
          object.write(typeof chunk === "string" && !redraw.test(chunk) ? escape(chunk) : chunk as string, ...rest)
      }
      const value = Reflect.get(object, property, receiver)
      return typeof value === "function" ? value.bind(object) : value
    }
  })
