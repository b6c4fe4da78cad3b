// Writes examples/audit.log (three hours of a kubeadm + Calico cluster, with the policy changes
// listed in examples/README.md) and examples/tiny.log (a minute, for start-up measurements).
// Deterministic: the same seed gives the same bytes.
//
//   npx tsx examples/generate.ts [OUTPUT_DIR]

import {once} from 'node:events'
import {createWriteStream} from 'node:fs'
import {mkdir} from 'node:fs/promises'
import path from 'node:path'
import {finished} from 'node:stream/promises'
import {fileURLToPath} from 'node:url'

import type {ApiRequest} from './lib/audit-event.js'
import {impersonated} from './lib/cluster.js'
import {GenerationContext} from './lib/context.js'
import {ADMIN_NETWORK_POLICY_API, calicoApiWrite, calicoctlApply, kubernetesPolicyWrite} from './lib/policy-writes.js'
import type {ScheduledRequests, Timeline} from './lib/timeline.js'
import {timelineLines} from './lib/timeline.js'

const DAY = '2026-11-24'
const us = (clock: string): number => Date.parse(`${DAY}T${clock}Z`) * 1000

type Step = readonly [clock: string, story: string, build: ScheduledRequests['build']]

/** The policy changes (and near misses) in the example log, in the order they happen. */
function exampleSteps(ctx: GenerationContext): Step[] {
  const {alice, bob, carol, dave, eve, admin} = ctx.cluster.people
  const {argocd, namespaceController, calicoKubeControllers} = ctx.cluster.controllers
  const one = (req: ApiRequest): ApiRequest[] => [req]
  return [
    ['07:12:04.218', 'alice creates tier security (aggregated API)', (c, at) => calicoApiWrite(c, {actor: alice, verb: 'create', resource: 'tiers', name: 'security', at})],
    ['07:15:31.907', 'alice creates GlobalNetworkPolicy security.allow-dns', (c, at) => calicoApiWrite(c, {actor: alice, verb: 'create', resource: 'globalnetworkpolicies', name: 'security.allow-dns', at})],
    ['07:20:12.554', 'alice creates Calico NetworkPolicy shop/allow-frontend (default tier)', (c, at) => calicoApiWrite(c, {actor: alice, verb: 'create', resource: 'networkpolicies', namespace: 'shop', name: 'allow-frontend', at})],
    ['07:26:48.031', 'alice creates StagedGlobalNetworkPolicy security.block-legacy', (c, at) => calicoApiWrite(c, {actor: alice, verb: 'create', resource: 'stagedglobalnetworkpolicies', name: 'security.block-legacy', at})],
    ['07:40:09.660', 'alice edits security.allow-dns (kubectl apply: patch)', (c, at) => calicoApiWrite(c, {actor: alice, verb: 'patch', resource: 'globalnetworkpolicies', name: 'security.allow-dns', at})],
    ['07:52:27.114', 'calico-kube-controllers updates tiers/security/status (subresource)', (c, at) => calicoApiWrite(c, {actor: calicoKubeControllers, verb: 'update', resource: 'tiers', name: 'security', subresource: 'status', at})],
    ['08:05:43.376', 'bob tries to delete security.allow-dns: 403', (c, at) => calicoApiWrite(c, {actor: bob, verb: 'delete', resource: 'globalnetworkpolicies', name: 'security.allow-dns', denied: true, at})],
    ['08:10:02.829', 'bob creates NetworkPolicy shop/allow-web', (c, at) => one(kubernetesPolicyWrite(c, {actor: bob, verb: 'create', namespace: 'shop', name: 'allow-web', at}))],
    ['08:12:40.105', 'bob edits shop/allow-web (patch)', (c, at) => one(kubernetesPolicyWrite(c, {actor: bob, verb: 'patch', namespace: 'shop', name: 'allow-web', at}))],
    ['08:14:55.472', 'bob dry-runs shop/deny-all (dryRun=All)', (c, at) => one(kubernetesPolicyWrite(c, {actor: bob, verb: 'create', namespace: 'shop', name: 'deny-all', dryRun: true, at}))],
    ['08:20:18.993', 'bob creates shop/bad-policy: 422 invalid', (c, at) => one(kubernetesPolicyWrite(c, {actor: bob, verb: 'create', namespace: 'shop', name: 'bad-policy', outcome: 'invalid', at}))],
    ['08:30:37.244', 'kubernetes-admin, impersonating carol, deletes payments/legacy-allow-all', (c, at) => one(kubernetesPolicyWrite(c, {actor: admin, impersonate: impersonated(carol), verb: 'delete', namespace: 'payments', name: 'legacy-allow-all', at}))],
    ['08:45:11.580', 'Argo CD applies monitoring/allow-prometheus (server-side apply: patch)', (c, at) => one(kubernetesPolicyWrite(c, {actor: argocd, verb: 'patch', namespace: 'monitoring', name: 'allow-prometheus', fieldManager: 'argocd-controller', at}))],
    ['09:01:26.317', 'dave runs calicoctl apply on default.deny-egress: create 409, get, update', (c, at) => calicoctlApply(c, {actor: dave, resource: 'globalnetworkpolicies', storageName: 'default.deny-egress', at})],
    ['09:10:50.758', 'carol creates GlobalNetworkSet threat-feed-ips', (c, at) => calicoApiWrite(c, {actor: carol, verb: 'create', resource: 'globalnetworksets', name: 'threat-feed-ips', at})],
    ['09:14:03.402', 'alice edits NetworkSet shop/partners (patch)', (c, at) => calicoApiWrite(c, {actor: alice, verb: 'patch', resource: 'networksets', namespace: 'shop', name: 'partners', at})],
    ['09:15:29.861', 'Argo CD applies payments/allow-api (patch)', (c, at) => one(kubernetesPolicyWrite(c, {actor: argocd, verb: 'patch', namespace: 'payments', name: 'allow-api', fieldManager: 'argocd-controller', at}))],
    ['09:25:44.126', 'carol creates AdminNetworkPolicy deny-internet-egress', (c, at) => one(kubernetesPolicyWrite(c, {actor: carol, verb: 'create', api: ADMIN_NETWORK_POLICY_API, name: 'deny-internet-egress', at}))],
    ['09:31:07.690', 'namespace sandbox deleted: deletecollection of its NetworkPolicies', (c, at) => one(kubernetesPolicyWrite(c, {actor: namespaceController, verb: 'deletecollection', namespace: 'sandbox', at}))],
    ['09:31:07.912', 'namespace sandbox deleted: deletecollection of its Calico NetworkPolicies (one backing delete)', (c, at) => calicoApiWrite(c, {actor: namespaceController, verb: 'deletecollection', resource: 'networkpolicies', namespace: 'sandbox', members: ['allow-all'], at})],
    ['09:38:22.045', 'carol deletes GlobalNetworkPolicy allow-legacy (default tier)', (c, at) => calicoApiWrite(c, {actor: carol, verb: 'delete', resource: 'globalnetworkpolicies', name: 'allow-legacy', at})],
    ['09:47:15.300', 'eve deletes payments/old-deny (written as audit.k8s.io/v1beta1)', (c, at) => one({...kubernetesPolicyWrite(c, {actor: eve, verb: 'delete', namespace: 'payments', name: 'old-deny', eventVersion: 'audit.k8s.io/v1beta1', at}), stages: ['ResponseComplete']})],
  ]
}

