// One shape for the policies whose rules we read: Kubernetes NetworkPolicy (and Calico's
// StagedKubernetesNetworkPolicy), Calico NetworkPolicy and GlobalNetworkPolicy (and their staged
// forms), AdminNetworkPolicy and BaselineAdminNetworkPolicy, and Calico's Tier. Who a policy
// applies to, its ordering fields, and each rule as one line of parts.

import {arrayField, canonicalJson, isObject, type JsonObject, objectField, stringField} from './json.js'
import {
  adminPeerText,
  adminPortText,
  calicoEntityText,
  calicoPortsText,
  calicoSelectorText,
  isCalicoAll,
  isEmptyLabelSelector,
  isWorldCidr,
  kubernetesPeerText,
  kubernetesPortText,
  labelSelectorText,
} from './rule-text.js'

export type Direction = 'ingress' | 'egress'
/** The rule's action, lower-cased (`allow`, `deny`, `pass`, `log`); Kubernetes rules only allow. */
export type Action = string
export type PolicyFamily = 'kubernetes' | 'calico' | 'admin' | 'tier'

/** A part of a rule's line. `text` is empty when the rule does not set it; `unset` says what that means. */
export interface RulePart {
  readonly key: 'name' | 'ipVersion' | 'ports' | 'icmp' | 'from' | 'to' | 'http'
  readonly text: string
  readonly unset: string
}

export interface RuleView {
  readonly direction: Direction
  /** 0-based position in its direction's list. */
  readonly position: number
  readonly name: string | undefined
  readonly action: Action
  readonly parts: readonly RulePart[]
  /** The rule's content with keys sorted: equal rules are the same rule. */
  readonly content: string
  /** The part that names the other end: `from` for ingress, `to` for egress. */
  readonly peerKey: 'from' | 'to'
  /** The other end is not constrained at all (no `from`/`to`, an empty Calico source/destination). */
  readonly peerIsAnything: boolean
  /** /0 CIDRs that alone make up a peer: every address. */
  readonly worldCidrs: readonly string[]
}

/** A policy-wide field as one line: `order 100`, `selector all()`. */
export interface FieldView {
  readonly key: string
  readonly text: string
  /** Printed for a created or deleted policy (set explicitly, or says who the policy applies to). */
  readonly essential: boolean
}

export interface PolicyView {
  readonly family: PolicyFamily
  readonly kind: string
  /** Staged policies are previews: they are enforced only once promoted, which is a write of its own. */
  readonly staged: boolean
  /** Rules are evaluated in order (Calico, admin network policies); Kubernetes rules are a union. */
  readonly ordered: boolean
  readonly fields: readonly FieldView[]
  readonly rules: readonly RuleView[]
  /** Null unless the policy applies to every endpoint it can: then who that is. */
  readonly appliesToAll: string | null
  /** Directions the policy isolates without a rule: all such traffic of its endpoints is denied. */
  readonly denyAll: readonly Direction[]
  /** A tier's defaultAction (Deny when not set). */
  readonly defaultAction?: string
}

const DIRECTIONS: readonly Direction[] = ['ingress', 'egress']

/** The view of a policy object, or undefined for kinds whose rules we do not read. */
export function policyView(object: JsonObject): PolicyView | undefined {
  const group = (stringField(object, 'apiVersion') ?? '').split('/')[0]
  const kind = stringField(object, 'kind') ?? ''
  const spec = objectField(object, 'spec') ?? {}
  const namespace = stringField(objectField(object, 'metadata'), 'namespace')
  if ((group === 'networking.k8s.io' || group === 'extensions') && kind === 'NetworkPolicy')
    return kubernetesView(kind, spec, namespace, false)
  if (group === 'projectcalico.org' || group === 'crd.projectcalico.org') {
    if (kind === 'StagedKubernetesNetworkPolicy') return kubernetesView(kind, spec, namespace, true)
    if (kind === 'Tier') return tierView(spec)
    if (['NetworkPolicy', 'GlobalNetworkPolicy', 'StagedNetworkPolicy', 'StagedGlobalNetworkPolicy'].includes(kind))
      return calicoView(kind, spec, namespace)
  }
  if (group === 'policy.networking.k8s.io' && (kind === 'AdminNetworkPolicy' || kind === 'BaselineAdminNetworkPolicy'))
    return adminView(kind, spec)
  return undefined
}

