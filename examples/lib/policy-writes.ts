// The requests that are (or look like) policy changes, written the way each client and API
// server really produces them (facts §1, §6):
// - Calico through its aggregated API: kube-apiserver logs the user's projectcalico.org request at
//   Metadata only; the Calico API server then writes the crd.projectcalico.org object as its own
//   service account, with bodies, under the `<tier>.<name>` CRD name.
// - calicoctl: straight to the CRDs as the user; `apply` is a create (409 when the object exists),
//   a get, then an update (PUT).
// - Kubernetes network policies and admin network policies: one request each, with bodies.

import type {Actor, ApiRequest, Failure, ObjectRef, UserInfo} from './audit-event.js'
import type {GenerationContext} from './context.js'
import type {ObjectChange, StoredObject} from './stored-object.js'

type WriteVerb = 'create' | 'update' | 'patch' | 'delete' | 'deletecollection'

const CALICO_KINDS: Readonly<Record<string, {kind: string; namespaced: boolean; tiered: boolean}>> = {
  globalnetworkpolicies: {kind: 'GlobalNetworkPolicy', namespaced: false, tiered: true},
  networkpolicies: {kind: 'NetworkPolicy', namespaced: true, tiered: true},
  stagedglobalnetworkpolicies: {kind: 'StagedGlobalNetworkPolicy', namespaced: false, tiered: true},
  stagednetworkpolicies: {kind: 'StagedNetworkPolicy', namespaced: true, tiered: true},
  stagedkubernetesnetworkpolicies: {kind: 'StagedKubernetesNetworkPolicy', namespaced: true, tiered: false},
  tiers: {kind: 'Tier', namespaced: false, tiered: false},
  globalnetworksets: {kind: 'GlobalNetworkSet', namespaced: false, tiered: false},
  networksets: {kind: 'NetworkSet', namespaced: true, tiered: false},
  hostendpoints: {kind: 'HostEndpoint', namespaced: false, tiered: false},
}

export type CalicoResource = keyof typeof CALICO_KINDS

/** The name a Calico object is stored under in crd.projectcalico.org (facts §6.2, v3.29–v3.31). */
export function calicoStorageName(resource: CalicoResource, name: string, tier = 'default'): string {
  if (!CALICO_KINDS[resource]?.tiered) return name
  return name.startsWith(`${tier}.`) ? name : `${tier}.${name}`
}

function tierOf(name: string): string {
  const dot = name.indexOf('.')
  return dot > 0 ? name.slice(0, dot) : 'default'
}

function collectionPath(group: string, version: string, resource: string, namespace?: string): string {
  return `/apis/${group}/${version}${namespace ? `/namespaces/${namespace}` : ''}/${resource}`
}

function queryString(params: readonly (string | false | undefined)[]): string {
  const kept = params.filter((p): p is string => typeof p === 'string')
  return kept.length > 0 ? `?${kept.join('&')}` : ''
}

function deniedFailure(actor: Actor, verb: string, resource: string, group: string, name: string | undefined, namespace: string | undefined): Failure {
  const what = name ? `${resource}.${group} "${name}"` : `${resource}.${group}`
  const scope = namespace ? `in the namespace "${namespace}"` : 'at the cluster scope'
  return {
    reason: 'Forbidden',
    message: `${what} is forbidden: User "${actor.user.username}" cannot ${verb} resource "${resource}" in API group "${group}" ${scope}`,
    details: {...(name ? {name} : {}), group, kind: resource},
  }
}

