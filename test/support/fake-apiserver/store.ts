// The fake apiserver's object store: any Kubernetes object, addressed the way the REST API
// addresses it (group, plural resource, namespace, name), with label and field selectors.
import {randomUUID} from 'node:crypto'

export interface KubeObject {
  apiVersion: string
  kind: string
  metadata: {name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown}
  [key: string]: unknown
}

/** Kinds whose plural is not the regular English one, plus the cluster-scoped kinds tests use. */
const IRREGULAR_PLURALS: Record<string, string> = {Endpoints: 'endpoints'}
const CLUSTER_SCOPED_KINDS = new Set([
  'Node',
  'Namespace',
  'APIService',
  'CustomResourceDefinition',
  'ClusterRole',
  'ClusterRoleBinding',
  'GlobalNetworkPolicy',
  'StagedGlobalNetworkPolicy',
  'GlobalNetworkSet',
  'Tier',
  'HostEndpoint',
  'AdminNetworkPolicy',
  'BaselineAdminNetworkPolicy',
  'ClusterNetworkPolicy',
  'PersistentVolume',
  'StorageClass',
])

export function pluralOf(kind: string): string {
  const irregular = IRREGULAR_PLURALS[kind]
  if (irregular) return irregular
  const lower = kind.toLowerCase()
  if (lower.endsWith('y')) return `${lower.slice(0, -1)}ies`
  if (lower.endsWith('s')) return `${lower}es`
  return `${lower}s`
}

export function groupOf(apiVersion: string): string {
  const slash = apiVersion.indexOf('/')
  return slash === -1 ? '' : apiVersion.slice(0, slash)
}

export function isClusterScoped(kind: string): boolean {
  return CLUSTER_SCOPED_KINDS.has(kind)
}

/** Where a request points: a collection (name undefined) or one object. */
export interface ResourceAddress {
  group: string
  version: string
  plural: string
  namespace?: string
  name?: string
  subresource?: string
}

export class ObjectStore {
  /** Told of every object removed (a pod's container then stops). */
  onRemove: (obj: KubeObject) => void = () => {}
  private readonly objects = new Map<string, KubeObject>()
  private readonly kindsByPlural = new Map<string, string>()
  private resourceVersion = 1

  add(input: object): KubeObject {
    const obj = structuredClone(input) as KubeObject
    if (!obj.apiVersion || !obj.kind || !obj.metadata?.name) {
      throw new Error('fake apiserver: objects need apiVersion, kind and metadata.name')
    }
    if (isClusterScoped(obj.kind)) delete obj.metadata.namespace
    else obj.metadata.namespace ??= 'default'
    obj.metadata.uid ??= randomUUID()
    obj.metadata.creationTimestamp ??= new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    obj.metadata.resourceVersion = String(this.resourceVersion++)
    const plural = pluralOf(obj.kind)
    this.kindsByPlural.set(`${groupOf(obj.apiVersion)}/${plural}`, obj.kind)
    this.objects.set(keyOf(groupOf(obj.apiVersion), plural, obj.metadata.namespace, obj.metadata.name), obj)
    return obj
  }

  remove(apiVersion: string, kind: string, name: string, namespace?: string): KubeObject | undefined {
    const ns = isClusterScoped(kind) ? undefined : (namespace ?? 'default')
    const key = keyOf(groupOf(apiVersion), pluralOf(kind), ns, name)
    const obj = this.objects.get(key)
    this.objects.delete(key)
    if (obj) this.onRemove(obj)
    return obj
  }

  get(address: ResourceAddress): KubeObject | undefined {
    if (!address.name) return undefined
    return this.objects.get(keyOf(address.group, address.plural, address.namespace, address.name))
  }

  /** Objects of one resource; all namespaces when the address has none. */
  list(address: ResourceAddress, labelSelector?: string, fieldSelector?: string): KubeObject[] {
    const labels = parseSelector(labelSelector)
    const fields = parseSelector(fieldSelector)
    const found: KubeObject[] = []
    for (const obj of this.objects.values()) {
      if (groupOf(obj.apiVersion) !== address.group || pluralOf(obj.kind) !== address.plural) continue
      if (address.namespace !== undefined && obj.metadata.namespace !== address.namespace) continue
      if (!labels.every((req) => req.test(obj.metadata.labels?.[req.key]))) continue
      if (!fields.every((req) => req.test(fieldValue(obj, req.key)))) continue
      found.push(obj)
    }
    return found.sort(
      (a, b) =>
        (a.metadata.namespace ?? '').localeCompare(b.metadata.namespace ?? '') ||
        a.metadata.name.localeCompare(b.metadata.name),
    )
  }

  /** The kind served at group/plural, when some object of it was ever stored. */
  kindOf(group: string, plural: string): string | undefined {
    return this.kindsByPlural.get(`${group}/${plural}`)
  }

  all(): KubeObject[] {
    return [...this.objects.values()]
  }
}

function keyOf(group: string, plural: string, namespace: string | undefined, name: string): string {
  return `${group}/${plural}/${namespace ?? ''}/${name}`
}

interface Requirement {
  key: string
  test(value: string | undefined): boolean
}

/** `k=v,k2!=v2,k3` — the equality-based selector syntax (what tests and this tool use). */
function parseSelector(selector: string | undefined): Requirement[] {
  if (!selector) return []
  return selector
    .split(',')
    .filter(Boolean)
    .map((term): Requirement => {
      const notEqual = term.indexOf('!=')
      if (notEqual !== -1) {
        const value = term.slice(notEqual + 2)
        return {key: term.slice(0, notEqual), test: (v) => v !== value}
      }
      const equal = term.indexOf('=')
      if (equal !== -1) {
        const value = term.slice(term[equal + 1] === '=' ? equal + 2 : equal + 1)
        return {key: term.slice(0, equal), test: (v) => v === value}
      }
      if (term.startsWith('!')) return {key: term.slice(1), test: (v) => v === undefined}
      return {key: term, test: (v) => v !== undefined}
    })
}

/** A dotted field path such as `spec.nodeName`, read as a string; "" when unset, as the API does. */
function fieldValue(obj: KubeObject, path: string): string {
  let cursor: unknown = obj
  for (const part of path.split('.')) {
    if (cursor === null || typeof cursor !== 'object') return ''
    cursor = (cursor as Record<string, unknown>)[part]
  }
  return cursor === undefined || cursor === null ? '' : String(cursor)
}
