// A minimal, reproducible .zip writer (deflate, no zip64, files at the top level): the archive format
// krew wants for Windows. Unix modes are recorded so unzip keeps executables executable elsewhere.
import {crc32, deflateRawSync} from 'node:zlib'
import {type ArchiveEntry, sortedEntries} from './archive-entry.js'

const MADE_BY_UNIX = (3 << 8) | 20 // host system 3 = Unix, spec version 2.0
const VERSION_NEEDED = 20
const DEFLATE = 8
const UTF8_NAMES = 1 << 11

function dosDateTime(mtime: number): {date: number; time: number} {
  const d = new Date(Math.max(mtime, 315_532_800) * 1000) // DOS time starts in 1980
  return {
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
  }
}

/** The .zip bytes of `entries`; `mtime` is seconds since the epoch. */
export function zip(entries: readonly ArchiveEntry[], mtime: number): Buffer {
  const {date, time} = dosDateTime(mtime)
  const locals: Buffer[] = []
  const centrals: Buffer[] = []
  let offset = 0
  for (const entry of sortedEntries(entries)) {
    const name = Buffer.from(entry.name, 'utf8')
    const compressed = deflateRawSync(entry.data)
    const crc = crc32(entry.data)
    if (offset + compressed.length > 0xffff_ffff) throw new Error('zip: archive needs zip64')

    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(VERSION_NEEDED, 4)
    local.writeUInt16LE(UTF8_NAMES, 6)
    local.writeUInt16LE(DEFLATE, 8)
    local.writeUInt16LE(time, 10)
    local.writeUInt16LE(date, 12)
    local.writeUInt32LE(crc, 14)
    local.writeUInt32LE(compressed.length, 18)
    local.writeUInt32LE(entry.data.length, 22)
    local.writeUInt16LE(name.length, 26)
    locals.push(local, name, compressed)

    const central = Buffer.alloc(46)
    central.writeUInt32LE(0x02014b50, 0)
    central.writeUInt16LE(MADE_BY_UNIX, 4)
    central.writeUInt16LE(VERSION_NEEDED, 6)
    central.writeUInt16LE(UTF8_NAMES, 8)
    central.writeUInt16LE(DEFLATE, 10)
    central.writeUInt16LE(time, 12)
    central.writeUInt16LE(date, 14)
    central.writeUInt32LE(crc, 16)
    central.writeUInt32LE(compressed.length, 20)
    central.writeUInt32LE(entry.data.length, 24)
    central.writeUInt16LE(name.length, 28)
    central.writeUInt32LE(((0o100000 | entry.mode) << 16) >>> 0, 38) // regular file + mode
    central.writeUInt32LE(offset, 42)
    centrals.push(central, name)

    offset += local.length + name.length + compressed.length
  }
  const directory = Buffer.concat(centrals)
  const end = Buffer.alloc(22)
  end.writeUInt32LE(0x06054b50, 0)
  end.writeUInt16LE(centrals.length / 2, 8)
  end.writeUInt16LE(centrals.length / 2, 10)
  end.writeUInt32LE(directory.length, 12)
  end.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, directory, end])
}
