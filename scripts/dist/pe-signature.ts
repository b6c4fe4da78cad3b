// Removes the Authenticode signature from a Windows executable. Injecting the blob changes the file,
// so Node's signature would be left corrupted; Node's SEA docs remove it first (`signtool remove`).

const IMAGE_DIRECTORY_ENTRY_SECURITY = 4

export function withoutAuthenticodeSignature(exe: Buffer): Buffer {
  if (exe.readUInt16LE(0) !== 0x5a4d) throw new Error('not a PE file: no MZ header')
  const pe = exe.readUInt32LE(0x3c)
  if (exe.readUInt32LE(pe) !== 0x4550) throw new Error('not a PE file: no PE signature')
  const optionalHeader = pe + 24
  const pe32Plus = exe.readUInt16LE(optionalHeader) === 0x20b
  const directoryCount = exe.readUInt32LE(optionalHeader + (pe32Plus ? 108 : 92))
  if (directoryCount <= IMAGE_DIRECTORY_ENTRY_SECURITY) return exe
  const security = optionalHeader + (pe32Plus ? 112 : 96) + IMAGE_DIRECTORY_ENTRY_SECURITY * 8
  // For this directory the address is a file offset, and the certificates are the file's tail.
  const offset = exe.readUInt32LE(security)
  const size = exe.readUInt32LE(security + 4)
  if (size === 0) return exe
  if (offset + size > exe.length || exe.subarray(offset + size).some((byte) => byte !== 0)) {
    throw new Error('PE certificate table is not at the end of the file')
  }
  const unsigned = Buffer.from(exe.subarray(0, offset))
  unsigned.writeUInt32LE(0, security)
  unsigned.writeUInt32LE(0, security + 4)
  return unsigned
}
