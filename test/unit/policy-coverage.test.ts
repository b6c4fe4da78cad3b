// Coverage probing, pitfalls and the recommended policy.
import assert from 'node:assert/strict'

import {WATCHED_RESOURCES, WRITE_VERBS} from '../../src/audit/catalog.js'
import {computeCoverage} from '../../src/audit/policy/coverage.js'
import {isRejected, loadPolicy} from '../../src/audit/policy/load.js'
import {findPitfalls} from '../../src/audit/policy/pitfalls.js'
import {recommendedPolicyYaml} from '../../src/audit/policy/recommend.js'
import type {Policy} from '../../src/audit/policy/types.js'
import {summarizeWrites} from '../../src/doctor/describe.js'
import {UserError} from '../../src/errors.js'
import {parseResourceArg} from '../../src/flags/doctor.js'

const user = {name: 'jane', groups: ['system:authenticated']}
const knp = {apiGroup: 'networking.k8s.io', resource: 'networkpolicies', namespaced: true}
const tiers = {apiGroup: 'projectcalico.org', resource: 'tiers', namespaced: false}

function policy(rules: string): Policy {
  const loaded = loadPolicy(`apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n${rules}`, undefined)
  assert.ok(loaded.policy && !isRejected(loaded), JSON.stringify(loaded.problems))
  return loaded.policy
}

describe('coverage', () => {
  it('reports the lowest level over every namespace a rule names, and lists the others', () => {
    const p = policy(`- level: None\n  namespaces: [kube-system]\n- level: RequestResponse\n`)
    const [row] = computeCoverage(p, {user, verbs: ['update'], targets: [knp]})
    assert.deepEqual([row.level, row.rule, row.where], ['None', 0, {namespace: 'kube-system', name: null}])
    assert.deepEqual(
      row.differences.map((d) => [d.namespace, d.level, d.rule]),
      [['default', 'RequestResponse', 1]],
    )
  })

  it('probes cluster-scoped resources in the "" namespace only', () => {
    const p = policy(`- level: RequestResponse\n  namespaces: [""]\n- level: Metadata\n`)
    const rows = computeCoverage(p, {user, verbs: ['create'], targets: [tiers, knp]})
    assert.deepEqual(
      rows.map((r) => [r.resource, r.level, r.rule]),
      [
        ['tiers', 'RequestResponse', 0],
        ['networkpolicies', 'Metadata', 1],
      ],
    )
  })

  it('probes the names a rule lists, for named verbs only', () => {
    const p = policy(
      `- level: None\n  resources: [{group: projectcalico.org, resources: [tiers], resourceNames: [default]}]\n- level: RequestResponse\n`,
    )
    const rows = computeCoverage(p, {user, verbs: ['create', 'update'], targets: [tiers]})
    assert.deepEqual(
      rows.map((r) => [r.verb, r.level, r.where, r.differences.map((d) => [d.name, d.level])]),
      [
        ['create', 'RequestResponse', {namespace: null, name: null}, []],
        ['update', 'None', {namespace: null, name: 'default'}, [[null, 'RequestResponse']]],
      ],
    )
  })

  it('evaluates for the given identity', () => {
    const p = policy(`- level: RequestResponse\n  userGroups: [ops]\n- level: Metadata\n`)
    const verbs = ['patch']
    assert.equal(computeCoverage(p, {user, verbs, targets: [knp]})[0].level, 'Metadata')
    assert.equal(
      computeCoverage(p, {user: {name: 'jane', groups: ['ops']}, verbs, targets: [knp]})[0].level,
      'RequestResponse',
    )
  })

  it("caps a group at the most its apiserver records, keeping the rule's level visible", () => {
    const cnp = {apiGroup: 'projectcalico.org', resource: 'networkpolicies', namespaced: true}
    const p = policy(`- level: Metadata\n  namespaces: [calico-system]\n- level: RequestResponse\n`)
    const levelCaps = new Map([['projectcalico.org', 'Metadata' as const]])
    const [capped, free] = computeCoverage(p, {user, verbs: ['create'], targets: [cnp, knp], levelCaps})
    // Both probes record Metadata; the one whose rule asks for Metadata is reported.
    assert.deepEqual(
      [capped.level, capped.policyLevel, capped.rule, capped.where.namespace],
      ['Metadata', 'Metadata', 0, 'calico-system'],
    )
    assert.deepEqual(
      capped.differences.map((d) => [d.namespace, d.level, d.policyLevel, d.rule]),
      [['default', 'Metadata', 'RequestResponse', 1]],
    )
    assert.deepEqual([free.level, free.policyLevel], ['Metadata', 'Metadata'])
    assert.deepEqual(
      free.differences.map((d) => [d.namespace, d.level, d.policyLevel]),
      [['default', 'RequestResponse', 'RequestResponse']],
    )
    const [none] = computeCoverage(policy(`- level: None\n`), {user, verbs: ['create'], targets: [cnp], levelCaps})
    assert.deepEqual([none.level, none.policyLevel], ['None', 'None'], 'a cap never raises a level')
  })

  it('names subresource rows resource/subresource', () => {
    const p = policy(`- level: Request\n  resources: [{group: "", resources: [pods/exec]}]\n`)
    const [row] = computeCoverage(p, {user, verbs: ['create'], targets: [parseResourceArg('pods/exec')]})
    assert.deepEqual([row.apiGroup, row.resource, row.level], ['', 'pods/exec', 'Request'])
  })
})

