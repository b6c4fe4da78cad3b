// Which user request a Calico API server backing write belongs to. The user's projectcalico.org
// requests are indexed by resource, namespace and name and kept in time order, so a backing write
// looks only at the requests on its object within the join window, not at every request.

import {namesMatch} from './calico-names.js'

/** How long before or after the user's request the Calico API server's CRD write may land to be joined. */
export const CALICO_JOIN_WINDOW_MS = 5000

const WINDOW_US = CALICO_JOIN_WINDOW_MS * 1000

/** What the join reads of a write: a user's request or a backing write. */
export interface JoinedWrite {
  readonly timeUs: number
  readonly resource: string
  readonly namespace: string | null
  /** The v3 name of a request (null when only the body had one); the CRD name of a backing write. */
  readonly name: string | null
  readonly verb: string
  readonly failed: boolean
}

/** A user's request in the index; `item` is the caller's. */
export interface IndexedRequest<T> extends JoinedWrite {
  readonly item: T
  /** It got its backing write: no other may join it. */
  taken: boolean
}

/** The requests on one resource in one namespace, by name; those without a name apart. */
interface Bucket<T> {
  readonly byName: Map<string, Array<IndexedRequest<T>>>
  readonly nameless: Array<IndexedRequest<T>>
  size: number
}

export class BackingWriteIndex<T> {
  private readonly buckets = new Map<string, Bucket<T>>()

  /** `order` breaks ties between requests of equal time and score: the first in it wins. */
  constructor(private readonly order: (a: T, b: T) => number) {}

  add(request: JoinedWrite, item: T): IndexedRequest<T> {
    const entry: IndexedRequest<T> = {...pick(request), item, taken: false}
    const key = bucketKey(request)
    let bucket = this.buckets.get(key)
    if (!bucket) {
      bucket = {byName: new Map(), nameless: [], size: 0}
      this.buckets.set(key, bucket)
    }
    let list = bucket.nameless
    if (entry.name !== null) {
      list = bucket.byName.get(entry.name) ?? []
      if (list.length === 0) bucket.byName.set(entry.name, list)
    }
    // Requests come nearly in time order: the place is at or near the end.
    let at = list.length
    while (at > 0 && this.compare(list[at - 1]!, entry) > 0) at--
    list.splice(at, 0, entry)
    bucket.size++
    return entry
  }

  remove(entry: IndexedRequest<T>): void {
    const key = bucketKey(entry)
    const bucket = this.buckets.get(key)
    const list = entry.name === null ? bucket?.nameless : bucket?.byName.get(entry.name)
    if (!bucket || !list) return
    const at = list.indexOf(entry)
    if (at === -1) return
    list.splice(at, 1)
    if (list.length === 0 && entry.name !== null) bucket.byName.delete(entry.name)
    if (--bucket.size === 0) this.buckets.delete(key)
  }

  /**
   * The request a backing write belongs to: on the same resource and namespace, within the window,
   * not taken, failed when it failed and not when it did not, of the same verb family, and named
   * as the CRD is (or unnamed). Of those, the one that names the object, then the nearest in
   * time: two quick edits of one object must each get their own backing write.
   */
  find(backing: JoinedWrite): IndexedRequest<T> | undefined {
    const bucket = this.buckets.get(bucketKey(backing))
    if (!bucket) return undefined
    let match: IndexedRequest<T> | undefined
    let best = Number.POSITIVE_INFINITY
    for (const list of this.candidateLists(bucket, backing.name)) {
      for (let i = firstAtOrAfter(list, backing.timeUs - WINDOW_US); i < list.length; i++) {
        const request = list[i]!
        const distance = Math.abs(backing.timeUs - request.timeUs)
        if (request.timeUs > backing.timeUs + WINDOW_US) break
        if (request.taken || request.failed !== backing.failed || !sameVerbFamily(request.verb, backing.verb)) continue
        if (!namesMatch(request.name, backing.name)) continue
        const score = (request.name === null ? WINDOW_US : 0) + distance
        if (score < best || (score === best && match !== undefined && this.compare(request, match) < 0)) {
          best = score
          match = request
        }
      }
    }
    return match
  }

  /** The lists that can hold a request named as the CRD is: its name and every part after a dot, and the unnamed. */
  private *candidateLists(bucket: Bucket<T>, crdName: string | null): Generator<Array<IndexedRequest<T>>> {
    yield bucket.nameless
    if (crdName === null) {
      yield* bucket.byName.values()
      return
    }
    const whole = bucket.byName.get(crdName)
    if (whole) yield whole
    for (let dot = crdName.indexOf('.'); dot !== -1; dot = crdName.indexOf('.', dot + 1)) {
      const list = bucket.byName.get(crdName.slice(dot + 1))
      if (list) yield list
    }
  }

  private compare(a: IndexedRequest<T>, b: IndexedRequest<T>): number {
    return a.timeUs - b.timeUs || this.order(a.item, b.item)
  }
}

function pick(write: JoinedWrite): JoinedWrite {
  const {timeUs, resource, namespace, name, verb, failed} = write
  return {timeUs, resource, namespace, name, verb, failed}
}

function bucketKey(write: Pick<JoinedWrite, 'resource' | 'namespace'>): string {
  return `${write.resource}\u0000${write.namespace ?? ''}`
}

/** The index of the first request at or after a time, in a list sorted by time. */
function firstAtOrAfter<T>(list: ReadonlyArray<IndexedRequest<T>>, timeUs: number): number {
  let low = 0
  let high = list.length
  while (low < high) {
    const mid = (low + high) >> 1
    if (list[mid]!.timeUs < timeUs) low = mid + 1
    else high = mid
  }
  return low
}

/** The Calico API server turns a v3 patch or update into a GET and a PUT on the CRD, a deletecollection into deletes. */
function sameVerbFamily(userVerb: string, backingVerb: string): boolean {
  const family = (v: string) => (v === 'patch' || v === 'update' ? 'modify' : v === 'deletecollection' ? 'delete' : v)
  return family(userVerb) === family(backingVerb)
}
