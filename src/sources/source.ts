// Where audit bytes come from. Every origin (file, stdin, kubelet /logs proxy, reader pod) is a
// LogSource; the reading pipeline knows nothing else about it.

export interface ByteRange {
  /** First byte to read, 0-based. */
  readonly start: number
  /** One past the last byte to read; undefined reads to the end. */
  readonly end?: number
}

export interface LogSource {
  /** Shown to users and recorded in each change's `source`: a path, `-`, or `node/NAME:PATH`. */
  readonly name: string
  /**
   * When the file was rotated, from its lumberjack name (`audit-2026-11-24T10-00-00.000.log`):
   * roughly the time of its newest event. null for the active log, stdin and unknown names.
   */
  readonly rotatedAt: Date | null
  /** Set when the bytes are a local file: the reader may open it again on another thread, to scan part of a big file there. */
  readonly localPath?: string
  /** Total size in bytes when the source can be read at an offset (files, HTTP Range); else null. */
  size(): Promise<number | null>
  /**
   * Raw bytes, compressed or not (gzip is detected by the reader from the magic bytes).
   * A range is only passed when size() returned a number.
   */
  read(range?: ByteRange, signal?: AbortSignal, hints?: ReadHints): AsyncIterable<Buffer>
}

/** What a caller of read() promises, so a source may read more cheaply. Sources that cannot use a hint ignore it. */
export interface ReadHints {
  /**
   * The caller copies what it keeps from a chunk before it asks for the next one: the source may
   * hand the same few buffers back round (far less garbage on a multi-GB file).
   */
  readonly reuseBuffers?: boolean
}
