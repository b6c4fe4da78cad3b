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
import {ADMIN_NETWORK_POLICY_API, calicoApiWrite, calicoctlApply, calicoctlWrite, kubernetesObjectWrite, kubernetesPolicyWrite} from './lib/policy-writes.js'
import {StoredObject} from './lib/stored-object.js'
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
  // Four objects followed through a realistic sequence each (the what-changed tests derive their
  // diffs and rule lines from these specs by hand).
  const tier = new StoredObject({apiVersion: 'crd.projectcalico.org/v1', kind: 'Tier', name: 'security', v3Name: 'security'})
  const allowDns = new StoredObject({apiVersion: 'crd.projectcalico.org/v1', kind: 'GlobalNetworkPolicy', name: 'security.allow-dns', v3Name: 'security.allow-dns'})
  const allowWeb = new StoredObject({apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', name: 'allow-web', namespace: 'shop'})
  const denyEgress = new StoredObject({apiVersion: 'crd.projectcalico.org/v1', kind: 'GlobalNetworkPolicy', name: 'default.deny-egress', v3Name: 'deny-egress'})
  const calico = (verb: 'create' | 'patch' | 'update' | 'delete', object: StoredObject, resource: 'tiers' | 'globalnetworkpolicies', change: Parameters<StoredObject['store']>[2], fieldManager?: string): Step[2] =>
    (c, at) => calicoApiWrite(c, {actor: alice, verb, resource, name: object.identity.v3Name, object, change, at, ...(fieldManager ? {query: [`fieldManager=${fieldManager}`, ...(verb === 'patch' ? [] : ['fieldValidation=Strict'])]} : {})})
  return [
    ['07:12:04.218', 'alice creates tier security (aggregated API)', calico('create', tier, 'tiers', {spec: TIER_SPEC})],
    ['07:15:31.907', 'alice creates GlobalNetworkPolicy security.allow-dns', calico('create', allowDns, 'globalnetworkpolicies', {spec: allowDnsSpec(9153, false)})],
    ['07:20:12.554', 'alice creates Calico NetworkPolicy shop/allow-frontend (default tier)', (c, at) => calicoApiWrite(c, {actor: alice, verb: 'create', resource: 'networkpolicies', namespace: 'shop', name: 'allow-frontend', at})],
    ['07:26:48.031', 'alice creates StagedGlobalNetworkPolicy security.block-legacy', (c, at) => calicoApiWrite(c, {actor: alice, verb: 'create', resource: 'stagedglobalnetworkpolicies', name: 'security.block-legacy', at})],
    ['07:40:09.660', 'alice labels security.allow-dns team=netops (kubectl label: patch)', calico('patch', allowDns, 'globalnetworkpolicies', {labels: {team: 'netops'}}, 'kubectl-label')],
    ['07:44:52.310', 'alice moves the DNS metrics port of security.allow-dns from 9153 to 9253 (kubectl replace: update)', calico('update', allowDns, 'globalnetworkpolicies', {spec: allowDnsSpec(9253, false)}, 'kubectl-replace')],
    ['07:48:17.802', 'alice opens DNS over TCP to 0.0.0.0/0 in security.allow-dns (kubectl patch)', calico('patch', allowDns, 'globalnetworkpolicies', {spec: allowDnsSpec(9253, true)}, 'kubectl-patch')],
    ['07:52:27.114', 'calico-kube-controllers updates tiers/security/status (subresource)', (c, at) => calicoApiWrite(c, {actor: calicoKubeControllers, verb: 'update', resource: 'tiers', name: 'security', subresource: 'status', at})],
    ['08:05:43.376', 'bob tries to delete security.allow-dns: 403', (c, at) => calicoApiWrite(c, {actor: bob, verb: 'delete', resource: 'globalnetworkpolicies', name: 'security.allow-dns', denied: true, at})],
    ['08:10:02.829', 'bob creates NetworkPolicy shop/allow-web (kubectl apply)', (c, at) => one(kubernetesObjectWrite(c, {actor: bob, verb: 'create', object: allowWeb, change: {spec: allowWebSpec(8080, false)}, at}))],
    ['08:12:40.105', 'bob labels shop/allow-web team=web (kubectl label: patch)', (c, at) => one(kubernetesObjectWrite(c, {actor: bob, verb: 'patch', object: allowWeb, change: {labels: {team: 'web'}}, patch: {metadata: {labels: {team: 'web'}}}, fieldManager: 'kubectl-label', at}))],
    ['08:14:55.472', 'bob dry-runs shop/deny-all (dryRun=All)', (c, at) => one(kubernetesPolicyWrite(c, {actor: bob, verb: 'create', namespace: 'shop', name: 'deny-all', dryRun: true, at}))],
    ['08:16:31.664', 'bob moves shop/allow-web from port 8080 to 8443 (kubectl replace: update)', (c, at) => one(kubernetesObjectWrite(c, {actor: bob, verb: 'update', object: allowWeb, change: {spec: allowWebSpec(8443, false)}, fieldManager: 'kubectl-replace', at}))],
    ['08:20:18.993', 'bob creates shop/bad-policy: 422 invalid', (c, at) => one(kubernetesPolicyWrite(c, {actor: bob, verb: 'create', namespace: 'shop', name: 'bad-policy', outcome: 'invalid', at}))],
    ['08:22:47.219', 'bob adds an ingress rule to shop/allow-web: tcp/443 from 0.0.0.0/0 (kubectl patch --type=json)', (c, at) => one(kubernetesObjectWrite(c, {actor: bob, verb: 'patch', object: allowWeb, change: {spec: allowWebSpec(8443, true)}, patch: [{op: 'add', path: '/spec/ingress/-', value: WORLD_HTTPS_RULE}], fieldManager: 'kubectl-patch', at}))],
    ['08:26:09.551', 'bob deletes shop/allow-web', (c, at) => one(kubernetesObjectWrite(c, {actor: bob, verb: 'delete', object: allowWeb, at}))],
    ['08:30:37.244', 'kubernetes-admin, impersonating carol, deletes payments/legacy-allow-all', (c, at) => one(kubernetesPolicyWrite(c, {actor: admin, impersonate: impersonated(carol), verb: 'delete', namespace: 'payments', name: 'legacy-allow-all', at}))],
    ['08:33:40.906', 'alice moves tier security ahead: order 100 to 50 (kubectl patch)', calico('patch', tier, 'tiers', {spec: {order: 50}}, 'kubectl-patch')],
    ['08:40:12.470', 'dave creates GlobalNetworkPolicy default.deny-egress with calicoctl (straight to the CRD)', (c, at) => calicoctlWrite(c, {actor: dave, verb: 'create', resource: 'globalnetworkpolicies', object: denyEgress, change: {spec: denyEgressSpec(5432, false)}, at})],
    ['08:45:11.580', 'Argo CD applies monitoring/allow-prometheus (server-side apply: patch)', (c, at) => one(kubernetesPolicyWrite(c, {actor: argocd, verb: 'patch', namespace: 'monitoring', name: 'allow-prometheus', fieldManager: 'argocd-controller', at}))],
    ['08:52:30.035', 'dave labels default.deny-egress team=payments (calicoctl label: get, update)', (c, at) => calicoctlWrite(c, {actor: dave, verb: 'update', resource: 'globalnetworkpolicies', object: denyEgress, change: {labels: {team: 'payments'}}, at})],
    ['09:01:26.317', 'dave moves the database port of default.deny-egress from 5432 to 6432 (calicoctl apply: create 409, get, update)', (c, at) => calicoctlApply(c, {actor: dave, resource: 'globalnetworkpolicies', storageName: 'default.deny-egress', object: denyEgress, change: {spec: denyEgressSpec(6432, false)}, at})],
    ['09:05:44.128', 'dave adds an ingress rule to default.deny-egress: tcp/22 from 0.0.0.0/0 (calicoctl replace: get, update)', (c, at) => calicoctlWrite(c, {actor: dave, verb: 'update', resource: 'globalnetworkpolicies', object: denyEgress, change: {spec: denyEgressSpec(6432, true)}, at})],
    ['09:10:50.758', 'carol creates GlobalNetworkSet threat-feed-ips', (c, at) => calicoApiWrite(c, {actor: carol, verb: 'create', resource: 'globalnetworksets', name: 'threat-feed-ips', at})],
    ['09:14:03.402', 'alice edits NetworkSet shop/partners (patch)', (c, at) => calicoApiWrite(c, {actor: alice, verb: 'patch', resource: 'networksets', namespace: 'shop', name: 'partners', at})],
    ['09:15:29.861', 'Argo CD applies payments/allow-api (patch)', (c, at) => one(kubernetesPolicyWrite(c, {actor: argocd, verb: 'patch', namespace: 'payments', name: 'allow-api', fieldManager: 'argocd-controller', at}))],
    ['09:25:44.126', 'carol creates AdminNetworkPolicy deny-internet-egress', (c, at) => one(kubernetesPolicyWrite(c, {actor: carol, verb: 'create', api: ADMIN_NETWORK_POLICY_API, name: 'deny-internet-egress', at}))],
    ['09:31:07.690', 'namespace sandbox deleted: deletecollection of its NetworkPolicies', (c, at) => one(kubernetesPolicyWrite(c, {actor: namespaceController, verb: 'deletecollection', namespace: 'sandbox', at}))],
    ['09:31:07.912', 'namespace sandbox deleted: deletecollection of its Calico NetworkPolicies (one backing delete)', (c, at) => calicoApiWrite(c, {actor: namespaceController, verb: 'deletecollection', resource: 'networkpolicies', namespace: 'sandbox', members: ['allow-all'], at})],
    ['09:38:22.045', 'carol deletes GlobalNetworkPolicy allow-legacy (default tier)', (c, at) => calicoApiWrite(c, {actor: carol, verb: 'delete', resource: 'globalnetworkpolicies', name: 'allow-legacy', at})],
    ['09:42:18.774', 'dave deletes default.deny-egress (calicoctl delete)', (c, at) => calicoctlWrite(c, {actor: dave, verb: 'delete', resource: 'globalnetworkpolicies', object: denyEgress, at})],
    ['09:47:15.300', 'eve deletes payments/old-deny (written as audit.k8s.io/v1beta1)', (c, at) => one({...kubernetesPolicyWrite(c, {actor: eve, verb: 'delete', namespace: 'payments', name: 'old-deny', eventVersion: 'audit.k8s.io/v1beta1', at}), stages: ['ResponseComplete']})],
    ['09:52:30.118', 'alice deletes security.allow-dns', calico('delete', allowDns, 'globalnetworkpolicies', {})],
  ]
}

const TIER_SPEC = {order: 100}

/** The DNS pods' policy: DNS from every endpoint, metrics to Prometheus; `worldTcp` opens DNS over TCP to every address. */
function allowDnsSpec(metricsPort: number, worldTcp: boolean): Record<string, unknown> {
  const dns = {action: 'Allow', destination: {ports: [53]}, protocol: 'UDP', source: {selector: 'all()'}}
  const metrics = {action: 'Allow', destination: {ports: [metricsPort]}, protocol: 'TCP', source: {namespaceSelector: "kubernetes.io/metadata.name == 'monitoring'", selector: "app == 'prometheus'"}}
  const world = {action: 'Allow', destination: {ports: [53]}, protocol: 'TCP', source: {nets: ['0.0.0.0/0']}}
  return {ingress: [dns, metrics, ...(worldTcp ? [world] : [])], order: 100, selector: "k8s-app == 'kube-dns'", tier: 'security', types: ['Ingress']}
}

const WORLD_HTTPS_RULE = {ports: [{protocol: 'TCP', port: 443}], from: [{ipBlock: {cidr: '0.0.0.0/0'}}]}

/** shop's web pods, reached by the gateway (in Go field order, as the apiserver returns it). */
function allowWebSpec(port: number, worldHttps: boolean): Record<string, unknown> {
  const gateway = {ports: [{protocol: 'TCP', port}], from: [{podSelector: {matchLabels: {app: 'gateway'}}}]}
  return {podSelector: {matchLabels: {app: 'web'}}, ingress: [gateway, ...(worldHttps ? [WORLD_HTTPS_RULE] : [])], policyTypes: ['Ingress']}
}

/** payments may reach DNS and its database, nothing else; `sshFromAnywhere` adds the ingress rule that opens SSH. */
function denyEgressSpec(databasePort: number, sshFromAnywhere: boolean): Record<string, unknown> {
  const dns = {action: 'Allow', destination: {namespaceSelector: "kubernetes.io/metadata.name == 'kube-system'", ports: [53], selector: "k8s-app == 'kube-dns'"}, protocol: 'UDP'}
  const database = {action: 'Allow', destination: {nets: ['10.0.40.0/24'], ports: [databasePort]}, protocol: 'TCP'}
  const rest = {action: 'Deny', destination: {nets: ['0.0.0.0/0']}}
  const ssh = {action: 'Allow', destination: {ports: [22]}, protocol: 'TCP', source: {nets: ['0.0.0.0/0']}}
  return {
    egress: [dns, database, rest],
    ...(sshFromAnywhere ? {ingress: [ssh]} : {}),
    order: 500,
    selector: "projectcalico.org/namespace == 'payments'",
    tier: 'default',
    types: sshFromAnywhere ? ['Ingress', 'Egress'] : ['Egress'],
  }
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
