// One file of a release archive: its name inside the archive, its bytes, its Unix mode.

export interface ArchiveEntry {
  name: string
  data: Buffer
  mode: number
}

/** Entries in a fixed order with a fixed time, so the same inputs give the same archive bytes. */
export function sortedEntries(entries: readonly ArchiveEntry[]): ArchiveEntry[] {
  return [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
}