describe('coverage phrases', () => {
  it('say where the lowest level holds when other probes differ: a namespace, an object name', () => {
    const p = policy(
      `- level: None\n  namespaces: [kube-system]\n- level: Metadata\n  verbs: [update]\n  resources: [{group: projectcalico.org, resources: [tiers], resourceNames: [default]}]\n- level: RequestResponse\n`,
    )
    const all = computeCoverage(p, {user, verbs: ['create', 'update'], targets: [knp, tiers]})
    assert.equal(
      summarizeWrites(
        all.filter((r) => r.level !== 'RequestResponse'),
        all,
      ),
      'every networking.k8s.io write in kube-system at None (rule 0); update tiers.projectcalico.org named default at Metadata (rule 1)',
    )
  })

  it('say nothing of where when every probe agrees', () => {
    const p = policy(`- level: RequestResponse\n  namespaces: [kube-system]\n  verbs: [get]\n- level: Metadata\n`)
    const all = computeCoverage(p, {user, verbs: ['create'], targets: [knp]})
    assert.equal(summarizeWrites(all, all), 'every networking.k8s.io write at Metadata (rule 1)')
  })
})

describe('--resource, as kubectl auth can-i takes it', () => {
  const rows: Array<[string, {apiGroup: string; resource: string; subresource?: string; namespaced?: boolean}]> = [
    ['pods', {apiGroup: '', resource: 'pods', namespaced: true}],
    ['pods/log', {apiGroup: '', resource: 'pods', subresource: 'log', namespaced: true}],
    [
      'clusterroles.rbac.authorization.k8s.io',
      {apiGroup: 'rbac.authorization.k8s.io', resource: 'clusterroles', namespaced: false},
    ],
    [
      'globalnetworkpolicies.projectcalico.org/status',
      {apiGroup: 'projectcalico.org', resource: 'globalnetworkpolicies', subresource: 'status', namespaced: false},
    ],
    ['widgets.example.com', {apiGroup: 'example.com', resource: 'widgets'}],
    ['deployments', {apiGroup: 'apps', resource: 'deployments', namespaced: true}],
    // Kubernetes' own short names, singulars and any case, as kubectl resolves them.
    ['po', {apiGroup: '', resource: 'pods', namespaced: true}],
    ['PO/Log', {apiGroup: '', resource: 'pods', subresource: 'log', namespaced: true}],
    ['netpol', {apiGroup: 'networking.k8s.io', resource: 'networkpolicies', namespaced: true}],
    ['deploy', {apiGroup: 'apps', resource: 'deployments', namespaced: true}],
    ['pod', {apiGroup: '', resource: 'pods', namespaced: true}],
    ['NetworkPolicy.networking.k8s.io', {apiGroup: 'networking.k8s.io', resource: 'networkpolicies', namespaced: true}],
    ['ingress', {apiGroup: 'networking.k8s.io', resource: 'ingresses', namespaced: true}],
    ['tier.projectcalico.org', {apiGroup: 'projectcalico.org', resource: 'tiers', namespaced: false}],
  ]
  for (const [text, expected] of rows) {
    it(text, () => assert.deepEqual(parseResourceArg(text), expected))
  }
  const bad: Array<[string, RegExp]> = [
    ['networkpolicies', /several groups/],
    ['widgets', /no built-in resource/],
    ['pods/log/extra', /is not a resource/],
    ['pods/', /is not a resource/],
  ]
  for (const [text, message] of bad) {
    it(`refuses ${text}`, () => assert.throws(() => parseResourceArg(text), message))
  }
  it("refuses a name that is calicoctl's, not Kubernetes', saying which resources it means", () => {
    assert.throws(
      () => parseResourceArg('np'),
      (error: UserError) =>
        /no built-in resource or short name/.test(error.message) &&
        error.hint ===
          '"np" is not a Kubernetes short name; write the resource with its group: networkpolicies.projectcalico.org, networkpolicies.crd.projectcalico.org',
    )
  })
})

