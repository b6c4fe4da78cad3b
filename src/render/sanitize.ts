// Log, manifest and API text is untrusted: never let it drive the terminal.

// Besides the C0 controls: DEL and the C1 controls (U+009B is an 8-bit CSI), the Unicode bidi
// marks, overrides and isolates that can make text read differently than it is, the zero-width and
// invisible characters that hide text or shift columns (U+200B-U+200D, U+2060-U+2064, U+FEFF), and
// the line and paragraph separators. JSON and YAML serializers escape C0 themselves, not these.
const BEYOND_C0 =
  '\\u007f-\\u009f\\u061c\\u200b-\\u200f\\u2028\\u2029\\u202a-\\u202e\\u2060-\\u2064\\u2066-\\u2069\\ufeff'
const UNSAFE_CHARACTER = new RegExp(`[\\u0000-\\u001f${BEYOND_C0}]`, 'g')
const LEFT_RAW_BY_SERIALIZERS = new RegExp(`[${BEYOND_C0}]`, 'g')
// Tab and newline are text in a YAML block scalar; any other unsafe character needs an escape.
const NEEDS_ESCAPE_IN_YAML = new RegExp(`[\\u0000-\\u0008\\u000b-\\u001f${BEYOND_C0}]`)

/** Whether a YAML string must be double-quoted, the only style with escapes. */
export function needsYamlEscape(text: string): boolean {
  return NEEDS_ESCAPE_IN_YAML.test(text)
}

/**
 * Makes text safe to print in a table: every unsafe character is shown as a visible marker
 * (`\x1b`, `\u202e`) in its place, never deleted, so `Meta<ESC>[2Jdata` reads `Meta\x1b[2Jdata`
 * and not `Metadata`: an attack stays in sight.
 */
export function sanitize(text: string): string {
  return text.replace(UNSAFE_CHARACTER, escapeCode)
}

/**
 * Escapes, in a serialized JSON or double-quoted YAML document, the unsafe characters its
 * serializer leaves raw. `\xNN` and `\uNNNN` are escapes in YAML; JSON has `\u00NN`. Both keep the
 * value: the document parses to the same strings.
 */
export function escapeUnsafeInDocument(text: string, format: 'json' | 'yaml'): string {
  return text.replace(LEFT_RAW_BY_SERIALIZERS, (c) =>
    format === 'json' ? `\\u${hex(c.charCodeAt(0), 4)}` : escapeCode(c),
  )
}

function escapeCode(c: string): string {
  const code = c.charCodeAt(0)
  return code <= 0xff ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`
}

function hex(code: number, digits: number): string {
  return code.toString(16).padStart(digits, '0')
}
