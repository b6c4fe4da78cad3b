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
  /**
   * With reuseBuffers: the buffers to hand back round (three, of FILE_CHUNK_BYTES for a file), so
   * a caller that reads many ranges one after another keeps one set for all of them.
   */
  readonly buffers?: readonly Buffer[]
}

/**
 * A log store queried where the log is (a cloud provider's log service, Elasticsearch, Loki): the
 * filter is pushed into the store's own query, so the store does the scan and only candidate
 * records travel. Its records are decoded by the reading stage like the documents of a file.
 */
export interface QuerySource {
  /** Shown to users and recorded in each change's `source`: `cloudwatch:/aws/eks/prod/cluster`, … */
  readonly name: string
  /** What the records are, for sources[].format: `cloudwatch`, `cloud-logging`, `elasticsearch`, … */
  readonly format: string
  query(filter: QueryFilter, signal?: AbortSignal): AsyncIterable<QueryPage>
  /** How it may be asked again and again (--watch); a second and a minute late when not said. */
  readonly pace?: StorePace
}

/** How a followed store is asked: no more often than its quota allows, far enough back for what reaches it late. */
export interface StorePace {
  readonly minIntervalMs: number
  /** How long after its time a record may still reach the store (a shipper's batches, a provider's delivery). */
  readonly lateMs: number
}

/**
 * What the run asks for, for a store to push into its query. A store may ask for more than this
 * (what it cannot express), never for less: everything is filtered again after decoding. One
 * exception to narrowing: Calico's backing writes (crd.projectcalico.org, by the Calico API
 * server's service account) are joined to the user's projectcalico.org request and carry its tier
 * and body, so `users` and `verbs` must not drop them (their user is the API server, and a user's
 * patch becomes an update there).
 */
export interface QueryFilter {
  /** Epoch ms, inclusive (fractions keep the microseconds of a bound); null: unbounded. */
  readonly sinceMs: number | null
  readonly untilMs: number | null
  /** The watched resources asked for: the whole catalog, or what --kind names. */
  readonly resources: ReadonlyArray<{readonly apiGroup: string; readonly resource: string}>
  /** The write verbs asked for: all of them, or what --verb names. */
  readonly verbs: readonly string[]
  /** --user values: exact names or `*` globs, matched against the user and the impersonated user. */
  readonly users: readonly string[]
  /** -n values; empty: every namespace and cluster-scoped objects. */
  readonly namespaces: readonly string[]
}

/** One answer of a store. */
export interface QueryPage {
  /** The store's records as parsed JSON, each an audit Event, a known wrapper of one, or a provider's own record. */
  readonly records: readonly unknown[]
  /** Bytes of the answer that carried them (progress, and what the push-down saved). */
  readonly bytes: number
  /** How many records the whole query matches, when the store says (progress). */
  readonly total?: number
}

/** Where a run's audit events come from: bytes to scan, or a store to query. */
export type Source = LogSource | QuerySource

export function isQuerySource(source: Source): source is QuerySource {
  return 'query' in source
}