function calicoSpec(resource: CalicoResource, name: string, namespace: string | undefined, revision: number): Record<string, unknown> {
  const tier = tierOf(name)
  switch (resource) {
    case 'tiers':
      return {order: 100 + revision * 10}
    case 'globalnetworksets':
    case 'networksets':
      return {nets: ['198.51.100.0/24', `203.0.113.${(revision * 16) % 256}/28`]}
    case 'hostendpoints':
      return {node: 'worker-1', interfaceName: 'eth0', expectedIPs: ['10.0.0.11']}
    case 'stagedkubernetesnetworkpolicies':
      return {podSelector: {matchLabels: {app: 'web'}}, policyTypes: ['Ingress'], ingress: [{from: [{podSelector: {matchLabels: {app: 'gateway'}}}]}]}
    default:
      return {
        tier,
        order: 100 + revision,
        selector: namespace ? "app == 'web'" : 'all()',
        types: ['Ingress', 'Egress'],
        ingress: [{action: 'Allow', protocol: 'TCP', source: {selector: "app == 'gateway'"}, destination: {ports: [8080 + revision]}}],
        egress: [{action: 'Allow', protocol: 'UDP', destination: {selector: "k8s-app == 'kube-dns'", namespaceSelector: "kubernetes.io/metadata.name == 'kube-system'", ports: [53]}}],
      }
  }
}

function calicoObject(resource: CalicoResource, storageName: string, namespace: string | undefined, spec: unknown, stored?: {uid: string; resourceVersion: string; at: string}): Record<string, unknown> {
  return {
    apiVersion: 'crd.projectcalico.org/v1',
    kind: CALICO_KINDS[resource]!.kind,
    metadata: {
      name: storageName,
      ...(namespace ? {namespace} : {}),
      ...(stored ? {uid: stored.uid, resourceVersion: stored.resourceVersion, generation: 1, creationTimestamp: stored.at} : {}),
      annotations: {'projectcalico.org/metadata': '{"creationTimestamp":null}'},
    },
    spec,
  }
}

function isoSeconds(us: number): string {
  return `${new Date(Math.floor(us / 1000)).toISOString().slice(0, 19)}Z`
}

export interface CalicoApiWrite {
  readonly actor: Actor
  readonly verb: WriteVerb
  readonly resource: CalicoResource
  readonly namespace?: string
  /** The projectcalico.org/v3 name (tiered policies: `<tier>.<name>`, or plain for the default tier). */
  readonly name?: string
  readonly at: number
  /** Rejected by kube-apiserver's authorizer: nothing reaches the Calico API server. */
  readonly denied?: boolean
  readonly subresource?: 'status'
  /** For deletecollection: the v3 names of the objects the collection held. */
  readonly members?: readonly string[]
  /** The object the write changes, across a sequence of writes: its bodies instead of made-up ones. */
  readonly object?: StoredObject
  readonly change?: ObjectChange
  /** The user's query string (fieldManager…); kubectl apply's for a create or patch when not set. */
  readonly query?: readonly string[]
}

/**
 * A write through the Calico aggregated API: the user's Metadata-level request in kube-apiserver,
 * the Calico API server's delegated SubjectAccessReview, and its backing CRD write(s) with bodies,
 * all within a second.
 */
