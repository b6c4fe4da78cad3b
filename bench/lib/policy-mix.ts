// A random policy write for the benchmark logs, drawn from the same kinds of requests as the
// example log (examples/README.md) in proportions a busy cluster might show.

import type {ApiRequest} from '../../examples/lib/audit-event.js'
import {impersonated} from '../../examples/lib/cluster.js'
import type {GenerationContext} from '../../examples/lib/context.js'
import type {CalicoResource} from '../../examples/lib/policy-writes.js'
import {
  ADMIN_NETWORK_POLICY_API,
  calicoApiWrite,
  calicoctlApply,
  calicoStorageName,
  kubernetesPolicyWrite,
} from '../../examples/lib/policy-writes.js'

type Builder = (ctx: GenerationContext, at: number) => ApiRequest[]

const NAMESPACES = ['shop', 'payments', 'monitoring', 'default']
const CALICO_TARGETS: readonly (readonly [CalicoResource, readonly string[]])[] = [
  [
    'globalnetworkpolicies',
    [
      'security.allow-dns',
      'security.deny-egress-external',
      'platform.allow-monitoring',
      'allow-cluster-internal',
      'security.quarantine',
    ],
  ],
  ['networkpolicies', ['allow-frontend', 'allow-gateway', 'platform.allow-scrape', 'deny-all']],
  ['stagedglobalnetworkpolicies', ['security.block-legacy', 'platform.tighten-egress']],
  ['tiers', ['security', 'platform']],
  ['globalnetworksets', ['threat-feed-ips', 'office-ranges']],
  ['networksets', ['partners', 'payment-providers']],
]
const KUBERNETES_NAMES = ['allow-web', 'deny-all', 'allow-api', 'allow-metrics', 'default-deny-ingress']

const calicoByPerson: Builder = (ctx, at) => {
  const {alice, carol, admin} = ctx.cluster.people
  const [resource, names] = ctx.rng.pick(CALICO_TARGETS)
  const verb = ctx.rng.weighted([
    ['create', 2],
    ['patch', 5],
    ['delete', 1],
  ] as const)
  return calicoApiWrite(ctx, {
    actor: ctx.rng.pick([alice, alice, carol, admin]),
    verb,
    resource,
    namespace: ctx.rng.pick(NAMESPACES),
    name: ctx.rng.pick(names),
    at,
  })
}

const kubernetesByPersonOrGitOps: Builder = (ctx, at) => {
  const {bob, eve, carol, admin} = ctx.cluster.people
  const gitops = ctx.rng.chance(0.4)
  const actor = gitops ? ctx.cluster.controllers.argocd : ctx.rng.pick([bob, eve, carol])
  const verb = gitops
    ? 'patch'
    : ctx.rng.weighted([
        ['create', 2],
        ['patch', 4],
        ['delete', 1],
      ] as const)
  const impersonate = !gitops && ctx.rng.chance(0.05) ? impersonated(actor) : undefined
  return [
    kubernetesPolicyWrite(ctx, {
      actor: impersonate ? admin : actor,
      impersonate,
      verb,
      namespace: ctx.rng.pick(NAMESPACES),
      name: ctx.rng.pick(KUBERNETES_NAMES),
      fieldManager: gitops ? 'argocd-controller' : undefined,
      at,
    }),
  ]
}

const calicoctl: Builder = (ctx, at) => {
  const [resource, names] = ctx.rng.pick(CALICO_TARGETS.slice(0, 2))
  const name = ctx.rng.pick(names)
  const tier = name.includes('.') ? name.slice(0, name.indexOf('.')) : 'default'
  return calicoctlApply(ctx, {
    actor: ctx.cluster.people.dave,
    resource,
    namespace: ctx.rng.pick(NAMESPACES),
    storageName: calicoStorageName(resource, name, tier),
    at,
  })
}

const denied: Builder = (ctx, at) => {
  const {bob, eve} = ctx.cluster.people
  if (ctx.rng.chance(0.5)) {
    const [resource, names] = ctx.rng.pick(CALICO_TARGETS)
    return calicoApiWrite(ctx, {
      actor: ctx.rng.pick([bob, eve]),
      verb: ctx.rng.pick(['delete', 'patch'] as const),
      resource,
      namespace: ctx.rng.pick(NAMESPACES),
      name: ctx.rng.pick(names),
      denied: true,
      at,
    })
  }
  return [
    kubernetesPolicyWrite(ctx, {
      actor: eve,
      verb: 'delete',
      namespace: 'shop',
      name: ctx.rng.pick(KUBERNETES_NAMES),
      outcome: 'denied',
      at,
    }),
  ]
}

const invalid: Builder = (ctx, at) => [
  kubernetesPolicyWrite(ctx, {
    actor: ctx.cluster.people.bob,
    verb: 'create',
    namespace: 'shop',
    name: 'bad-policy',
    outcome: 'invalid',
    at,
  }),
]

const dryRun: Builder = (ctx, at) => [
  kubernetesPolicyWrite(ctx, {
    actor: ctx.cluster.people.bob,
    verb: 'create',
    namespace: ctx.rng.pick(NAMESPACES),
    name: ctx.rng.pick(KUBERNETES_NAMES),
    dryRun: true,
    at,
  }),
]

const tierStatus: Builder = (ctx, at) =>
  calicoApiWrite(ctx, {
    actor: ctx.cluster.controllers.calicoKubeControllers,
    verb: 'update',
    resource: 'tiers',
    name: ctx.rng.pick(['security', 'platform', 'default']),
    subresource: 'status',
    at,
  })

const adminNetworkPolicy: Builder = (ctx, at) => [
  kubernetesPolicyWrite(ctx, {
    actor: ctx.cluster.people.carol,
    verb: ctx.rng.pick(['create', 'patch'] as const),
    api: ADMIN_NETWORK_POLICY_API,
    name: 'deny-internet-egress',
    at,
  }),
]

const namespaceTeardown: Builder = (ctx, at) => {
  const controller = ctx.cluster.controllers.namespaceController
  return [
    kubernetesPolicyWrite(ctx, {actor: controller, verb: 'deletecollection', namespace: 'sandbox', at}),
    ...calicoApiWrite(ctx, {
      actor: controller,
      verb: 'deletecollection',
      resource: 'networkpolicies',
      namespace: 'sandbox',
      members: ['allow-all'],
      at: at + 200_000,
    }),
  ]
}

const MIX: readonly (readonly [Builder, number])[] = [
  [calicoByPerson, 35],
  [kubernetesByPersonOrGitOps, 30],
  [calicoctl, 8],
  [denied, 8],
  [invalid, 4],
  [dryRun, 6],
  [tierStatus, 5],
  [adminNetworkPolicy, 3],
  [namespaceTeardown, 1],
]

export function randomPolicyWrite(ctx: GenerationContext, at: number): ApiRequest[] {
  return ctx.rng.weighted(MIX)(ctx, at)
}
