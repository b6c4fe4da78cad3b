// Every policy in test/fixtures/policies, checked offline. Each was written for this test to show
// one or two things a policy gets wrong (or right); the expected verdicts come from reading the
// policy (rule indexes count from 0), never from running our code: each row says which rules decide.
// The same checks against real-world policies are in test/real (npm run test:real).
import assert from 'node:assert/strict'
import {mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {buildReport, type DoctorReport} from '../../src/doctor/report.js'
import {gatherOfflineFacts} from '../../src/doctor/offline-facts.js'
import {doctorOptions, type DoctorFlagValues} from '../../src/flags/doctor.js'

const POLICIES = 'test/fixtures/policies'

async function offlineReport(flags: Partial<DoctorFlagValues>): Promise<DoctorReport> {
  const options = doctorOptions({
    offline: true,
    'node-access': true,
    'print-policy': false,
    output: 'json',
    color: 'never',
    ...flags,
  })
  return buildReport(await gatherOfflineFacts(options))
}

type Status = 'pass' | 'warn' | 'fail' | 'skip'
type PolicyChecks = Partial<
  Record<
    | 'policy-api-version'
    | 'policy-valid'
    | 'policy-coverage'
    | 'policy-sensitive'
    | 'policy-request-received'
    | 'policy-pitfalls',
    Status
  >
>

/** [group, resource, verb] → [level, rule] */
type CoverageSpot = [string, string, string, string, number | null]

interface Row {
  file: string
  why: string
  checks: PolicyChecks
  coverage?: CoverageSpot[]
  /** Phrases the detail of a check must contain. */
  phrases?: Partial<Record<keyof PolicyChecks, RegExp>>
  flags?: Partial<DoctorFlagValues>
  /** kube-apiserver would not start with it: no coverage rows at all. */
  rejected?: true
}

const rows: Row[] = [
  {
    file: 'named-users-only.yaml',
    why: 'one Metadata rule for two named users only: an ordinary user matches nothing',
    checks: {
      'policy-api-version': 'pass',
      'policy-valid': 'pass',
      'policy-coverage': 'fail',
      'policy-sensitive': 'pass',
      'policy-request-received': 'pass',
      'policy-pitfalls': 'pass',
    },
    coverage: [['projectcalico.org', 'tiers', 'update', 'None', null]],
  },
  {
    file: 'named-users-only.yaml',
    why: 'the same policy for alice, one of its users: rule 0 (Metadata)',
    flags: {'policy-user': 'alice'},
    checks: {'policy-coverage': 'warn'},
    coverage: [['networking.k8s.io', 'networkpolicies', 'create', 'Metadata', 0]],
  },
  {
    file: 'core-group-mistakes.yaml',
    why: 'rule 0 lists deployments and tokenreviews under the core group; configmaps at RequestResponse by rule 1; network policies fall to the catch-all (rule 4)',
    checks: {
      'policy-api-version': 'pass',
      'policy-valid': 'pass',
      'policy-coverage': 'warn',
      'policy-sensitive': 'warn',
      'policy-request-received': 'pass',
      'policy-pitfalls': 'warn',
    },
    coverage: [
      ['networking.k8s.io', 'networkpolicies', 'update', 'Metadata', 4],
      ['crd.projectcalico.org', 'globalnetworkpolicies', 'update', 'Metadata', 4],
    ],
    phrases: {
      'policy-pitfalls':
        /rules\[0\]\.resources\[0\]\.resources\[1\].*"deployments" is not in the core group.*apps.*"tokenreviews".*authentication\.k8s\.io/,
      'policy-sensitive': /configmaps.* at RequestResponse \(rule 1\)/,
    },
  },
  {
    file: 'core-group-mistakes.yaml',
    why: 'pods are not in rule 0: their writes fall to the core Request rule 3',
    flags: {resource: ['pods']},
    checks: {'policy-coverage': 'warn'},
    coverage: [['', 'pods', 'create', 'Request', 3]],
  },
  {
    file: 'known-groups-request-response.yaml',
    why: 'networking.k8s.io writes at RequestResponse by rule 4 (rule 3 is reads only); Calico, extensions and policy.networking.k8s.io fall to the catch-all Metadata (rule 5); sensitive at Metadata by rule 2',
    checks: {
      'policy-api-version': 'pass',
      'policy-valid': 'pass',
      'policy-coverage': 'warn',
      'policy-sensitive': 'pass',
      'policy-request-received': 'pass',
      'policy-pitfalls': 'pass',
    },
    coverage: [
      ['networking.k8s.io', 'networkpolicies', 'patch', 'RequestResponse', 4],
      ['networking.k8s.io', 'networkpolicies', 'deletecollection', 'RequestResponse', 4],
      ['extensions', 'networkpolicies', 'patch', 'Metadata', 5],
      ['projectcalico.org', 'globalnetworkpolicies', 'create', 'Metadata', 5],
      ['policy.networking.k8s.io', 'adminnetworkpolicies', 'delete', 'Metadata', 5],
    ],
  },
  {
    file: 'metadata-for-the-rest.yaml',
    why: 'core and apps writes at Request (rule 5), everything else at the catch-all Metadata (rule 6); configmaps in kube-system at Request (rule 4)',
    checks: {
      'policy-api-version': 'pass',
      'policy-valid': 'pass',
      'policy-coverage': 'warn',
      'policy-sensitive': 'warn',
      'policy-request-received': 'pass',
      'policy-pitfalls': 'pass',
    },
    coverage: [
      ['networking.k8s.io', 'networkpolicies', 'update', 'Metadata', 6],
      ['extensions', 'networkpolicies', 'update', 'Metadata', 6],
      ['projectcalico.org', 'tiers', 'create', 'Metadata', 6],
    ],
    phrases: {
      'policy-sensitive': /configmaps in kube-system at Request \(rule 4\)/,
      'policy-coverage': /^110 of 110 writes recorded without bodies.* at Metadata \(rule 6\)$/,
    },
  },
  {
    file: 'v1beta1-stages-kept.yaml',
    why: 'v1beta1 (removed in 1.24): kube-apiserver does not start, so coverage is what it would be once it loads; no omitStages, so rules 2-4 record RequestReceived; configmaps in kube-system at Request (rule 2)',
    checks: {
      'policy-api-version': 'fail',
      'policy-valid': 'pass',
      'policy-coverage': 'skip',
      'policy-sensitive': 'warn',
      'policy-request-received': 'warn',
      'policy-pitfalls': 'pass',
    },
    rejected: true,
    phrases: {
      'policy-request-received': /rules 2, 3, 4 /,
      'policy-sensitive': /configmaps in kube-system at Request \(rule 2\)/,
      'policy-coverage':
        /^kube-apiserver would not start with this policy \(see policy-api-version\), so nothing is recorded; once it loads: 110 of 110 writes recorded without bodies.* at Metadata \(rule 4\)$/,
    },
  },
  {
    file: 'v1beta1-stages-kept.yaml',
    why: 'the same policy on Kubernetes 1.23: v1beta1 is only deprecated there; catch-all Metadata (rule 4)',
    flags: {'kubernetes-version': '1.23'},
    checks: {'policy-api-version': 'warn', 'policy-coverage': 'warn'},
    coverage: [['networking.k8s.io', 'networkpolicies', 'create', 'Metadata', 4]],
  },
  {
    file: 'one-metadata-rule.yaml',
    why: 'one Metadata rule without omitStages',
    checks: {
      'policy-api-version': 'pass',
      'policy-valid': 'pass',
      'policy-coverage': 'warn',
      'policy-sensitive': 'pass',
      'policy-request-received': 'warn',
      'policy-pitfalls': 'pass',
    },
    coverage: [['networking.k8s.io', 'networkpolicies', 'delete', 'Metadata', 0]],
    phrases: {'policy-request-received': /^rule 0 also records every request at RequestReceived/},
  },
  {
    file: 'resource-typo.yaml',
    why: 'catch-all RequestResponse (rule 3), configmaps and tokenreviews included; rule 1 writes "resource:" for "resources:"',
    checks: {
      'policy-api-version': 'pass',
      'policy-valid': 'warn',
      'policy-coverage': 'pass',
      'policy-sensitive': 'warn',
      'policy-request-received': 'pass',
      'policy-pitfalls': 'pass',
    },
    coverage: [['crd.projectcalico.org', 'tiers', 'delete', 'RequestResponse', 3]],
    phrases: {
      'policy-valid':
        /rules\[1\]\.resources\[1\]\.resource: unknown field "resource", ignored \(did you mean "resources"\?\): this entry then names no resources, so it matches every resource of the group "events\.k8s\.io"/,
      'policy-sensitive': /configmaps.* at RequestResponse \(rule 3\)/,
    },
  },
  {
    file: 'none-for-the-rest.yaml',
    why: 'the catch-all is None (rule 2)',
    checks: {
      'policy-api-version': 'pass',
      'policy-valid': 'pass',
      'policy-coverage': 'fail',
      'policy-sensitive': 'pass',
      'policy-request-received': 'pass',
      'policy-pitfalls': 'pass',
    },
    coverage: [['networking.k8s.io', 'networkpolicies', 'create', 'None', 2]],
  },
  {
    file: 'records-nothing.yaml',
    why: 'rules: [{level: None}]: nothing is logged',
    checks: {
      'policy-api-version': 'pass',
      'policy-valid': 'pass',
      'policy-coverage': 'fail',
      'policy-sensitive': 'pass',
      'policy-request-received': 'pass',
      'policy-pitfalls': 'pass',
    },
    coverage: [['crd.projectcalico.org', 'networkpolicies', 'update', 'None', 0]],
  },
  {
    file: 'v1beta1-network-policies.yaml',
    why: 'v1beta1: refused from 1.24; what it would record once it loads still shows: no Calico group, nor any deletecollection',
    checks: {
      'policy-api-version': 'fail',
      'policy-valid': 'pass',
      'policy-coverage': 'skip',
      'policy-sensitive': 'pass',
      'policy-request-received': 'pass',
      'policy-pitfalls': 'pass',
    },
    rejected: true,
    phrases: {
      'policy-coverage':
        /would not start.*once it loads: \d+ of 110 writes not recorded: .*every crd\.projectcalico\.org write.*deletecollection networkpolicies\.networking\.k8s\.io/,
    },
  },
  {
    file: 'v1beta1-network-policies.yaml',
    why: 'on 1.23, where v1beta1 loads: one RequestResponse rule for create/update/patch/delete of Kubernetes network policies only',
    flags: {'kubernetes-version': '1.23'},
    checks: {'policy-api-version': 'warn', 'policy-coverage': 'fail'},
    coverage: [
      ['networking.k8s.io', 'networkpolicies', 'update', 'RequestResponse', 0],
      ['networking.k8s.io', 'networkpolicies', 'deletecollection', 'None', null],
      ['crd.projectcalico.org', 'globalnetworkpolicies', 'update', 'None', null],
      ['projectcalico.org', 'tiers', 'update', 'None', null],
    ],
  },
  {
    file: 'calico-apiserver.yaml',
    why: 'written for an aggregated Calico API server: projectcalico.org only, without deletecollection',
    checks: {
      'policy-api-version': 'pass',
      'policy-valid': 'pass',
      'policy-coverage': 'fail',
      'policy-sensitive': 'pass',
      'policy-request-received': 'pass',
      'policy-pitfalls': 'pass',
    },
    coverage: [
      ['projectcalico.org', 'tiers', 'update', 'RequestResponse', 0],
      ['projectcalico.org', 'tiers', 'deletecollection', 'None', null],
      ['crd.projectcalico.org', 'tiers', 'update', 'None', null],
    ],
  },
]

describe('doctor on each fixture policy (expected verdicts read by hand)', () => {
  for (const row of rows) {
    const label = `${row.file}${row.flags ? ` ${JSON.stringify(row.flags)}` : ''}: ${row.why}`
    it(label, async () => {
      const report = await offlineReport({'policy-file': `${POLICIES}/${row.file}`, ...row.flags})
      for (const [id, status] of Object.entries(row.checks)) {
        const check = report.checks.find((c) => c.id === id)
        assert.equal(check?.status, status, `${id}: ${check?.detail}`)
      }
      for (const [group, resource, verb, level, rule] of row.coverage ?? []) {
        const found = report.coverage.find((c) => c.apiGroup === group && c.resource === resource && c.verb === verb)
        assert.deepEqual([found?.level, found?.rule], [level, rule], `${verb} ${resource}.${group}`)
      }
      if (row.rejected) assert.deepEqual(report.coverage, [])
      for (const [id, phrase] of Object.entries(row.phrases ?? {})) {
        assert.match(report.checks.find((c) => c.id === id)?.detail ?? '', phrase)
      }
    })
  }

  it('covers every policy in the fixture folder', () => {
    const tested = new Set([...rows.map((r) => r.file), 'versioned.yaml.tmpl'])
    assert.deepEqual(
      readdirSync(POLICIES).filter((f) => !tested.has(f)),
      [],
    )
  })

  describe('versioned.yaml.tmpl (a Go template)', () => {
    let dir: string
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'template-policy-'))
    })
    after(() => rmSync(dir, {recursive: true, force: true}))

    it('unrendered, its apiVersion is not a group version the apiserver knows', async () => {
      const report = await offlineReport({'policy-file': `${POLICIES}/versioned.yaml.tmpl`})
      const check = report.checks.find((c) => c.id === 'policy-api-version')
      assert.equal(check?.status, 'fail')
      assert.match(check?.detail ?? '', /unknown group version/)
    })

    it('rendered for 1.16+, it logs secrets at Request (rule 2) and Calico at the catch-all Metadata (rule 4)', async () => {
      const rendered = readFileSync(`${POLICIES}/versioned.yaml.tmpl`, 'utf8').replace(
        /\{\{.*?\}\}beta1\{\{end\}\}/,
        '',
      )
      const file = join(dir, 'rendered.yaml')
      writeFileSync(file, rendered)
      const report = await offlineReport({'policy-file': file})
      const status = (id: string) => report.checks.find((c) => c.id === id)?.status
      assert.equal(status('policy-api-version'), 'pass')
      assert.equal(status('policy-sensitive'), 'warn')
      assert.match(
        report.checks.find((c) => c.id === 'policy-sensitive')?.detail ?? '',
        /secrets.* at Request \(rule 2\)/,
      )
      const gnp = report.coverage.find(
        (c) => c.apiGroup === 'projectcalico.org' && c.resource === 'globalnetworkpolicies' && c.verb === 'create',
      )
      assert.deepEqual([gnp?.level, gnp?.rule, gnp?.omitStages], ['Metadata', 4, ['RequestReceived']])
    })
  })
})