export function calicoApiWrite(ctx: GenerationContext, w: CalicoApiWrite): ApiRequest[] {
  const {rng, cluster} = ctx
  const namespace = CALICO_KINDS[w.resource]!.namespaced ? w.namespace : undefined
  // A create names its object only in the body, which kube-apiserver never decodes for an
  // aggregated API: its objectRef has no name.
  const named = w.verb !== 'create' && w.verb !== 'deletecollection'
  const path = collectionPath('projectcalico.org', 'v3', w.resource, namespace) + (named ? `/${w.name}` : '') + (w.subresource ? `/${w.subresource}` : '')
  const apply = w.query ?? (w.verb === 'create' || w.verb === 'patch' ? ['fieldManager=kubectl-client-side-apply', 'fieldValidation=Strict'] : [])
  const code = w.denied ? 403 : w.verb === 'create' ? 201 : 200

  const backing: ApiRequest[] = []
  let t = w.at + rng.int(2_000, 6_000)
  if (!w.denied) {
    const apiserver = cluster.controllers.calicoApiserver
    backing.push(plainRequest(ctx, apiserver, 'create', '/apis/authorization.k8s.io/v1/subjectaccessreviews?timeout=10s',
      {resource: 'subjectaccessreviews', apiGroup: 'authorization.k8s.io', apiVersion: 'v1'}, t, 201))
    const targets = w.verb === 'deletecollection' ? (w.members ?? []) : [w.name ?? '']
    for (const v3Name of targets) {
      const storageName = calicoStorageName(w.resource, v3Name, tierOf(v3Name))
      const crdPath = collectionPath('crd.projectcalico.org', 'v1', w.resource, namespace)
      const ref: ObjectRef = {resource: w.resource, ...(namespace ? {namespace} : {}), name: storageName, apiGroup: 'crd.projectcalico.org', apiVersion: 'v1', ...(w.subresource ? {subresource: w.subresource} : {})}
      const spec = calicoSpec(w.resource, v3Name, namespace, rng.int(0, 9))
      t += rng.int(3_000, 9_000)
      if (w.verb !== 'create') {
        backing.push(plainRequest(ctx, apiserver, 'get', `${crdPath}/${storageName}`, {...ref, subresource: undefined}, t, 200))
        t += rng.int(2_000, 5_000)
      }
      const backingVerb = w.verb === 'create' ? 'create' : w.verb === 'delete' || w.verb === 'deletecollection' ? 'delete' : 'update'
      const {uid, resourceVersion, requestObject, responseObject} = w.object
        ? storedBodies(ctx, w.object, backingVerb, w.change ?? {}, t)
        : madeUpBodies(ctx, w.resource, storageName, namespace, spec, backingVerb, w.at, t)
      const writePath = backingVerb === 'create' ? crdPath : `${crdPath}/${storageName}${w.subresource ? `/${w.subresource}` : ''}`
      const write: ApiRequest = {
        ...plainRequest(ctx, apiserver, backingVerb, writePath, {...ref, ...(uid ? {uid} : {}), ...(backingVerb === 'update' ? {resourceVersion} : {})}, t, backingVerb === 'create' ? 201 : 200),
        level: 'RequestResponse',
        requestObject,
        responseObject,
        stages: ['RequestReceived', 'ResponseComplete'],
        completedAt: t + rng.int(4_000, 12_000),
      }
      backing.push(write)
      t = write.completedAt
    }
  }

  const user: ApiRequest = {
    auditID: ctx.auditID(),
    actor: w.actor,
    verb: w.verb,
    requestURI: path + queryString(apply),
    objectRef: {
      resource: w.resource,
      ...(namespace ? {namespace} : {}),
      ...(named ? {name: w.name} : {}),
      apiGroup: 'projectcalico.org',
      apiVersion: 'v3',
      ...(w.subresource ? {subresource: w.subresource} : {}),
    },
    level: 'Metadata',
    receivedAt: w.at,
    completedAt: w.denied ? w.at + rng.int(800, 2_000) : t + rng.int(2_000, 6_000),
    code,
    ...(w.denied ? {failure: deniedFailure(w.actor, w.verb, w.resource, 'projectcalico.org', w.name, namespace)} : {}),
    stages: ['RequestReceived', 'ResponseComplete'],
  }
  return [user, ...backing]
}

interface BackingBodies {
  readonly uid: string | undefined
  /** The version the write replaces or deletes. */
  readonly resourceVersion: string | undefined
  readonly requestObject: unknown
  readonly responseObject: unknown
}

