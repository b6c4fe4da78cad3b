// Grafana Loki records that carry audit events: a query_range (or query) answer of streams, a
// push or tail payload (`{streams: [...]}`), one stream (`{stream, values}`), and a line of
// `logcli query --output=jsonl` (`{labels, line, timestamp}`). Each log line is the Event as the
// shipper sent it: the JSON itself (promtail, Alloy), or wrapped by what read it: a container
// runtime's prefix (`<time> stdout F {...}`, a pod log shipped without the cri stage) or a JSON
// record with the line as a string under `log` (Fluent Bit, Docker's json-file) or `message`.

type Json = Record<string, unknown>

/** What a Loki record holds: the audit events' JSON, and the lines that are none. */
export interface LokiRecords {
  /** Each line's JSON, unwrapped from what its shipper put around it (each should be an audit Event). */
  readonly events: unknown[]
  /** Lines that are not JSON (another log's text), or a CRI line cut into parts, or an entry with no line. */
  readonly notUnderstood: number
  /** Why, when a line is no JSON. */
  readonly why?: string
}

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * The lines in a Loki record, or undefined when `value` is not one. Recognised by shape: an API
 * answer (`data.resultType` "streams"), its `data` alone, a payload of `streams`, one stream (a
 * `stream` of labels and `values` of [time, line] pairs), or a logcli JSON line.
 */
export function lokiRecords(value: Json): LokiRecords | undefined {
  const data = isObject(value.data) ? value.data : value
  if (data.resultType === 'streams' && Array.isArray(data.result)) return collect(data.result)
  if (Array.isArray(value.streams) && value.streams.length > 0 && value.streams.every(isStream))
    return collect(value.streams)
  if (isStream(value)) return collect([value])
  if (isLogcliLine(value)) return lines([value.line])
  return undefined
}

function isStream(v: unknown): v is {stream: Json; values: unknown[]} {
  return isObject(v) && isObject(v.stream) && Array.isArray(v.values)
}

/** `{"labels": {...}, "line": "...", "timestamp": "..."}`, as logcli writes it (labels may be left out). */
function isLogcliLine(v: Json): v is Json & {line: string} {
  return typeof v.line === 'string' && typeof v.timestamp === 'string' && (v.labels === undefined || isObject(v.labels))
}

function collect(streams: readonly unknown[]): LokiRecords {
  const texts: unknown[] = []
  let bad = 0
  for (const stream of streams) {
    if (!isStream(stream)) {
      bad++
      continue
    }
    // One value at a time: a spread of a long stream would put every value on the call stack.
    for (const value of stream.values) texts.push(Array.isArray(value) ? value[1] : undefined)
  }
  const found = lines(texts)
  return {...found, notUnderstood: found.notUnderstood + bad}
}

function lines(texts: readonly unknown[]): LokiRecords {
  const events: unknown[] = []
  let notUnderstood = 0
  for (const text of texts) {
    const json = typeof text === 'string' ? lineJson(text) : undefined
    if (json === undefined) notUnderstood++
    else events.push(json)
  }
  return {events, notUnderstood, ...(notUnderstood > 0 ? {why: 'the Loki line is not JSON'} : {})}
}

/** `2026-11-24T10:00:00.123456789Z stdout F {...}`: a whole line (F) of a container's output, as CRI writes it. */
const CRI_LINE = /^\S+ (?:stdout|stderr) F /

/** The JSON a Loki line holds, unwrapped; undefined when it holds none. */
export function lineJson(line: string): unknown {
  let text = line.trim()
  const cri = CRI_LINE.exec(text)
  if (cri) text = text.slice(cri[0].length)
  if (!text.startsWith('{') && !text.startsWith('[')) return undefined
  const json = parse(text)
  if (!isObject(json) || looksLikeEvent(json)) return json
  // A shipper's record with the line as text in it: the Event inside, when it is JSON.
  for (const key of ['log', 'message']) {
    const inner = json[key]
    if (typeof inner !== 'string') continue
    const unwrapped = lineJson(inner)
    if (unwrapped !== undefined) return unwrapped
  }
  return json
}

function looksLikeEvent(v: Json): boolean {
  return v.kind === 'Event' || typeof v.verb === 'string'
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
