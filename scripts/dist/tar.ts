// A minimal, reproducible .tar.gz writer (POSIX ustar, regular files, and a directory entry before
// the files of each folder): enough for release archives, and the same bytes for the same inputs
// whatever tar the machine has.
import {gzipSync} from 'node:zlib'
import {type ArchiveEntry, sortedEntries} from './archive-entry.js'

const BLOCK = 512

function octal(value: number, width: number): string {
  // width - 1 digits and a NUL terminator, as ustar wants.
  return value.toString(8).padStart(width - 1, '0') + '\0'
}

function header(entry: ArchiveEntry, mtime: number, type: '0' | '5'): Buffer {
  if (Buffer.byteLength(entry.name) > 100) throw new Error(`tar: name too long: ${entry.name}`)
  const block = Buffer.alloc(BLOCK)
  block.write(entry.name, 0, 100, 'utf8')
  block.write(octal(entry.mode & 0o7777, 8), 100, 'ascii')
  block.write(octal(0, 8), 108, 'ascii') // uid
  block.write(octal(0, 8), 116, 'ascii') // gid
  block.write(octal(entry.data.length, 12), 124, 'ascii')
  block.write(octal(mtime, 12), 136, 'ascii')
  block.write(' '.repeat(8), 148, 'ascii') // checksum counts as spaces while it is computed
  block.write(type, 156, 'ascii') // 0: regular file, 5: directory
  block.write('ustar\0' + '00', 257, 'ascii')
  block.write('root', 265, 'ascii')
  block.write('root', 297, 'ascii')
  let checksum = 0
  for (const byte of block) checksum += byte
  block.write(checksum.toString(8).padStart(6, '0') + '\0 ', 148, 'ascii')
  return block
}

/** The folders that hold `entries` (`lib/`, `lib/dist/`), each once, as their own entries. */
function folders(entries: readonly ArchiveEntry[]): ArchiveEntry[] {
  const names = new Set(entries.flatMap((entry) => entry.name.split('/').slice(0, -1).map((_, i, parts) => `${parts.slice(0, i + 1).join('/')}/`)))
  return [...names].map((name) => ({name, data: Buffer.alloc(0), mode: 0o755}))
}

/** The .tar.gz bytes of `entries` (names with `/` are files in folders); `mtime` is seconds since the epoch. */
export function tarGzip(entries: readonly ArchiveEntry[], mtime: number): Buffer {
  const parts: Buffer[] = []
  // Sorted, a folder comes before what it holds: `lib/` < `lib/dist/` < `lib/dist/cli.js`.
  for (const entry of sortedEntries([...entries, ...folders(entries)])) {
    parts.push(header(entry, mtime, entry.name.endsWith('/') ? '5' : '0'), entry.data)
    const padding = (BLOCK - (entry.data.length % BLOCK)) % BLOCK
    if (padding) parts.push(Buffer.alloc(padding))
  }
  parts.push(Buffer.alloc(2 * BLOCK)) // end-of-archive marker
  // Default level: level 9 takes three times as long on a Node binary for 0.3% less.
  return gzipSync(Buffer.concat(parts))
}