/** The bodies of a backing write of an object that has none of its own in the story: made up, as stored a day ago. */
function madeUpBodies(ctx: GenerationContext, resource: CalicoResource, storageName: string, namespace: string | undefined, spec: unknown, verb: string, userAt: number, t: number): BackingBodies {
  const uid = ctx.cluster.uid()
  const before = {uid, resourceVersion: ctx.nextRevision(), at: isoSeconds(userAt - 86_400_000_000)}
  const after = {...before, resourceVersion: ctx.nextRevision()}
  const requestObject =
    verb === 'delete'
      ? {kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1', preconditions: {uid, resourceVersion: before.resourceVersion}}
      : calicoObject(resource, storageName, namespace, spec, verb === 'create' ? undefined : before)
  const responseObject = calicoObject(resource, storageName, namespace, spec, verb === 'create' ? {...after, at: isoSeconds(t)} : verb === 'delete' ? before : after)
  return {uid, resourceVersion: before.resourceVersion, requestObject, responseObject}
}

/** The bodies of a write of an object of the story: what was sent, and what the server stored (or deleted). */
function storedBodies(ctx: GenerationContext, object: StoredObject, verb: string, change: ObjectChange, t: number): BackingBodies {
  if (verb === 'delete') {
    const deleted = object.current()
    const preconditions = {uid: object.storedUid, resourceVersion: object.storedResourceVersion}
    return {...preconditions, requestObject: {kind: 'DeleteOptions', apiVersion: 'meta.k8s.io/v1', preconditions}, responseObject: deleted}
  }
  const resourceVersion = verb === 'create' ? undefined : object.storedResourceVersion
  const requestObject = verb === 'create' ? object.toCreate(change) : object.toReplace(change)
  const responseObject = object.store(ctx, t, change)
  return {uid: object.storedUid, resourceVersion, requestObject, responseObject}
}

function plainRequest(ctx: GenerationContext, actor: Actor, verb: string, requestURI: string, objectRef: ObjectRef, at: number, code: number): ApiRequest {
  return {auditID: ctx.auditID(), actor, verb, requestURI, objectRef, level: 'Metadata', receivedAt: at, completedAt: at + ctx.rng.int(1_000, 4_000), code, stages: ['ResponseComplete']}
}

export interface CalicoctlApply {
  readonly actor: Actor
  readonly resource: CalicoResource
  readonly namespace?: string
  /** The name as stored in the CRD (calicoctl sends `<tier>.<name>`). */
  readonly storageName: string
  readonly at: number
  /** The object of a story, and what the apply changes in it: its bodies instead of made-up ones. */
  readonly object?: StoredObject
  readonly change?: ObjectChange
}

/** `calicoctl apply` of an object that already exists: create → 409, get, update (PUT). */
export function calicoctlApply(ctx: GenerationContext, w: CalicoctlApply): ApiRequest[] {
  const {rng, cluster} = ctx
  const namespace = CALICO_KINDS[w.resource]!.namespaced ? w.namespace : undefined
  const path = collectionPath('crd.projectcalico.org', 'v1', w.resource, namespace)
  const ref: ObjectRef = {resource: w.resource, ...(namespace ? {namespace} : {}), name: w.storageName, apiGroup: 'crd.projectcalico.org', apiVersion: 'v1'}
  const spec = calicoSpec(w.resource, w.storageName, namespace, rng.int(0, 9))
  const body = w.object ? w.object.toCreate({...w.change}) : calicoObject(w.resource, w.storageName, namespace, spec)
  const conflict: ApiRequest = {
    auditID: ctx.auditID(),
    actor: w.actor,
    verb: 'create',
    requestURI: path,
    objectRef: ref,
    level: 'RequestResponse',
    receivedAt: w.at,
    completedAt: w.at + rng.int(3_000, 8_000),
    code: 409,
    failure: {reason: 'AlreadyExists', message: `${w.resource}.crd.projectcalico.org "${w.storageName}" already exists`, details: {name: w.storageName, group: 'crd.projectcalico.org', kind: w.resource}},
    requestObject: body,
    responseObject: {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: `${w.resource}.crd.projectcalico.org "${w.storageName}" already exists`, reason: 'AlreadyExists', details: {name: w.storageName, group: 'crd.projectcalico.org', kind: w.resource}, code: 409},
    stages: ['RequestReceived', 'ResponseComplete'],
  }
  const getAt = conflict.completedAt + rng.int(5_000, 15_000)
  const get = plainRequest(ctx, w.actor, 'get', `${path}/${w.storageName}`, ref, getAt, 200)
  // The random draws in the order they always came, so that logs made before stories stay the same.
  const uid = w.object ? undefined : cluster.uid()
  const before = uid === undefined ? undefined : {uid, resourceVersion: ctx.nextRevision(), at: isoSeconds(w.at - 3 * 86_400_000_000)}
  const updateAt = get.completedAt + rng.int(5_000, 15_000)
  const auditID = ctx.auditID()
  const completedAt = updateAt + rng.int(4_000, 12_000)
  const bodies: BackingBodies = w.object
    ? storedBodies(ctx, w.object, 'update', w.change ?? {}, updateAt)
    : {uid, resourceVersion: before!.resourceVersion, requestObject: calicoObject(w.resource, w.storageName, namespace, spec, before), responseObject: calicoObject(w.resource, w.storageName, namespace, spec, {...before!, resourceVersion: ctx.nextRevision()})}
  const update: ApiRequest = {
    auditID,
    actor: w.actor,
    verb: 'update',
    requestURI: `${path}/${w.storageName}`,
    objectRef: {...ref, uid: bodies.uid, resourceVersion: bodies.resourceVersion},
    level: 'RequestResponse',
    receivedAt: updateAt,
    completedAt,
    code: 200,
    requestObject: bodies.requestObject,
    responseObject: bodies.responseObject,
    stages: ['RequestReceived', 'ResponseComplete'],
  }
  return [conflict, get, update]
}

export interface CalicoctlWrite {
  readonly actor: Actor
  readonly verb: 'create' | 'update' | 'delete'
  readonly resource: CalicoResource
  readonly object: StoredObject
  readonly change?: ObjectChange
  readonly at: number
}

/**
 * `calicoctl create`, `replace` or `label` (an update, after the get that read the object), or
 * `delete`, straight to the CRD as the user, logged with its bodies.
 */
export function calicoctlWrite(ctx: GenerationContext, w: CalicoctlWrite): ApiRequest[] {
  const {rng} = ctx
  const {name: storageName, namespace} = w.object.identity
  const path = collectionPath('crd.projectcalico.org', 'v1', w.resource, namespace)
  const ref: ObjectRef = {resource: w.resource, ...(namespace ? {namespace} : {}), name: storageName, apiGroup: 'crd.projectcalico.org', apiVersion: 'v1'}
  const out: ApiRequest[] = []
  let at = w.at
  if (w.verb === 'update') {
    const get = plainRequest(ctx, w.actor, 'get', `${path}/${storageName}`, ref, at, 200)
    out.push(get)
    at = get.completedAt + rng.int(5_000, 15_000)
  }
  const bodies = storedBodies(ctx, w.object, w.verb, w.change ?? {}, at)
  out.push({
    auditID: ctx.auditID(),
    actor: w.actor,
    verb: w.verb,
    requestURI: w.verb === 'create' ? path : `${path}/${storageName}`,
    objectRef: {...ref, ...(w.verb === 'update' ? {uid: bodies.uid, resourceVersion: bodies.resourceVersion} : {})},
    level: 'RequestResponse',
    receivedAt: at,
    completedAt: at + rng.int(4_000, 12_000),
    code: w.verb === 'create' ? 201 : 200,
    requestObject: bodies.requestObject,
    responseObject: bodies.responseObject,
    stages: ['RequestReceived', 'ResponseComplete'],
  })
  return out
}

export interface KubernetesPolicyWrite {
  readonly actor: Actor
  readonly impersonate?: UserInfo
  readonly verb: WriteVerb
  /** networking.k8s.io networkpolicies unless set. */
  readonly api?: {readonly group: string; readonly version: string; readonly resource: string; readonly kind: string; readonly namespaced: boolean}
  readonly namespace?: string
  readonly name?: string
  readonly at: number
  readonly outcome?: 'denied' | 'invalid'
  readonly dryRun?: boolean
  readonly fieldManager?: string
  readonly eventVersion?: 'audit.k8s.io/v1beta1'
}

const NETWORK_POLICY_API = {group: 'networking.k8s.io', version: 'v1', resource: 'networkpolicies', kind: 'NetworkPolicy', namespaced: true}
export const ADMIN_NETWORK_POLICY_API = {group: 'policy.networking.k8s.io', version: 'v1alpha1', resource: 'adminnetworkpolicies', kind: 'AdminNetworkPolicy', namespaced: false}

function kubernetesSpec(kind: string, invalid: boolean): Record<string, unknown> {
  if (kind === 'AdminNetworkPolicy') {
    return {priority: 10, subject: {namespaces: {matchLabels: {'kubernetes.io/metadata.name': 'sandbox'}}}, egress: [{name: 'deny-to-internet', action: 'Deny', to: [{networks: ['0.0.0.0/0']}]}]}
  }
  return {
    podSelector: {matchLabels: {app: 'web'}},
    policyTypes: ['Ingress'],
    ingress: [{from: [{podSelector: {matchLabels: {app: 'gateway'}}}], ports: [{protocol: 'TCP', port: invalid ? 70000 : 8080}]}],
  }
}

export interface KubernetesObjectWrite {
  readonly actor: Actor
  readonly verb: 'create' | 'update' | 'patch' | 'delete'
  readonly object: StoredObject
  /** What the write changes in the stored object. */
  readonly change?: ObjectChange
  /** A patch's body as sent (merge patch object, or JSON patch list). */
  readonly patch?: unknown
  readonly fieldManager?: string
  readonly at: number
}

/** A write to one networking.k8s.io NetworkPolicy of a story, at RequestResponse: what was sent, what was stored. */
export function kubernetesObjectWrite(ctx: GenerationContext, w: KubernetesObjectWrite): ApiRequest {
  const {rng} = ctx
  const {name, namespace} = w.object.identity
  const api = NETWORK_POLICY_API
  const path = collectionPath(api.group, api.version, api.resource, namespace) + (w.verb === 'create' ? '' : `/${name}`)
  const query = queryString([w.verb !== 'delete' && `fieldManager=${w.fieldManager ?? 'kubectl-client-side-apply'}`, (w.verb === 'create' || w.verb === 'update') && 'fieldValidation=Strict'])
  const change = w.change ?? {}
  let requestObject: unknown
  let responseObject: unknown
  let objectRef: ObjectRef = {resource: api.resource, namespace, name, apiGroup: api.group, apiVersion: api.version}
  if (w.verb === 'delete') {
    requestObject = {kind: 'DeleteOptions', apiVersion: `${api.group}/${api.version}`, propagationPolicy: 'Background'}
    responseObject = {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: {name, group: api.group, kind: api.resource, uid: w.object.storedUid}}
  } else {
    requestObject = w.verb === 'create' ? w.object.toCreate(change) : w.verb === 'update' ? w.object.toReplace(change) : w.patch
    // The apiserver takes objectRef's uid and resourceVersion from a whole object sent to replace one.
    if (w.verb === 'update') objectRef = {...objectRef, uid: w.object.storedUid, resourceVersion: w.object.storedResourceVersion}
    responseObject = w.object.store(ctx, w.at, change)
  }
  return {
    auditID: ctx.auditID(),
    actor: w.actor,
    verb: w.verb,
    requestURI: path + query,
    objectRef,
    level: 'RequestResponse',
    receivedAt: w.at,
    completedAt: w.at + rng.int(6_000, 30_000),
    code: w.verb === 'create' ? 201 : 200,
    requestObject,
    responseObject,
    stages: ['RequestReceived', 'ResponseComplete'],
  }
}

/** A write to a Kubernetes network-policy API (networking.k8s.io, policy.networking.k8s.io). */
export function kubernetesPolicyWrite(ctx: GenerationContext, w: KubernetesPolicyWrite): ApiRequest {
  const {rng, cluster} = ctx
  const api = w.api ?? NETWORK_POLICY_API
  const namespace = api.namespaced ? w.namespace : undefined
  const named = w.verb !== 'create' && w.verb !== 'deletecollection'
  const path = collectionPath(api.group, api.version, api.resource, namespace) + (named ? `/${w.name}` : '')
  const fieldManager = w.fieldManager ?? 'kubectl-client-side-apply'
  const query = queryString([
    w.dryRun && 'dryRun=All',
    (w.verb === 'create' || w.verb === 'patch') && `fieldManager=${fieldManager}`,
    w.verb === 'patch' && fieldManager !== 'kubectl-client-side-apply' && 'force=true',
    (w.verb === 'create' || w.verb === 'patch') && 'fieldValidation=Strict',
  ])
  const uid = cluster.uid()
  const invalid = w.outcome === 'invalid'
  const spec = kubernetesSpec(api.kind, invalid)
  const object = (stored: boolean): Record<string, unknown> => ({
    kind: api.kind,
    apiVersion: `${api.group}/${api.version}`,
    metadata: {
      name: w.name,
      ...(namespace ? {namespace} : {}),
      ...(stored ? {uid, resourceVersion: ctx.nextRevision(), generation: 1, creationTimestamp: isoSeconds(w.at)} : {}),
    },
    spec,
  })
  const status = (failure: Failure, code: number): Record<string, unknown> => ({kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: failure.message, reason: failure.reason, details: failure.details, code})

  let code = w.verb === 'create' ? 201 : 200
  let failure: Failure | undefined
  let requestObject: unknown
  let responseObject: unknown
  if (w.outcome === 'denied') {
    code = 403
    failure = deniedFailure(w.impersonate ? {...w.actor, user: w.impersonate} : w.actor, w.verb, api.resource, api.group, w.name, namespace)
    responseObject = status(failure, code)
  } else if (invalid) {
    code = 422
    failure = {
      reason: 'Invalid',
      message: `${api.kind}.${api.group} "${w.name}" is invalid: spec.ingress[0].ports[0].port: Invalid value: 70000: must be between 1 and 65535, inclusive`,
      details: {name: w.name, group: api.group, kind: api.kind, causes: [{reason: 'FieldValueInvalid', message: 'Invalid value: 70000: must be between 1 and 65535, inclusive', field: 'spec.ingress[0].ports[0].port'}]},
    }
    requestObject = object(false)
    responseObject = status(failure, code)
  } else if (w.verb === 'create') {
    requestObject = object(false)
    responseObject = object(true)
  } else if (w.verb === 'patch' || w.verb === 'update') {
    requestObject = fieldManager === 'kubectl-client-side-apply' ? {spec: {ingress: spec.ingress}} : object(false)
    responseObject = object(true)
  } else if (w.verb === 'delete') {
    requestObject = {kind: 'DeleteOptions', apiVersion: `${api.group}/${api.version}`, propagationPolicy: 'Background'}
    responseObject = {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details: {name: w.name, group: api.group, kind: api.resource, uid}}
  } else {
    requestObject = {kind: 'DeleteOptions', apiVersion: `${api.group}/${api.version}`, propagationPolicy: 'Background'}
    responseObject = {kind: `${api.kind}List`, apiVersion: `${api.group}/${api.version}`, metadata: {resourceVersion: ctx.nextRevision()}, items: [object(true)]}
  }

  // The body names the object on create, so the apiserver fills objectRef.name from it.
  const refName = w.verb === 'deletecollection' || (w.verb === 'create' && w.outcome === 'denied') ? undefined : w.name
  return {
    auditID: ctx.auditID(),
    actor: w.actor,
    ...(w.impersonate ? {impersonatedUser: w.impersonate} : {}),
    verb: w.verb,
    requestURI: path + query,
    objectRef: {
      resource: api.resource,
      ...(namespace ? {namespace} : {}),
      ...(refName ? {name: refName} : {}),
      // uid comes from the request body: only a full-object update carries it.
      ...(w.verb === 'update' && !w.outcome ? {uid} : {}),
      apiGroup: api.group,
      apiVersion: api.version,
    },
    level: 'RequestResponse',
    receivedAt: w.at,
    completedAt: w.at + rng.int(6_000, 30_000),
    code,
    ...(failure ? {failure} : {}),
    ...(requestObject === undefined ? {} : {requestObject}),
    responseObject,
    stages: ['RequestReceived', 'ResponseComplete'],
    ...(w.eventVersion ? {eventVersion: w.eventVersion} : {}),
  }
}
