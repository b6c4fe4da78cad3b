// The byte values the scanners test for. They hold for Buffers and for the same bytes read as
// latin1 text alike (one byte, one character), so one helper serves both.

export const NEWLINE = 0x0a
export const CR = 0x0d
export const BOM = Buffer.from([0xef, 0xbb, 0xbf])

export function isSpace(code: number | undefined): boolean {
  return code === 0x20 || code === 0x09 || code === NEWLINE || code === CR
}

export function isBomByte(code: number): boolean {
  return code === 0xef || code === 0xbb || code === 0xbf
}