describe('pitfalls', () => {
  const rows: Array<[string, string, RegExp[]]> = [
    [
      'a non-core resource under the core group',
      '- level: Metadata\n  resources: [{group: "", resources: [pods, deployments]}]\n',
      [/rules\[0\]\.resources\[0\]\.resources\[1\].*"deployments".*apps/],
    ],
    [
      'Calico resources under the core group',
      '- level: RequestResponse\n  resources: [{resources: [globalnetworkpolicies]}]\n',
      [/projectcalico\.org/],
    ],
    [
      'resourceNames with create',
      '- level: None\n  verbs: [create, update]\n  resources: [{group: "", resources: [configmaps], resourceNames: [x]}]\n',
      [/never match create/],
    ],
    ['a literal "*" verb', '- level: Metadata\n  verbs: ["*"]\n', [/rules\[0\]\.verbs\[0\].*literal/]],
    ['a literal "*" namespace', '- level: Metadata\n  namespaces: ["*"]\n', [/namespaces\[0\].*literal/]],
    [
      'a literal "*" resource name',
      '- level: Metadata\n  resources: [{group: "", resources: [pods], resourceNames: ["*"]}]\n',
      [/resourceNames\[0\].*literal/],
    ],
    [
      'a singular kind',
      '- level: Metadata\n  resources: [{group: projectcalico.org, resources: [globalnetworkpolicy]}]\n',
      [/plural \("globalnetworkpolicies"\)/],
    ],
    [
      'an upper-case resource',
      '- level: Metadata\n  resources: [{group: apps, resources: [Deployments]}]\n',
      [/lower-case/],
    ],
    [
      'rules after a catch-all are never used',
      '- level: Metadata\n- level: RequestResponse\n  verbs: [create]\n',
      [/rules\[1\].*rules\[0\] already matches every request/],
    ],
    [
      'a clean policy',
      '- level: Metadata\n  resources: [{group: "", resources: [pods/*, "*/status", "*"]}]\n- level: None\n  verbs: [get]\n  resources: [{group: "", resources: [configmaps], resourceNames: [x]}]\n',
      [],
    ],
  ]
  for (const [name, rules, phrases] of rows) {
    it(name, () => {
      const found = findPitfalls(policy(rules)).map((p) => `${p.path}: ${p.message}`)
      assert.equal(found.length, phrases.length, JSON.stringify(found))
      phrases.forEach((phrase, i) => assert.match(found[i], phrase))
    })
  }
})

describe('the recommended policy', () => {
  const loaded = loadPolicy(recommendedPolicyYaml(), undefined)

  it('is a valid audit.k8s.io/v1 policy our loader accepts without a warning', () => {
    assert.equal(loaded.policy?.apiVersion, 'audit.k8s.io/v1')
    assert.equal(loaded.apiVersionProblem, undefined)
    assert.deepEqual(loaded.problems, [])
  })

  it('records every write to every watched resource at RequestResponse, without RequestReceived, for any user', () => {
    for (const identity of [
      user,
      {name: 'system:serviceaccount:calico-apiserver:calico-apiserver', groups: ['system:serviceaccounts']},
      {name: 'node', groups: ['system:nodes']},
    ]) {
      const rows = computeCoverage(loaded.policy!, {
        user: identity,
        verbs: [...WRITE_VERBS],
        targets: WATCHED_RESOURCES,
      })
      assert.equal(rows.length, WATCHED_RESOURCES.length * WRITE_VERBS.length)
      for (const row of rows) {
        assert.deepEqual(
          [row.level, row.omitStages, row.differences],
          ['RequestResponse', ['RequestReceived'], []],
          `${row.verb} ${row.resource}.${row.apiGroup}`,
        )
      }
    }
  })

  it('names no resource it cannot match', () => {
    assert.deepEqual(findPitfalls(loaded.policy!), [])
  })
})
