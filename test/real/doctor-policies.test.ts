// Every real-world policy in the real fixtures' policies/ folder, checked offline. The expected
// verdicts were written by reading each policy by hand (rule indexes count from 0), never by
// running our code: the comment on each row says which rules decide.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {buildReport, type DoctorReport} from '../../src/doctor/report.js'
import {gatherOfflineFacts} from '../../src/doctor/offline-facts.js'
import {doctorOptions, type DoctorFlagValues} from '../../src/flags/doctor.js'
import {POLICIES} from './fixtures.js'

async function offlineReport(flags: Partial<DoctorFlagValues>): Promise<DoctorReport> {
  const options = doctorOptions({offline: true, 'node-access': true, output: 'json', color: 'never', ...flags})
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
    file: 'audit2rbac-demo-policy.yaml',
    why: 'one Metadata rule for four named users only: an ordinary user matches nothing',
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
    file: 'audit2rbac-demo-policy.yaml',
    why: 'the same policy for alice, one of its users: rule 0 (Metadata)',
    flags: {'policy-user': 'alice'},
    checks: {'policy-coverage': 'warn'},
    coverage: [['networking.k8s.io', 'networkpolicies', 'create', 'Metadata', 0]],
  },
  {
    file: 'falco-k8saudit.yaml',
    why: 'rule 0 lists "deployments" under the core group; configmaps at RequestResponse by rule 7; network policies fall to the catch-all (rule 10)',
    checks: {
      'policy-api-version': 'pass',
      'policy-valid': 'pass',
      'policy-coverage': 'warn',
      'policy-sensitive': 'warn',
      'policy-request-received': 'pass',
      'policy-pitfalls': 'warn',
    },
    coverage: [
      ['networking.k8s.io', 'networkpolicies', 'update', 'Metadata', 10],
      ['crd.projectcalico.org', 'globalnetworkpolicies', 'update', 'Metadata', 10],
    ],
    phrases: {
      'policy-pitfalls': /rules\[0\]\.resources\[0\]\.resources\[1\].*"deployments" is not in the core group.*apps/,
      'policy-sensitive': /configmaps.* at RequestResponse \(rule 7\)/,
    },
  },
  {
    file: 'gce-rendered.yaml',
    why: 'networking.k8s.io is a known API: RequestResponse by rule 15; Calico and policy.networking.k8s.io fall to the catch-all Metadata (rule 16); sensitive at Metadata by rule 13',
    checks: {
      'policy-api-version': 'pass',
      'policy-valid': 'pass',
      'policy-coverage': 'warn',
      'policy-sensitive': 'pass',
      'policy-request-received': 'pass',
      'policy-pitfalls': 'pass',
    },
    coverage: [
      ['networking.k8s.io', 'networkpolicies', 'patch', 'RequestResponse', 15],
      ['networking.k8s.io', 'networkpolicies', 'deletecollection', 'RequestResponse', 15],
      ['projectcalico.org', 'globalnetworkpolicies', 'create', 'Metadata', 16],
      ['policy.networking.k8s.io', 'adminnetworkpolicies', 'delete', 'Metadata', 16],
    ],
  },
  {
    file: 'k8s-website-example.yaml',
    why: 'core and extensions at Request (rule 7), everything else at the catch-all Metadata (rule 8); configmaps in kube-system at Request (rule 5)',
    checks: {
      'policy-api-version': 'pass',
      'policy-valid': 'pass',
      'policy-coverage': 'warn',
      'policy-sensitive': 'warn',
      'policy-request-received': 'pass',
      'policy-pitfalls': 'pass',
    },
    coverage: [
      ['networking.k8s.io', 'networkpolicies', 'update', 'Metadata', 8],
      ['extensions', 'networkpolicies', 'update', 'Request', 7],
      ['projectcalico.org', 'tiers', 'create', 'Metadata', 8],
    ],
    phrases: {'policy-sensitive': /configmaps in kube-system at Request \(rule 5\)/},
  },
  {
    file: 'k8s-docs-v1beta1-1.yaml',
    why: 'v1beta1 (removed in 1.24): kube-apiserver does not start, so coverage is what it would be once it loads; no omitStages, so rules 2-5 emit RequestReceived; configmaps in kube-system at Request (rule 2)',
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
      'policy-request-received': /rules 2, 3, 4, 5 /,
      'policy-coverage':
        /^kube-apiserver would not start with this policy \(see policy-api-version\), so nothing is recorded; once it loads: 110 of 110 writes recorded without bodies.* at Metadata \(rule 5\)$/,
    },
  },
  {
    file: 'k8s-docs-v1beta1-1.yaml',
    why: 'the same policy on Kubernetes 1.23: v1beta1 is only deprecated there; catch-all Metadata (rule 5)',
    flags: {'kubernetes-version': '1.23'},
    checks: {'policy-api-version': 'warn', 'policy-coverage': 'warn'},
    coverage: [['networking.k8s.io', 'networkpolicies', 'create', 'Metadata', 5]],
  },
  {
    file: 'k8s-docs-v1beta1-2.yaml',
    why: 'v1beta1; rules 0 and 1 emit RequestReceived (rule 2 is None); controller-leader configmap at None only for named requests',
    checks: {
      'policy-api-version': 'fail',
      'policy-valid': 'pass',
      'policy-coverage': 'skip',
      'policy-sensitive': 'pass',
      'policy-request-received': 'warn',
      'policy-pitfalls': 'pass',
    },
    rejected: true,
    phrases: {'policy-request-received': /rules 0, 1 /},
  },
  {
    file: 'k8s-docs-v1beta1-2.yaml',
    why: 'on 1.23, where it loads: Calico falls to the Metadata rule 3',
    flags: {'kubernetes-version': '1.23'},
    checks: {'policy-coverage': 'warn'},
    coverage: [['crd.projectcalico.org', 'tiers', 'update', 'Metadata', 3]],
  },
  {
    file: 'k8s-docs-v1beta1-3.yaml',
    why: 'v1beta1, one Metadata rule without omitStages',
    checks: {
      'policy-api-version': 'fail',
      'policy-valid': 'pass',
      'policy-coverage': 'skip',
      'policy-sensitive': 'pass',
      'policy-request-received': 'warn',
      'policy-pitfalls': 'pass',
    },
    rejected: true,
    phrases: {'policy-request-received': /^rule 0 also records every request at RequestReceived/},
  },
  {
    file: 'k8s-docs-v1beta1-3.yaml',
    why: 'on 1.23, where it loads: everything at Metadata by rule 0',
    flags: {'kubernetes-version': '1.23'},
    checks: {'policy-coverage': 'warn'},
    coverage: [['networking.k8s.io', 'networkpolicies', 'delete', 'Metadata', 0]],
  },
  {
    file: 'kubescape-pass.yaml',
    why: 'rule 0 puts deployments and tokenreviews under the core group; configmaps in kube-system at Metadata (rule 6); catch-all Metadata (rule 9)',
    checks: {
      'policy-api-version': 'pass',
      'policy-valid': 'pass',
      'policy-coverage': 'warn',
      'policy-sensitive': 'pass',
      'policy-request-received': 'pass',
      'policy-pitfalls': 'warn',
    },
    coverage: [['networking.k8s.io', 'networkpolicies', 'update', 'Metadata', 9]],
    phrases: {'policy-pitfalls': /"deployments".*apps.*"tokenreviews".*authentication\.k8s\.io/},
  },
  {
    file: 'kubescape-pass-many-rules-for-one-resources.yaml',
    why: 'byte-for-byte the same rules as kubescape-pass.yaml',
    checks: {'policy-coverage': 'warn', 'policy-sensitive': 'pass', 'policy-pitfalls': 'warn'},
  },
  {
    file: 'kubescape-failed-many-rules-for-one-resources.yaml',
    why: 'differs from kubescape-pass only in rule 6: configmaps in kube-system at Request',
    checks: {'policy-coverage': 'warn', 'policy-sensitive': 'warn', 'policy-pitfalls': 'warn'},
    phrases: {'policy-sensitive': /configmaps in kube-system at Request \(rule 6\)/},
  },
  {
    file: 'kubescape-failed-missing-one.yaml',
    why: 'rule 0 lacks "pods": pod writes fall to the core Request rule 8 instead of Metadata (rule 0 in kubescape-pass)',
    flags: {resource: ['pods']},
    checks: {'policy-coverage': 'warn', 'policy-sensitive': 'pass', 'policy-pitfalls': 'warn'},
    coverage: [['', 'pods', 'create', 'Request', 8]],
  },
  {
    file: 'kubescape-pass.yaml',
    why: 'with pods in rule 0, pod writes are at Metadata',
    flags: {resource: ['pods']},
    checks: {},
    coverage: [['', 'pods', 'create', 'Metadata', 0]],
  },
  {
    file: 'kubespray-rendered-default.yaml',
    why: 'networking.k8s.io at RequestResponse (rule 11); Calico at the catch-all Metadata (rule 12); sensitive at Metadata (rule 9)',
    checks: {
      'policy-api-version': 'pass',
      'policy-valid': 'pass',
      'policy-coverage': 'warn',
      'policy-sensitive': 'pass',
      'policy-request-received': 'pass',
      'policy-pitfalls': 'pass',
    },
    coverage: [
      ['networking.k8s.io', 'networkpolicies', 'update', 'RequestResponse', 11],
      ['projectcalico.org', 'networkpolicies', 'update', 'Metadata', 12],
    ],
  },
  {
    file: 'openshift-allrequestbodies.yaml',
    why: 'catch-all RequestResponse (rule 3); configmaps are not in its Metadata rule; rule 2 has the "resource:" typo',
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
        /rules\[2\]\.resources\[4\]\.resource: unknown field "resource", ignored \(did you mean "resources"\?\): this entry then names no resources, so it matches every resource of the group "machineconfiguration\.openshift\.io"/,
    },
  },
  {
    file: 'openshift-default.yaml',
    why: 'only identities and OAuth tokens at RequestResponse (rule 2); the rest at Metadata (rule 3)',
    checks: {
      'policy-api-version': 'pass',
      'policy-valid': 'pass',
      'policy-coverage': 'warn',
      'policy-sensitive': 'pass',
      'policy-request-received': 'pass',
      'policy-pitfalls': 'pass',
    },
    coverage: [['networking.k8s.io', 'networkpolicies', 'patch', 'Metadata', 3]],
  },
  {
    file: 'openshift-none.yaml',
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
    file: 'openshift-writerequestbodies.yaml',
    why: 'writes at RequestResponse (rule 3), configmap writes included; the same "resource:" typo in rule 2',
    checks: {
      'policy-api-version': 'pass',
      'policy-valid': 'warn',
      'policy-coverage': 'pass',
      'policy-sensitive': 'warn',
      'policy-request-received': 'pass',
      'policy-pitfalls': 'pass',
    },
    coverage: [['projectcalico.org', 'globalnetworkpolicies', 'deletecollection', 'RequestResponse', 3]],
    phrases: {'policy-sensitive': /configmaps at RequestResponse \(rule 3\) for create, update, patch, delete/},
  },
  {
    file: 'rke2-default.yaml',
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
    file: 'talos-default.yaml',
    why: 'one Metadata rule, no omitStages',
    checks: {
      'policy-api-version': 'pass',
      'policy-valid': 'pass',
      'policy-coverage': 'warn',
      'policy-sensitive': 'pass',
      'policy-request-received': 'warn',
      'policy-pitfalls': 'pass',
    },
  },
  {
    file: 'tigera-docs-kube-audit-sample-v1beta1.yaml',
    why: "v1beta1: refused from 1.24; what it would record once it loads still shows: no Calico group, so calicoctl's updates to crd.projectcalico.org, nor any deletecollection",
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
    file: 'tigera-docs-kube-audit-sample-v1beta1.yaml',
    why: "on 1.23, where v1beta1 loads: one RequestResponse rule for create/patch/update/delete on Kubernetes network policies only: no Calico group, so calicoctl's updates to crd.projectcalico.org are not recorded, nor any deletecollection",
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
    file: 'tigera-ee-apiserver.yaml',
    why: 'written for the Calico Enterprise API server: projectcalico.org only, without deletecollection',
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

describe('doctor on every real-world policy (expected verdicts read by hand)', () => {
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

  it('covers every policy in the fixture folder', async () => {
    const {readdirSync} = await import('node:fs')
    const tested = new Set([...rows.map((r) => r.file), 'aks-engine.yaml.tmpl'])
    assert.deepEqual(
      readdirSync(POLICIES).filter((f) => !tested.has(f)),
      [],
    )
  })

  describe('aks-engine.yaml.tmpl (a Go template)', () => {
    let dir: string
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'aks-policy-'))
    })
    after(() => rmSync(dir, {recursive: true, force: true}))

    it('unrendered, its apiVersion is not a group version the apiserver knows', async () => {
      const report = await offlineReport({'policy-file': `${POLICIES}/aks-engine.yaml.tmpl`})
      const check = report.checks.find((c) => c.id === 'policy-api-version')
      assert.equal(check?.status, 'fail')
      assert.match(check?.detail ?? '', /unknown group version/)
    })

    it('rendered for 1.16+, it logs secrets at Request (rule 5) and Calico at the catch-all Metadata (rule 7)', async () => {
      const rendered = readFileSync(`${POLICIES}/aks-engine.yaml.tmpl`, 'utf8').replace(
        /\{\{.*?\}\}beta1\{\{end\}\}/,
        '',
      )
      const file = join(dir, 'aks.yaml')
      writeFileSync(file, rendered)
      const report = await offlineReport({'policy-file': file})
      const status = (id: string) => report.checks.find((c) => c.id === id)?.status
      assert.equal(status('policy-api-version'), 'pass')
      assert.equal(status('policy-sensitive'), 'warn')
      assert.match(
        report.checks.find((c) => c.id === 'policy-sensitive')?.detail ?? '',
        /secrets.* at Request \(rule 5\)/,
      )
      const gnp = report.coverage.find(
        (c) => c.apiGroup === 'projectcalico.org' && c.resource === 'globalnetworkpolicies' && c.verb === 'create',
      )
      assert.deepEqual([gnp?.level, gnp?.rule, gnp?.omitStages], ['Metadata', 7, ['RequestReceived']])
    })
  })
})
