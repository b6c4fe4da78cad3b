// Loading a policy as kube-apiserver does (policy/reader.go, apis/audit/validation): each row is a
// policy text, a Kubernetes version, and the problems expected (path, severity, words).
import assert from 'node:assert/strict'

import {parseKubernetesVersion} from '../../src/audit/policy/kubernetes-version.js'
import {isRejected, loadPolicy} from '../../src/audit/policy/load.js'
import type {PolicyProblem} from '../../src/audit/policy/problems.js'

const v1 = (body: string) => `apiVersion: audit.k8s.io/v1\nkind: Policy\n${body}`

interface Row {
  name: string
  text: string
  version?: string
  /** [path, severity, a phrase of the message] for every problem, in order. */
  problems: Array<[string, PolicyProblem['severity'], RegExp]>
  rejected: boolean
}

const rows: Row[] = [
  {name: 'a minimal valid policy', text: v1('rules:\n- level: Metadata\n'), problems: [], rejected: false},
  {
    name: 'v1beta1 from 1.24: removed',
    text: 'apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules:\n- level: Metadata\n',
    version: '1.24',
    problems: [['apiVersion', 'error', /removed in Kubernetes 1\.24.*audit\.k8s\.io\/v1/]],
    rejected: true,
  },
  {
    name: 'v1beta1 before 1.24: deprecated only',
    text: 'apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules:\n- level: Metadata\n',
    version: '1.23',
    problems: [['apiVersion', 'warning', /deprecated/]],
    rejected: false,
  },
  {
    name: 'v1alpha1 from 1.24',
    text: 'apiVersion: audit.k8s.io/v1alpha1\nkind: Policy\nrules:\n- level: None\n',
    version: '1.30',
    problems: [['apiVersion', 'error', /removed/]],
    rejected: true,
  },
  {
    name: 'an unknown group version',
    text: 'apiVersion: audit.k8s.io/v2\nkind: Policy\nrules:\n- level: None\n',
    problems: [['apiVersion', 'error', /unknown group version/]],
    rejected: true,
  },
  {
    name: 'no apiVersion',
    text: 'kind: Policy\nrules:\n- level: None\n',
    problems: [['apiVersion', 'error', /'apiVersion' is missing/]],
    rejected: true,
  },
  {
    name: 'another kind',
    text: 'apiVersion: audit.k8s.io/v1\nkind: Event\nrules:\n- level: None\n',
    problems: [['kind', 'error', /no kind "Event"/]],
    rejected: true,
  },
  {name: 'zero rules', text: v1('rules: []\n'), problems: [['rules', 'error', /0 rules/]], rejected: true},
  {
    name: 'no rules field',
    text: v1('omitStages: [RequestReceived]\n'),
    problems: [['rules', 'error', /0 rules/]],
    rejected: true,
  },
  {
    name: 'a missing level',
    text: v1('rules:\n- verbs: [get]\n'),
    problems: [['rules[0].level', 'error', /Required/]],
    rejected: true,
  },
  {
    name: 'an unknown level',
    text: v1('rules:\n- level: Everything\n'),
    problems: [['rules[0].level', 'error', /Unsupported value: "Everything"/]],
    rejected: true,
  },
  {
    name: 'level names are case-sensitive',
    text: v1('rules:\n- level: metadata\n'),
    problems: [['rules[0].level', 'error', /Unsupported/]],
    rejected: true,
  },
  {
    name: 'an unknown rule stage',
    text: v1('rules:\n- level: Metadata\n  omitStages: [RequestRecieved]\n'),
    problems: [['rules[0].omitStages[0]', 'error', /allowed stages/]],
    rejected: true,
  },
  {
    name: 'an unknown policy-wide stage is not validated, only useless',
    text: v1('omitStages: [Foo]\nrules:\n- level: Metadata\n'),
    problems: [['omitStages[0]', 'warning', /no effect/]],
    rejected: false,
  },
  {
    name: 'a non-resource URL without a leading slash',
    text: v1('rules:\n- level: None\n  nonResourceURLs: [healthz]\n'),
    problems: [['rules[0].nonResourceURLs[0]', 'error', /begin with a '\/'/]],
    rejected: true,
  },
  {
    name: 'a non-resource URL with an inner wildcard',
    text: v1('rules:\n- level: None\n  nonResourceURLs: ["/api/*/x"]\n'),
    problems: [['rules[0].nonResourceURLs[0]', 'error', /final character/]],
    rejected: true,
  },
  {
    name: '"*" alone is a valid non-resource URL',
    text: v1('rules:\n- level: None\n  nonResourceURLs: ["*"]\n'),
    problems: [],
    rejected: false,
  },
  {
    name: 'non-resource URLs with resources',
    text: v1('rules:\n- level: None\n  nonResourceURLs: ["/healthz"]\n  resources: [{group: ""}]\n'),
    problems: [['rules[0].nonResourceURLs', 'error', /both regular resources and non-resource URLs/]],
    rejected: true,
  },
  {
    name: 'non-resource URLs with namespaces',
    text: v1('rules:\n- level: None\n  nonResourceURLs: ["/healthz"]\n  namespaces: [default]\n'),
    problems: [['rules[0].nonResourceURLs', 'error', /both/]],
    rejected: true,
  },
  {
    name: 'a group with a version',
    text: v1('rules:\n- level: None\n  resources: [{group: rbac.authorization.k8s.io/v1}]\n'),
    problems: [['rules[0].resources[0].group', 'error', /RFC 1123.*without its version/]],
    rejected: true,
  },
  {
    name: 'an upper-case group',
    text: v1('rules:\n- level: None\n  resources: [{group: Apps}]\n'),
    problems: [['rules[0].resources[0].group', 'error', /RFC 1123/]],
    rejected: true,
  },
  {
    name: 'group "*" before 1.36',
    text: v1('rules:\n- level: None\n  resources: [{group: "*"}]\n'),
    version: '1.35',
    problems: [['rules[0].resources[0].group', 'error', /1\.36/]],
    rejected: true,
  },
  {
    name: 'group "*" from 1.36',
    text: v1('rules:\n- level: None\n  resources: [{group: "*"}]\n'),
    version: '1.36',
    problems: [],
    rejected: false,
  },
  {
    name: 'resourceNames without resources',
    text: v1('rules:\n- level: None\n  resources: [{group: "", resourceNames: [controller-leader]}]\n'),
    problems: [['rules[0].resources[0].resourceNames', 'error', /requires at least one resource/]],
    rejected: true,
  },
  {
    name: 'a misspelt field is dropped with a warning, as the lenient decoder does',
    text: v1(
      'rules:\n- level: Metadata\n  resources:\n  - group: machineconfiguration.openshift.io\n    resource: [machineconfig]\n',
    ),
    problems: [['rules[0].resources[0].resource', 'warning', /unknown field "resource".*did you mean "resources"/]],
    rejected: false,
  },
  {
    name: 'field names are case-sensitive',
    text: v1('rules:\n- Level: Metadata\n'),
    problems: [
      ['rules[0].Level', 'warning', /did you mean "level"/],
      ['rules[0].level', 'error', /Required/],
    ],
    rejected: true,
  },
  {
    name: 'a duplicate field: the later one is used',
    text: v1('rules:\n- level: None\n  level: Metadata\n'),
    problems: [['', 'warning', /duplicate field at line 5/]],
    rejected: false,
  },
  {
    name: 'a string where a list belongs',
    text: v1('rules:\n- level: Metadata\n  users: alice\n'),
    problems: [['rules[0].users', 'error', /cannot decode string "alice" into a list of strings/]],
    rejected: true,
  },
  {
    name: 'a number where a string belongs',
    text: v1('rules:\n- level: Metadata\n  verbs: [get, 1]\n'),
    problems: [['rules[0].verbs[1]', 'error', /number 1 into a string/]],
    rejected: true,
  },
  {
    name: 'YAML 1.1 reads "no" as a boolean, as the apiserver does',
    text: v1('rules:\n- level: Metadata\n  namespaces: [no]\n'),
    problems: [['rules[0].namespaces[0]', 'error', /boolean false/]],
    rejected: true,
  },
  {
    name: 'omitManagedFields must be a boolean',
    text: v1('omitManagedFields: "yes please"\nrules:\n- level: Metadata\n'),
    problems: [['omitManagedFields', 'error', /a boolean/]],
    rejected: true,
  },
  {name: 'broken YAML', text: 'rules: [\n', problems: [['', 'error', /YAML syntax error/]], rejected: true},
  {name: 'an empty file', text: '', problems: [['', 'error', /empty/]], rejected: true},
  {
    name: 'an alias with no anchor',
    text: v1('rules:\n- level: Metadata\n  verbs: *writes\n'),
    problems: [['', 'error', /YAML.*alias/]],
    rejected: true,
  },
  {
    name: 'an alias bomb',
    text: v1(
      `a: &a [x, x, x, x, x, x, x, x, x]\n${['b', 'c', 'd', 'e'].map((k, i) => `${k}: &${k} [${Array(9).fill(`*${'abcd'[i]}`).join(', ')}]`).join('\n')}\nrules:\n- level: Metadata\n`,
    ),
    problems: [['', 'error', /YAML.*alias/]],
    rejected: true,
  },
  {
    // 720 KB that would expand to 100 million strings (44 s and 1.1 GB when it was expanded).
    name: 'an anchor of 100,000 users fanned out through 999 aliases, refused as go-yaml refuses it',
    text: v1(
      `rules:\n- level: Metadata\n  users: &u [${Array.from({length: 100_000}, (_, i) => `u${i}`).join(', ')}]\n${'- level: Metadata\n  users: *u\n'.repeat(999)}`,
    ),
    problems: [['', 'error', /document contains excessive aliasing .*kube-apiserver would not start/]],
    rejected: true,
  },
  {
    name: 'an alias inside its own anchor',
    text: v1('extra: &a [*a]\nrules:\n- level: Metadata\n'),
    problems: [['', 'error', /YAML/]],
    rejected: true,
  },
  {
    name: 'anchors reused as policies do (a verb list in 50 rules) are fine',
    text: v1(
      `rules:\n- level: Request\n  verbs: &writes [create, update, patch, delete, deletecollection]\n  resources: [{group: networking.k8s.io}]\n${'- level: Request\n  verbs: *writes\n  resources: [{group: crd.projectcalico.org}]\n'.repeat(49)}`,
    ),
    problems: [],
    rejected: false,
  },
  {
    name: 'a list instead of a Policy',
    text: '- level: Metadata\n',
    problems: [['', 'error', /not a Policy object/]],
    rejected: true,
  },
  {
    name: 'only the first YAML document is read',
    text: v1('rules:\n- level: Metadata\n---\nkind: Other\n'),
    problems: [['', 'warning', /2 YAML documents/]],
    rejected: false,
  },
  {
    name: 'JSON is YAML',
    text: '{"apiVersion":"audit.k8s.io/v1","kind":"Policy","rules":[{"level":"RequestResponse"}]}',
    problems: [],
    rejected: false,
  },
]

