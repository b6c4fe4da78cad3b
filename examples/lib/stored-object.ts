// One object through a sequence of writes, as the apiserver stores it: the uid, resourceVersion,
// generation and creationTimestamp the server sets, the labels and spec each writer changes.
// Built-in objects (networking.k8s.io) come back in Go field order; custom resources
// (crd.projectcalico.org) come back with every map's keys sorted, and Calico keeps the v3 name,
// creation time and labels in its projectcalico.org/metadata annotation.

import type {GenerationContext} from './context.js'

type Json = Record<string, unknown>

export interface ObjectIdentity {
  readonly apiVersion: string
  readonly kind: string
  /** As stored: a Calico policy's CRD name (`default.allow-dns`). */
  readonly name: string
  readonly namespace?: string
  /** A Calico object: its projectcalico.org/v3 name, kept in the metadata annotation. */
  readonly v3Name?: string
}

/** What a write changes. */
export interface ObjectChange {
  readonly labels?: Readonly<Record<string, string>>
  readonly spec?: Json
}

export class StoredObject {
  private uid = ''
  private resourceVersion = ''
  private generation = 0
  private created = ''
  private labels: Record<string, string> = {}
  private spec: Json = {}

  constructor(readonly identity: ObjectIdentity) {}

  get storedUid(): string {
    return this.uid
  }

  get storedResourceVersion(): string {
    return this.resourceVersion
  }

  /** The object as a client sends it to create it: no server fields. */
  toCreate(change: ObjectChange): Json {
    return this.render({labels: {...change.labels}, spec: change.spec ?? {}, server: false})
  }

  /** The whole object with a change, as a client sends it to replace it (PUT): the resourceVersion it read. */
  toReplace(change: ObjectChange): Json {
    return this.render({labels: {...this.labels, ...change.labels}, spec: change.spec ?? this.spec, server: true})
  }

  /** Stores a write made at `atUs` (a create the first time): the object as the server now returns it. */
  store(ctx: GenerationContext, atUs: number, change: ObjectChange): Json {
    if (this.uid === '') {
      this.uid = ctx.cluster.uid()
      this.created = isoSeconds(atUs)
    }
    const specChanged = change.spec !== undefined && JSON.stringify(change.spec) !== JSON.stringify(this.spec)
    if (this.generation === 0 || specChanged) this.generation++
    this.labels = {...this.labels, ...change.labels}
    if (change.spec !== undefined) this.spec = change.spec
    this.resourceVersion = ctx.nextRevision()
    return this.current()
  }

  /** The object as the server returns it now. */
  current(): Json {
    return this.render({labels: this.labels, spec: this.spec, server: true})
  }

  private render(o: {labels: Record<string, string>; spec: Json; server: boolean}): Json {
    const {apiVersion, kind, name, namespace, v3Name} = this.identity
    const hasLabels = Object.keys(o.labels).length > 0
    const server = o.server && this.uid !== '' ? {uid: this.uid, resourceVersion: this.resourceVersion, generation: this.generation, creationTimestamp: this.created} : {}
    if (v3Name === undefined) {
      return {kind, apiVersion, metadata: {name, ...(namespace ? {namespace} : {}), ...server, ...(hasLabels ? {labels: o.labels} : {})}, spec: o.spec}
    }
    const saved = {name: v3Name, creationTimestamp: this.created === '' ? null : this.created, ...(hasLabels ? {labels: o.labels} : {})}
    return sortedKeys({
      apiVersion,
      kind,
      metadata: {name, ...(namespace ? {namespace} : {}), ...server, annotations: {'projectcalico.org/metadata': JSON.stringify(saved)}},
      spec: o.spec,
    }) as Json
  }
}

function isoSeconds(us: number): string {
  return `${new Date(Math.floor(us / 1000)).toISOString().slice(0, 19)}Z`
}

/** Every map's keys sorted, as the apiserver writes a custom resource. */
export function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys)
  if (typeof value !== 'object' || value === null) return value
  const out: Json = {}
  for (const key of Object.keys(value).sort()) out[key] = sortedKeys((value as Json)[key])
  return out
}
