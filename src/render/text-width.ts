// How many terminal columns text takes, measured as cli-table3 measures when it pads (string-width):
// our column widths and its alignment must agree. Colour codes take none; wide characters two.
import stringWidth from 'string-width'

const PRINTABLE_ASCII = /^[\u0020-\u007e]*$/

export function textWidth(text: string): number {
  return PRINTABLE_ASCII.test(text) ? text.length : stringWidth(text)
}

/** The characters (code points) of text with the columns each takes. */
export function measuredCharacters(text: string): {chars: string[]; widths: number[]} {
  if (PRINTABLE_ASCII.test(text)) return {chars: text.split(''), widths: new Array<number>(text.length).fill(1)}
  const chars = Array.from(text)
  return {chars, widths: chars.map((c) => (c >= ' ' && c <= '~' ? 1 : stringWidth(c)))}
}
