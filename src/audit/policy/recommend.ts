// The policy `doctor --print-policy` recommends: every write to a watched resource in full
// (RequestResponse), sensitive bodies kept out, high-volume noise dropped, the rest at Metadata.
import {Document, isMap, isScalar, isSeq, visit} from 'yaml'

import {WATCHED_RESOURCES, WRITE_VERBS} from '../catalog.js'

interface RecommendedRule {
  readonly comment: string
  readonly rule: Record<string, unknown>
}

function watchedByGroup(): Array<{group: string; resources: string[]}> {
  const groups = new Map<string, string[]>()
  for (const {apiGroup, resource} of WATCHED_RESOURCES)
    groups.set(apiGroup, [...(groups.get(apiGroup) ?? []), resource])
  return [...groups].map(([group, resources]) => ({group, resources}))
}

function recommendedRules(): RecommendedRule[] {
  return [
    {
      comment:
        ' Network policy, tier, network set and host endpoint writes, in full, in every group that\n' +
        ' serves them. First, so that no later rule can lower them.',
      rule: {level: 'RequestResponse', verbs: [...WRITE_VERBS], resources: watchedByGroup()},
    },
    {
      comment: ' Bodies of these hold credentials and private data: record who and when only (CIS 3.2.2).',
      rule: {
        level: 'Metadata',
        resources: [
          {group: '', resources: ['secrets', 'configmaps', 'serviceaccounts/token']},
          {group: 'authentication.k8s.io', resources: ['tokenreviews']},
        ],
      },
    },
    {
      comment: ' High-volume, low-value: leader-election leases, events, endpoint slices.',
      rule: {
        level: 'None',
        resources: [
          {group: 'coordination.k8s.io', resources: ['leases']},
          {group: '', resources: ['events']},
          {group: 'events.k8s.io', resources: ['events']},
          {group: 'discovery.k8s.io', resources: ['endpointslices']},
        ],
      },
    },
    {
      comment: ' Node and pod status updates from the kubelets.',
      rule: {
        level: 'None',
        userGroups: ['system:nodes'],
        verbs: ['update', 'patch'],
        resources: [{group: '', resources: ['nodes/status', 'pods/status']}],
      },
    },
    {
      comment: ' Health and version probes.',
      rule: {level: 'None', nonResourceURLs: ['/healthz*', '/livez*', '/readyz*', '/version']},
    },
    {comment: ' Everything else: who did what, when, without bodies.', rule: {level: 'Metadata'}},
  ]
}

/** The recommended policy as a plain object (what -o json prints). */
export function recommendedPolicy(): Record<string, unknown> {
  return {
    apiVersion: 'audit.k8s.io/v1',
    kind: 'Policy',
    // The RequestReceived event carries nothing the ResponseComplete event lacks: it only doubles the log.
    omitStages: ['RequestReceived'],
    omitManagedFields: true,
    rules: recommendedRules().map((r) => r.rule),
  }
}

/** The recommended policy as YAML, with comments that say why each rule is there. */
export function recommendedPolicyYaml(): string {
  const rules = recommendedRules()
  const document = new Document(recommendedPolicy())
  document.commentBefore =
    ' Audit policy recommended by kubectl-audit: records every change to network policies and tiers\n' +
    ' with its request and response bodies. Use with --audit-policy-file on kube-apiserver.'
  const sequence = document.get('rules')
  if (isSeq(sequence)) {
    sequence.items.forEach((item, i) => {
      if (isMap(item)) item.commentBefore = rules[i].comment
    })
  }
  // Short lists of words read best on one line; the long resource lists stay one per line.
  visit(document, {
    Seq(_, node) {
      if (node.items.length <= 5 && node.items.every((item) => isScalar(item))) node.flow = true
    },
  })
  return document.toString({lineWidth: 0, flowCollectionPadding: false})
}
