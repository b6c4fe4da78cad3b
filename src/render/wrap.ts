// Prose (doctor's details, headings, hints) wrapped at spaces to a width; a word wider than the
// width is broken where it must be, so no line is ever longer.
import {measuredCharacters, textWidth} from './text-width.js'

export function wrapText(text: string, width: number): string[] {
  if (textWidth(text) <= width) return [text]
  const lines: string[] = []
  let line = ''
  let lineWidth = 0
  for (const word of text.split(' ')) {
    const wordWidth = textWidth(word)
    if (line !== '' && lineWidth + 1 + wordWidth <= width) {
      line += ` ${word}`
      lineWidth += 1 + wordWidth
      continue
    }
    if (line !== '') lines.push(line)
    if (wordWidth <= width) {
      line = word
      lineWidth = wordWidth
      continue
    }
    const pieces = breakWord(word, width)
    line = pieces.pop()!
    for (const piece of pieces) lines.push(piece)
    lineWidth = textWidth(line)
  }
  lines.push(line)
  return lines
}

/** A word in pieces of at most `width` columns (at least one character each). */
function breakWord(word: string, width: number): string[] {
  const {chars, widths} = measuredCharacters(word)
  const pieces: string[] = []
  let piece = ''
  let pieceWidth = 0
  chars.forEach((c, i) => {
    if (piece !== '' && pieceWidth + widths[i]! > width) {
      pieces.push(piece)
      piece = ''
      pieceWidth = 0
    }
    piece += c
    pieceWidth += widths[i]!
  })
  pieces.push(piece)
  return pieces
}