describe('policy loading, as kube-apiserver does it', () => {
  for (const row of rows) {
    it(row.name, () => {
      const version = row.version ? parseKubernetesVersion(row.version) : undefined
      const loaded = loadPolicy(row.text, version)
      const problems = [...(loaded.apiVersionProblem ? [loaded.apiVersionProblem] : []), ...loaded.problems]
      assert.equal(problems.length, row.problems.length, JSON.stringify(problems))
      row.problems.forEach(([path, severity, phrase], i) => {
        assert.equal(problems[i].path, path)
        assert.equal(problems[i].severity, severity)
        assert.match(problems[i].message, phrase)
      })
      assert.equal(isRejected(loaded), row.rejected)
    })
  }

  it('keeps a decodable but invalid policy for evaluation', () => {
    const loaded = loadPolicy(
      'apiVersion: audit.k8s.io/v1beta1\nkind: Policy\nrules:\n- level: RequestResponse\n',
      undefined,
    )
    assert.equal(loaded.policy?.rules[0].level, 'RequestResponse')
    assert.equal(isRejected(loaded), true)
  })

  it('keeps the rule-level omitManagedFields unset when absent, and false when false', () => {
    const loaded = loadPolicy(
      v1('omitManagedFields: true\nrules:\n- level: Metadata\n- level: None\n  omitManagedFields: false\n'),
      undefined,
    )
    assert.equal(loaded.policy?.omitManagedFields, true)
    assert.equal(loaded.policy?.rules[0].omitManagedFields, undefined)
    assert.equal(loaded.policy?.rules[1].omitManagedFields, false)
  })
})