const capitalized = (d: Direction): string => (d === 'ingress' ? 'Ingress' : 'Egress')

function rulesOf(spec: JsonObject, direction: Direction): unknown[] {
  return arrayField(spec, direction) ?? []
}

/** Directions named in a `policyTypes`/`types` list, or undefined when it is not set. */
function listedDirections(list: unknown[] | undefined): Direction[] | undefined {
  if (!list || list.length === 0) return undefined
  return DIRECTIONS.filter((d) => list.some((t) => typeof t === 'string' && t.toLowerCase() === d))
}

function stagedField(spec: JsonObject, staged: boolean): FieldView[] {
  return staged ? [{key: 'stagedAction', text: stringField(spec, 'stagedAction') ?? 'Set', essential: true}] : []
}

function kubernetesView(kind: string, spec: JsonObject, namespace: string | undefined, staged: boolean): PolicyView {
  // policyTypes, when not set: Ingress, plus Egress when there are egress rules.
  const types =
    listedDirections(arrayField(spec, 'policyTypes')) ??
    DIRECTIONS.filter((d) => d === 'ingress' || rulesOf(spec, d).length > 0)
  const rules: RuleView[] = []
  for (const direction of DIRECTIONS) {
    rulesOf(spec, direction).forEach((rule, position) => {
      const peerKey = direction === 'ingress' ? 'from' : 'to'
      const peers = arrayField(rule, peerKey) ?? []
      const ports = (arrayField(rule, 'ports') ?? []).map(kubernetesPortText)
      rules.push({
        direction,
        position,
        name: undefined,
        action: 'allow',
        peerKey,
        content: canonicalJson(rule),
        parts: [
          {key: 'ports', text: ports.join(','), unset: 'every port'},
          {
            key: peerKey,
            text: `${peerKey} ${peers.length === 0 ? 'anywhere' : peers.map(kubernetesPeerText).join(' or ')}`,
            unset: `${peerKey} anywhere`,
          },
        ],
        peerIsAnything: peers.length === 0,
        worldCidrs: peers.map((p) => objectField(p, 'ipBlock')?.cidr).filter(isWorldCidr) as string[],
      })
    })
  }
  return {
    family: 'kubernetes',
    kind,
    staged,
    ordered: false,
    rules,
    fields: [
      ...stagedField(spec, staged),
      {key: 'podSelector', text: labelSelectorText(spec.podSelector), essential: true},
      {key: 'policyTypes', text: types.map(capitalized).join(','), essential: true},
    ],
    appliesToAll: isEmptyLabelSelector(spec.podSelector) ? `every pod in namespace ${namespace ?? '?'}` : null,
    denyAll: types.filter((d) => rulesOf(spec, d).length === 0),
  }
}

const actionOf = (rule: unknown): Action => (stringField(rule, 'action') ?? 'no-action').toLowerCase()

/** A Calico entity that names no peer: no nets, selectors, service accounts or services (exclusions do not count). */
function calicoNamesNoPeer(entity: JsonObject | undefined): boolean {
  if (!entity) return true
  const set = (k: string) => {
    const v = entity[k]
    return Array.isArray(v) ? v.length > 0 : typeof v === 'string' ? v.trim() !== '' : isObject(v)
  }
  return !['net', 'nets', 'selector', 'namespaceSelector', 'serviceAccounts', 'services'].some(set)
}