function exampleTimeline(ctx: GenerationContext): Timeline {
  return {
    start: us('07:00:00.000'),
    end: us('10:00:00.000'),
    meanNoiseGap: 2_400_000,
    scheduled: exampleSteps(ctx).map(([clock, , build]) => ({at: us(clock), build})),
  }
}

function tinyTimeline(ctx: GenerationContext): Timeline {
  const {bob, alice} = ctx.cluster.people
  return {
    start: us('10:00:00.000'),
    end: us('10:01:00.000'),
    meanNoiseGap: 2_000_000,
    scheduled: [
      {at: us('10:00:21.512'), build: (c, at) => [kubernetesPolicyWrite(c, {actor: bob, verb: 'create', namespace: 'shop', name: 'allow-checkout', at})]},
      {at: us('10:00:40.077'), build: (c, at) => calicoApiWrite(c, {actor: alice, verb: 'patch', resource: 'globalnetworkpolicies', name: 'security.allow-dns', at})},
    ],
  }
}

async function writeLog(file: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(file)
  for (const line of lines) {
    if (!out.write(`${line}\n`)) await once(out, 'drain')
  }
  out.end()
  await finished(out)
}

export async function generateExamples(outputDir: string): Promise<void> {
  await mkdir(outputDir, {recursive: true})
  const example = new GenerationContext(20261124)
  await writeLog(path.join(outputDir, 'audit.log'), timelineLines(example, exampleTimeline(example)))
  const tiny = new GenerationContext(7)
  await writeLog(path.join(outputDir, 'tiny.log'), timelineLines(tiny, tinyTimeline(tiny)))
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await generateExamples(process.argv[2] ?? path.dirname(fileURLToPath(import.meta.url)))
}
