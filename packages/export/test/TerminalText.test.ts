import { describe, expect, it } from "@effect/vitest"
import { TerminalText } from "@steptrail/export"

/** Retitles the terminal (OSC 0 … BEL), clears it (CSI 2J), and a C1 CSI and a bidi override. */
const HOSTILE = "Workflow not found \x1b]0;pwned\x07\x1b[2J\x9b31m\u202egnp.exe"

describe("TerminalText", () => {
  it("escape shows control characters as escapes and keeps newlines", () => {
    expect(TerminalText.escape(HOSTILE)).toBe("Workflow not found \\x1b]0;pwned\\x07\\x1b[2J\\x9b31m\\u202egnp.exe")
    expect(TerminalText.escape("a\tb\rc\nd\x00\x7f\u2028")).toBe("a\\tb\\rc\nd\\x00\\x7f\\u2028")
    expect(TerminalText.escape("plain text, ünïcödé and emoji 🚀")).toBe("plain text, ünïcödé and emoji 🚀")
  })

  it("line keeps text on one line", () => {
    expect(TerminalText.line("two\nlines\r\x1b[2K")).toBe("two\\nlines\\r\\x1b[2K")
  })
})