function calicoRule(rule: unknown, direction: Direction, position: number): RuleView {
  const source = objectField(rule, 'source')
  const destination = objectField(rule, 'destination')
  const peer = direction === 'ingress' ? source : destination
  const peerKey = direction === 'ingress' ? 'from' : 'to'
  const protocol = isObject(rule) && rule.protocol !== undefined ? String(rule.protocol).toLowerCase() : ''
  const destPorts = arrayField(destination, 'ports') ?? []
  const portText = [
    destPorts.length > 0
      ? protocol
        ? `${protocol}/${calicoPortsText(destPorts)}`
        : `ports ${calicoPortsText(destPorts)}`
      : protocol,
    isObject(rule) && rule.notProtocol !== undefined ? `not ${String(rule.notProtocol).toLowerCase()}` : '',
    (arrayField(destination, 'notPorts') ?? []).length > 0
      ? `notPorts ${calicoPortsText(arrayField(destination, 'notPorts')!)}`
      : '',
  ]
    .filter(Boolean)
    .join(' ')
  const sourceText = calicoEntityText(source, true)
  const destinationText = calicoEntityText(destination, false)
  // The protocol (icmp, icmpv6) is already in the ports part: `icmp type 8 code 0`, `icmpv6 not type 128`.
  const icmp = [icmpText('', objectField(rule, 'icmp')), icmpText('not', objectField(rule, 'notICMP'))]
    .filter(Boolean)
    .join(' ')
  const ipVersion = isObject(rule) && rule.ipVersion !== undefined ? `ipv${String(rule.ipVersion)}` : ''
  const http = objectField(rule, 'http')
  const nets = [...(arrayField(peer, 'nets') ?? []), ...(typeof peer?.net === 'string' ? [peer.net] : [])]
  const namesMoreThanNets = peer !== undefined && !calicoNamesNoPeer({...peer, nets: undefined, net: undefined})
  return {
    direction,
    position,
    name: undefined,
    action: actionOf(rule),
    peerKey,
    content: canonicalJson(rule),
    parts: [
      {key: 'ipVersion', text: ipVersion, unset: 'any IP version'},
      {key: 'ports', text: portText, unset: 'every protocol and port'},
      {key: 'icmp', text: icmp, unset: 'any ICMP type'},
      // The endpoint the policy selects is the implicit other end: its side is shown only when the rule narrows it.
      {
        key: 'from',
        text: direction === 'ingress' ? `from ${sourceText || 'anywhere'}` : sourceText ? `from ${sourceText}` : '',
        unset: direction === 'ingress' ? 'from anywhere' : 'from any selected endpoint',
      },
      {
        key: 'to',
        text:
          direction === 'egress'
            ? `to ${destinationText || 'anywhere'}`
            : destinationText
              ? `to ${destinationText}`
              : '',
        unset: direction === 'egress' ? 'to anywhere' : 'to any selected endpoint',
      },
      {key: 'http', text: http ? `http ${canonicalJson(http)}` : '', unset: 'any HTTP request'},
    ],
    peerIsAnything: calicoNamesNoPeer(peer),
    // nets AND a selector is the selected endpoints within those nets, not every address.
    worldCidrs: namesMoreThanNets ? [] : (nets.filter(isWorldCidr) as string[]),
  }
}

function icmpText(label: string, icmp: JsonObject | undefined): string {
  if (!icmp) return ''
  return [
    label,
    icmp.type !== undefined ? `type ${String(icmp.type)}` : '',
    icmp.code !== undefined ? `code ${String(icmp.code)}` : '',
  ]
    .filter(Boolean)
    .join(' ')
}

function calicoView(kind: string, spec: JsonObject, namespace: string | undefined): PolicyView {
  const staged = kind.startsWith('Staged')
  const global = kind.endsWith('GlobalNetworkPolicy')
  // types, when not set: Ingress unless there are only egress rules; both when there are both.
  const hasIngress = rulesOf(spec, 'ingress').length > 0
  const hasEgress = rulesOf(spec, 'egress').length > 0
  const types =
    listedDirections(arrayField(spec, 'types')) ??
    (hasEgress ? (hasIngress ? [...DIRECTIONS] : ['egress' as const]) : ['ingress' as const])
  const rules = DIRECTIONS.flatMap((d) => rulesOf(spec, d).map((rule, position) => calicoRule(rule, d, position)))
  const optional = (key: string, text: (v: unknown) => string): FieldView[] =>
    spec[key] === undefined ? [] : [{key, text: text(spec[key]), essential: true}]
  const selectsAll =
    isCalicoAll(spec.selector) &&
    (spec.namespaceSelector === undefined || isCalicoAll(spec.namespaceSelector)) &&
    spec.serviceAccountSelector === undefined
  return {
    family: 'calico',
    kind,
    staged,
    ordered: true,
    rules,
    fields: [
      ...stagedField(spec, staged),
      {key: 'tier', text: stringField(spec, 'tier') || 'default', essential: true},
      {
        key: 'order',
        text: spec.order === undefined || spec.order === null ? 'none' : String(spec.order),
        essential: true,
      },
      {key: 'selector', text: calicoSelectorText(spec.selector), essential: true},
      ...optional('namespaceSelector', calicoSelectorText),
      ...optional('serviceAccountSelector', calicoSelectorText),
      {key: 'types', text: types.map(capitalized).join(','), essential: true},
      ...['doNotTrack', 'preDNAT', 'applyOnForward'].flatMap((key) => optional(key, String)),
    ],
    appliesToAll: selectsAll ? (global ? 'every endpoint' : `every endpoint in namespace ${namespace ?? '?'}`) : null,
    // A policy that applies to an endpoint but has no rule for a direction ends in its tier's default action.
    denyAll: types.filter((d) => rulesOf(spec, d).length === 0),
  }
}

