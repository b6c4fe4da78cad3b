// The modification time recorded for every file of the release archives. It is fixed, so an
// archive's bytes, and the sha256 that plugin.yaml commits to, depend only on what is inside it:
// not on when, or at which commit, it was built.

/** 1980-01-01T00:00:00Z, the earliest time a zip can hold; the tar.gz archives use it too. */
export const DEFAULT_ARCHIVE_MTIME = 315_532_800

/** SOURCE_DATE_EPOCH (reproducible-builds.org) when set, else DEFAULT_ARCHIVE_MTIME; seconds. */
export function archiveMtime(env: NodeJS.ProcessEnv = process.env): number {
  const text = env.SOURCE_DATE_EPOCH
  if (text === undefined || text === '') return DEFAULT_ARCHIVE_MTIME
  if (!/^\d+$/.test(text)) throw new Error(`SOURCE_DATE_EPOCH must be whole seconds since 1970-01-01, not ${JSON.stringify(text)}`)
  return Number(text)
}
