// Log, manifest and API text is untrusted: never let it drive the terminal.

// ANSI escape sequences (CSI, OSC, and two-byte ESC forms), then any remaining C0/C1 control,
// DEL, the Unicode bidi marks, overrides and isolates that can make text read differently than it
// is, the zero-width and invisible characters that hide text or shift columns (U+200B-U+200D,
// U+2060-U+2064, U+FEFF), and the line and paragraph separators.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-?]*[ -/]*[@-~]|\u001b\][^\u0007\u001b]*(?:\u0007|\u001b\\)?|\u001b[@-_]|\u009b[0-?]*[ -/]*[@-~]/g
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028\u2029\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g

/** Makes text safe to print in a table: escape sequences removed, other controls shown as `\xNN`/`\uNNNN`. */
export function sanitize(text: string): string {
  return text.replace(ANSI, '').replace(CONTROL, (c) => {
    const code = c.charCodeAt(0)
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`
  })
}