function adminRule(rule: unknown, direction: Direction, position: number): RuleView {
  const peerKey = direction === 'ingress' ? 'from' : 'to'
  const peers = arrayField(rule, peerKey) ?? []
  const ports = (arrayField(rule, 'ports') ?? []).map(adminPortText)
  const name = stringField(rule, 'name')
  return {
    direction,
    position,
    name,
    action: actionOf(rule),
    peerKey,
    content: canonicalJson(rule),
    parts: [
      {key: 'name', text: name === undefined ? '' : JSON.stringify(name), unset: 'no name'},
      {key: 'ports', text: ports.join(','), unset: 'every port'},
      {
        key: peerKey,
        text: `${peerKey} ${peers.length === 0 ? 'nothing' : peers.map(adminPeerText).join(' or ')}`,
        unset: `${peerKey} nothing`,
      },
    ],
    // The API requires at least one peer: an admin rule always names its other end.
    peerIsAnything: false,
    worldCidrs: peers.flatMap((p) => arrayField(p, 'networks') ?? []).filter(isWorldCidr) as string[],
  }
}

function adminView(kind: string, spec: JsonObject): PolicyView {
  const subject = objectField(spec, 'subject')
  const pods = objectField(subject, 'pods')
  const everyone =
    (subject !== undefined && 'namespaces' in subject && isEmptyLabelSelector(subject.namespaces)) ||
    (pods !== undefined && isEmptyLabelSelector(pods.namespaceSelector) && isEmptyLabelSelector(pods.podSelector))
  return {
    family: 'admin',
    kind,
    staged: false,
    ordered: true,
    rules: DIRECTIONS.flatMap((d) => rulesOf(spec, d).map((rule, position) => adminRule(rule, d, position))),
    fields: [
      ...(kind === 'AdminNetworkPolicy'
        ? [{key: 'priority', text: spec.priority === undefined ? 'none' : String(spec.priority), essential: true}]
        : []),
      {key: 'subject', text: adminPeerText(subject), essential: true},
    ],
    appliesToAll: everyone ? 'every pod in every namespace' : null,
    // Traffic no admin rule matches goes on to the next layer: there is no implicit deny.
    denyAll: [],
  }
}

function tierView(spec: JsonObject): PolicyView {
  const defaultAction = stringField(spec, 'defaultAction') ?? 'Deny'
  return {
    family: 'tier',
    kind: 'Tier',
    staged: false,
    ordered: true,
    rules: [],
    fields: [
      {
        key: 'order',
        text: spec.order === undefined || spec.order === null ? 'none' : String(spec.order),
        essential: true,
      },
      {key: 'defaultAction', text: defaultAction, essential: spec.defaultAction !== undefined},
    ],
    appliesToAll: null,
    denyAll: [],
    defaultAction,
  }
}

/** A rule as one line: `ingress allow tcp/22 from 0.0.0.0/0`. */
export function ruleText(rule: RuleView): string {
  const [named, rest] = [rule.parts.filter((p) => p.key === 'name'), rule.parts.filter((p) => p.key !== 'name')]
  return [rule.direction, ...named.map((p) => p.text), rule.action, ...rest.map((p) => p.text)]
    .filter(Boolean)
    .join(' ')
}
