// How the parts of a policy read on one line, in each API's own terms: Kubernetes label selectors
// as kubectl prints them (`app=web,tier in (a,b)`), Calico selectors as written, ports as
// `tcp/8080`, CIDRs as they are.

import {arrayField, isObject, type JsonObject, objectField, stringField} from './json.js'

const str = (v: unknown): string =>
  typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' ? String(v) : (JSON.stringify(v) ?? '')

/**
 * A Kubernetes LabelSelector as kubectl prints one: requirements sorted by key, `k=v`,
 * `k in (a,b)`, `k notin (a,b)`, `k`, `!k`, joined by commas; `{}` for the empty selector, which
 * selects everything.
 */
export function labelSelectorText(selector: unknown): string {
  if (!isObject(selector)) return '{}'
  const requirements: Array<[string, string]> = []
  for (const [key, value] of Object.entries(objectField(selector, 'matchLabels') ?? {}))
    requirements.push([key, `${key}=${str(value)}`])
  for (const expression of arrayField(selector, 'matchExpressions') ?? []) {
    const key = stringField(expression, 'key') ?? ''
    const values = (arrayField(expression, 'values') ?? []).map(str).sort()
    switch (stringField(expression, 'operator')) {
      case 'In':
        requirements.push([key, `${key} in (${values.join(',')})`])
        break
      case 'NotIn':
        requirements.push([key, `${key} notin (${values.join(',')})`])
        break
      case 'Exists':
        requirements.push([key, key])
        break
      case 'DoesNotExist':
        requirements.push([key, `!${key}`])
        break
      default:
        requirements.push([key, `${key} ${str(stringField(expression, 'operator') ?? '?')} (${values.join(',')})`])
    }
  }
  if (requirements.length === 0) return '{}'
  return requirements
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([, text]) => text)
    .join(',')
}

export function isEmptyLabelSelector(selector: unknown): boolean {
  return labelSelectorText(selector) === '{}'
}

/** `tcp/8080`, `tcp/8000-9000`, `udp` (every port), `tcp/http` (a named port); TCP when no protocol is given. */
export function kubernetesPortText(port: unknown): string {
  const protocol = (stringField(port, 'protocol') ?? 'TCP').toLowerCase()
  const number = isObject(port) ? port.port : undefined
  if (number === undefined || number === null) return protocol
  const end = isObject(port) ? port.endPort : undefined
  return `${protocol}/${str(number)}${end === undefined || end === null ? '' : `-${str(end)}`}`
}

/** One Kubernetes NetworkPolicyPeer: an ipBlock, or a pod and/or namespace selector. */
export function kubernetesPeerText(peer: unknown): string {
  const ipBlock = objectField(peer, 'ipBlock')
  if (ipBlock) {
    const except = (arrayField(ipBlock, 'except') ?? []).map(str)
    return `${str(ipBlock.cidr)}${except.length > 0 ? ` except ${except.join(',')}` : ''}`
  }
  const pods =
    isObject(peer) && 'podSelector' in peer ? `podSelector ${labelSelectorText(peer.podSelector)}` : undefined
  const namespaces =
    isObject(peer) && 'namespaceSelector' in peer
      ? `namespaceSelector ${labelSelectorText(peer.namespaceSelector)}`
      : undefined
  if (pods && namespaces) return `${pods} in ${namespaces}`
  return pods ?? namespaces ?? '{}'
}

/** A Calico selector expression as written; the empty selector means all(). */
export function calicoSelectorText(selector: unknown): string {
  const text = typeof selector === 'string' ? selector.trim() : ''
  return text === '' ? 'all()' : text
}

export function isCalicoAll(selector: unknown): boolean {
  return calicoSelectorText(selector).replaceAll(/\s+/g, '') === 'all()'
}

/** Calico ports: numbers, `from:to` ranges and named ports, as written. */
export function calicoPortsText(ports: unknown[]): string {
  return ports.map(str).join(',')
}

/** Every part of a Calico EntityRule that constrains the peer, in a fixed order, `and`-joined. */
export function calicoEntityText(entity: JsonObject | undefined, withPorts: boolean): string {
  if (!entity) return ''
  const parts: string[] = []
  const nets = [...(typeof entity.net === 'string' ? [entity.net] : []), ...(arrayField(entity, 'nets') ?? []).map(str)]
  if (nets.length > 0) parts.push(nets.join(','))
  const notNets = [
    ...(typeof entity.notNet === 'string' ? [entity.notNet] : []),
    ...(arrayField(entity, 'notNets') ?? []).map(str),
  ]
  if (notNets.length > 0) parts.push(`not ${notNets.join(',')}`)
  if (typeof entity.selector === 'string' && entity.selector.trim() !== '')
    parts.push(`selector ${entity.selector.trim()}`)
  if (typeof entity.notSelector === 'string' && entity.notSelector.trim() !== '')
    parts.push(`notSelector ${entity.notSelector.trim()}`)
  if (typeof entity.namespaceSelector === 'string' && entity.namespaceSelector.trim() !== '')
    parts.push(`namespaceSelector ${entity.namespaceSelector.trim()}`)
  const accounts = objectField(entity, 'serviceAccounts')
  if (accounts) {
    const names = (arrayField(accounts, 'names') ?? []).map(str)
    if (names.length > 0) parts.push(`serviceAccounts ${names.join(',')}`)
    if (typeof accounts.selector === 'string' && accounts.selector.trim() !== '')
      parts.push(`serviceAccounts selector ${accounts.selector.trim()}`)
  }
  const services = objectField(entity, 'services')
  if (services)
    parts.push(
      `service ${[stringField(services, 'namespace'), stringField(services, 'name')].filter(Boolean).join('/')}`,
    )
  if (withPorts) {
    const ports = arrayField(entity, 'ports') ?? []
    if (ports.length > 0) parts.push(`ports ${calicoPortsText(ports)}`)
    const notPorts = arrayField(entity, 'notPorts') ?? []
    if (notPorts.length > 0) parts.push(`notPorts ${calicoPortsText(notPorts)}`)
  }
  return parts.join(' and ')
}

/** An AdminNetworkPolicy port: `tcp/80`, `tcp/8000-9000`, or a named port. */
export function adminPortText(port: unknown): string {
  const number = objectField(port, 'portNumber')
  if (number) return `${(stringField(number, 'protocol') ?? 'TCP').toLowerCase()}/${str(number.port)}`
  const range = objectField(port, 'portRange')
  if (range) return `${(stringField(range, 'protocol') ?? 'TCP').toLowerCase()}/${str(range.start)}-${str(range.end)}`
  const named = stringField(port, 'namedPort')
  return named === undefined ? '{}' : `namedPort ${named}`
}

/** An AdminNetworkPolicy peer (or subject): namespaces, pods in namespaces, nodes, or networks. */
export function adminPeerText(peer: unknown): string {
  if (!isObject(peer)) return '{}'
  if ('namespaces' in peer) return `namespaces ${labelSelectorText(peer.namespaces)}`
  const pods = objectField(peer, 'pods')
  if (pods)
    return `pods ${labelSelectorText(pods.podSelector)} in namespaces ${labelSelectorText(pods.namespaceSelector)}`
  if ('nodes' in peer) return `nodes ${labelSelectorText(peer.nodes)}`
  const networks = arrayField(peer, 'networks')
  if (networks) return networks.map(str).join(',')
  return '{}'
}

/** A CIDR that covers every address of its family (0.0.0.0/0, ::/0, and any other spelling of /0). */
export function isWorldCidr(cidr: unknown): boolean {
  return typeof cidr === 'string' && /\/0+$/.test(cidr.trim())
}
