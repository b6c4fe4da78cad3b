// doctor --probe's pure parts, row by row: its flags, which creates it plans for which Calico, and
// the two checks on what it found (recorded or not; agreeing with the policy read or not).
import assert from 'node:assert/strict'

import {loadPolicy} from '../../src/audit/policy/load.js'
import type {DryRunAnswer} from '../../src/cluster/dry-run-create.js'
import type {CheckResult} from '../../src/doctor/check.js'
import {coverageInputs} from '../../src/doctor/coverage-inputs.js'
import type {CalicoFacts, DoctorFacts} from '../../src/doctor/facts.js'
import {type ProbeFacts, type ProbeRecord, type ProbeResult, recorderOf} from '../../src/doctor/probe-facts.js'
import {planProbes, type ProbeKind, probeObject} from '../../src/doctor/probe-plan.js'
import {buildReport, exitCodeOf} from '../../src/doctor/report.js'
import {doctorOptions, type DoctorFlagValues, probeKinds} from '../../src/flags/doctor.js'

const base: DoctorFlagValues = {
  offline: false,
  'node-access': true,
  'print-policy': false,
  output: 'json',
  color: 'never',
}

describe('doctor --probe', () => {
  describe('flags', () => {
    it('--probe: the default kinds, 60s, the context namespace, the log where policies reads it', () => {
      const probe = doctorOptions({...base, probe: true, via: 'kubelet'}).probe
      assert.ok(probe)
      assert.equal(probe.kinds, null)
      assert.equal(probe.namespace, undefined)
      assert.equal(probe.timeoutMs, 60_000)
      assert.equal(probe.input.from, 'cluster')
      assert.deepEqual(
        [probe.input.location, probe.input.cluster.via, probe.input.cluster.nodes, probe.nodeAccess],
        ['auto', 'kubelet', [], true],
      )
      assert.equal(doctorOptions(base).probe, undefined, 'without --probe there is no probe')
    })

    it('--no-node-access: the probe looks only where no node is touched', () => {
      const probe = doctorOptions({...base, probe: true, 'node-access': false}).probe
      assert.ok(probe)
      assert.equal(probe.nodeAccess, false)
      assert.equal(probe.input.from, 'cluster')
    })

    it('--es and --loki: the probe looks in that store, and still writes through the cluster', () => {
      const es = doctorOptions({...base, probe: true, es: 'https://es.example:9200/', 'es-index': 'audit-*'}).probe
      assert.ok(es?.input.from === 'elasticsearch')
      assert.deepEqual(
        [es.input.elasticsearch.url, es.input.elasticsearch.index],
        ['https://es.example:9200', 'audit-*'],
      )
      const loki = doctorOptions({
        ...base,
        probe: true,
        loki: 'http://loki:3100',
        'loki-selector': '{job="audit"}',
      }).probe
      assert.ok(loki?.input.from === 'loki')
      assert.deepEqual([loki.input.loki.url, loki.input.loki.selector], ['http://loki:3100', '{job="audit"}'])
    })

    // [flags, the error]
    const refused: Array<[Partial<DoctorFlagValues>, RegExp]> = [
      [{'probe-kind': ['gnp']}, /^--probe-kind is for --probe$/],
      [{'probe-timeout': '5m', 'probe-namespace': 'x'}, /^--probe-namespace, --probe-timeout are for --probe$/],
      [{probe: true, 'probe-timeout': '5 minutes'}, /^--probe-timeout "5 minutes" is not a duration$/],
      [{probe: true, 'probe-timeout': '0'}, /^--probe-timeout 0 is out of range$/],
      [{probe: true, 'probe-timeout': '2h'}, /^--probe-timeout 2h is out of range$/],
      [{probe: true, 'probe-namespace': ' '}, /^--probe-namespace is empty$/],
      [{es: 'https://es.example:9200'}, /^--es is for --probe$/],
      [{loki: 'http://loki:3100', 'loki-tenant': 'a'}, /^--loki, --loki-tenant are for --probe$/],
      [
        {probe: true, loki: 'http://loki:3100', es: 'https://es.example:9200'},
        /^--es is for reading the log elsewhere, which --loki replaces$/,
      ],
      [{probe: true, 'loki-tenant': 'a'}, /^--loki-tenant is for reading Loki$/],
      [
        {probe: true, offline: true, 'policy-file': 'p.yaml'},
        /^--probe is for checking a cluster, which --offline does not contact$/,
      ],
      [{probe: true, 'print-policy': true}, /^--print-policy does not check anything, so it takes no --probe$/],
      [
        {probe: true, 'probe-kind': ['anp']},
        /^--probe-kind "anp": the probe writes Kubernetes and Calico network policy kinds; AdminNetworkPolicy is not probed$/,
      ],
      [
        {probe: true, 'probe-kind': ['networkpolicies.extensions']},
        /^--probe-kind "networkpolicies.extensions": extensions stopped serving network policies in Kubernetes 1\.16: use knp$/,
      ],
      [{probe: true, 'probe-kind': ['pods']}, /^--probe-kind "pods" is not a watched kind$/],
      [{probe: true, 'probe-kind': [',']}, /^--probe-kind is empty$/],
    ]
    for (const [flags, error] of refused) {
      it(`refuses ${JSON.stringify(flags)}`, () => {
        assert.throws(
          () => doctorOptions({...base, ...flags}),
          (e: Error) => e.name === 'UserError' && error.test(e.message),
        )
      })
    }

    // [--probe-kind values, the kinds: resource.group, or resource.* for "whichever Calico group is served"]
    const kinds: Array<[string[], string[]]> = [
      [['knp'], ['networkpolicies.networking.k8s.io']],
      [['gnp,np'], ['globalnetworkpolicies.*', 'networkpolicies.*']],
      [['tier', 'Tier'], ['tiers.*']],
      [['globalnetworkpolicies.crd.projectcalico.org'], ['globalnetworkpolicies.crd.projectcalico.org']],
      [
        ['netpol', 'gnp'],
        ['networkpolicies.networking.k8s.io', 'globalnetworkpolicies.*'],
      ],
    ]
    for (const [values, expected] of kinds) {
      it(`--probe-kind ${values.join(' ')}`, () => {
        assert.deepEqual(
          probeKinds(values).map((k) => `${k.resource}.${k.apiGroup ?? '*'}`),
          expected,
        )
      })
    }
  })

  it("which server wrote a source: the Calico API server's own log and index, kube-apiserver's everything else", () => {
    const cases: Array<[string, string]> = [
      ['node/cp-1:/var/log/calico/audit/tsee-audit.log', 'calico-apiserver'],
      ['elasticsearch:tigera_secure_ee_audit_ee.cluster.*', 'calico-apiserver'],
      ['elasticsearch:tigera_secure_ee_audit_kube.cluster.*', 'kube-apiserver'],
      ['node/cp-1:/var/log/kubernetes/audit/audit.log', 'kube-apiserver'],
      ['cloudwatch:/aws/eks/prod/cluster', 'kube-apiserver'],
    ]
    assert.deepEqual(
      cases.map(([source]) => [source, recorderOf(source)]),
      cases,
    )
  })

  describe('plan', () => {
    const calico = (apiService: CalicoFacts['apiService'], backingCrds: boolean, refused = false): CalicoFacts => ({
      apiService,
      backingCrds,
      enterprise: false,
      failures: refused
        ? [{request: 'list apiservices.apiregistration.k8s.io', status: 403, message: 'forbidden'}]
        : [],
    })
    const gnp: ProbeKind = {
      kind: 'GlobalNetworkPolicy',
      resource: 'globalnetworkpolicies',
      namespaced: false,
      apiGroup: null,
    }
    // [name, kinds (null: default), calico, the creates as resource.group purpose, a note]
    const rows: Array<[string, ProbeKind[] | null, CalicoFacts | undefined, string[], RegExp?]> = [
      [
        'no Calico: a Kubernetes NetworkPolicy',
        null,
        calico({state: 'absent'}, false),
        ['networkpolicies.networking.k8s.io kind'],
      ],
      [
        'aggregated Calico: its kinds, and their backing CRD writes',
        null,
        calico({state: 'aggregated', service: 'calico-apiserver/calico-api'}, true),
        [
          'networkpolicies.networking.k8s.io kind',
          'globalnetworkpolicies.projectcalico.org kind',
          'globalnetworkpolicies.crd.projectcalico.org backing-crd',
          'networkpolicies.projectcalico.org kind',
          'networkpolicies.crd.projectcalico.org backing-crd',
        ],
      ],
      [
        'Calico 3.32 native v3 CRDs: no backing write',
        null,
        calico({state: 'local'}, true),
        [
          'networkpolicies.networking.k8s.io kind',
          'globalnetworkpolicies.projectcalico.org kind',
          'networkpolicies.projectcalico.org kind',
        ],
      ],
      [
        'Calico without its API server: the CRDs calicoctl writes',
        null,
        calico({state: 'absent'}, true),
        [
          'networkpolicies.networking.k8s.io kind',
          'globalnetworkpolicies.crd.projectcalico.org kind',
          'networkpolicies.crd.projectcalico.org kind',
        ],
      ],
      [
        'apiservices refused: Calico unknown, said',
        null,
        calico({state: 'absent'}, false, true),
        ['networkpolicies.networking.k8s.io kind'],
        /Calico kinds not probed: .*--probe-kind gnp,np/,
      ],
      [
        'a Calico kind asked for where nothing serves it: sent anyway, its answer tells',
        [gnp],
        calico({state: 'absent'}, false),
        ['globalnetworkpolicies.projectcalico.org kind'],
      ],
    ]
    for (const [name, asked, facts, expected, note] of rows) {
      it(name, () => {
        const plan = planProbes(asked, facts)
        assert.deepEqual(
          plan.targets.map((t) => `${t.resource}.${t.apiGroup} ${t.purpose}`),
          expected,
        )
        if (note) assert.match(plan.notes.join('\n'), note)
        else assert.deepEqual(plan.notes, [])
      })
    }

    it('the objects select nothing and name the group and version they are sent to', () => {
      const [knp, gnpTarget] = planProbes(null, calico({state: 'aggregated', service: 'x/y'}, true)).targets
      assert.deepEqual(probeObject(knp!, 'kubectl-audit-probe-0a1b', 'default'), {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: {
          name: 'kubectl-audit-probe-0a1b',
          namespace: 'default',
          labels: {'kubectl-audit/probe': 'kubectl-audit-probe-0a1b'},
        },
        spec: {
          podSelector: {matchLabels: {'kubectl-audit/probe': 'kubectl-audit-probe-0a1b'}},
          policyTypes: ['Ingress'],
        },
      })
      assert.deepEqual(probeObject(gnpTarget!, 'kubectl-audit-probe-0a1b', null), {
        apiVersion: 'projectcalico.org/v3',
        kind: 'GlobalNetworkPolicy',
        metadata: {name: 'kubectl-audit-probe-0a1b', labels: {'kubectl-audit/probe': 'kubectl-audit-probe-0a1b'}},
        spec: {selector: "kubectl-audit/probe == 'kubectl-audit-probe-0a1b'", types: ['Ingress']},
      })
    })
  })

  describe('checks', () => {
    const RR_POLICY =
      'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: RequestResponse\n  resources: [{group: networking.k8s.io, resources: [networkpolicies]}]\n- level: Metadata\n'
    const ADMINS_DROPPED =
      'apiVersion: audit.k8s.io/v1\nkind: Policy\nomitStages: [RequestReceived]\nrules:\n- level: None\n  users: [admin]\n- level: RequestResponse\n  resources: [{group: networking.k8s.io, resources: [networkpolicies]}]\n'
    const target = {
      apiGroup: 'networking.k8s.io',
      version: 'v1',
      resource: 'networkpolicies',
      kind: 'NetworkPolicy',
      namespaced: true,
      purpose: 'kind' as const,
    }
    const accepted: DryRunAnswer = {accepted: true, code: 201, echoedAuditID: 'a-1'}
    const record = (more: Partial<ProbeRecord> = {}): ProbeRecord => ({
      source: 'node/cp-1:/var/log/kubernetes/audit/audit.log',
      recorder: 'kube-apiserver',
      auditID: 'a-1',
      matchedBy: 'audit-id',
      level: 'RequestResponse',
      stages: ['ResponseComplete'],
      user: {name: 'admin', groups: ['system:masters']},
      requestBody: true,
      responseBody: true,
      foundAfterMs: 1200,
      ...more,
    })
    const result = (records: ProbeRecord[], answer: DryRunAnswer = accepted): ProbeResult => ({
      target,
      name: 'kubectl-audit-probe-0a1b',
      namespace: 'default',
      auditID: 'a-1',
      answer,
      sentAtMs: 0,
      records,
    })
    const facts = (
      policyText: string | undefined,
      results: ProbeResult[],
      more: Partial<ProbeFacts> = {},
    ): DoctorFacts => {
      const options = doctorOptions(base)
      const probe: ProbeFacts = {
        namespace: 'default',
        timeoutMs: 60_000,
        sources: ['node/cp-1:/var/log/kubernetes/audit/audit.log'],
        queried: false,
        slowServices: [],
        sourceErrors: [],
        results,
        notes: [],
        ...more,
      }
      return {
        mode: 'cluster',
        apiserverSource: 'test',
        apiservers: [],
        discoveryFailures: [],
        policy:
          policyText === undefined
            ? {
                state: 'unavailable',
                reason: 'EKS sets the audit policy of its control plane; it cannot be read',
                command: null,
              }
            : {state: 'loaded', location: 'audit-policy.yaml', loaded: loadPolicy(policyText, undefined)},
        coverage: coverageInputs(options, undefined),
        logTails: new Map(),
        probe,
      }
    }
    const checks = (f: DoctorFacts): Record<string, CheckResult> =>
      Object.fromEntries(
        buildReport(f)
          .checks.filter((c) => c.id.startsWith('audit-probe'))
          .map((c) => [c.id, c]),
      )

    // [name, policy text, results, more facts, audit-probe status and detail, audit-probe-policy status and detail]
    const rows: Array<
      [string, string | undefined, ProbeResult[], Partial<ProbeFacts>, [string, RegExp], [string, RegExp]]
    > = [
      [
        'recorded in full, as the policy says',
        RR_POLICY,
        [result([record()])],
        {},
        ['pass', /^the dry-run create recorded with the bodies diffs need, in 1\.2s at most$/],
        [
          'pass',
          /^every event came as the policy read says: networkpolicies\.networking\.k8s\.io at RequestResponse \(rule 0\)$/,
        ],
      ],
      [
        'a store that keeps no level or stage (GKE), matched by the object: recorded with bodies, and that it came is all there is to compare',
        RR_POLICY,
        [result([record({level: null, stages: null, matchedBy: 'object', source: 'cloud-logging:p/l/c'})])],
        {sources: ['cloud-logging:p/l/c'], queried: true, slowServices: ['Cloud Logging']},
        ['pass', /^the dry-run create recorded with the bodies diffs need, in 1\.2s at most$/],
        [
          'pass',
          /^every event came as the policy read says: networkpolicies\.networking\.k8s\.io recorded \(rule 0; the store keeps no level\)$/,
        ],
      ],
      [
        'no level, no bodies: recorded without bodies, no level made up',
        RR_POLICY,
        [result([record({level: null, stages: null, requestBody: false, responseBody: false})])],
        {},
        [
          'warn',
          /^networkpolicies\.networking\.k8s\.io: recorded without bodies in node\/cp-1:\S+ after 1\.2s: no diffs$/,
        ],
        ['pass', /recorded \(rule 0; the store keeps no level\)$/],
      ],
      [
        'not recorded though the policy says RequestResponse',
        RR_POLICY,
        [result([])],
        {},
        ['fail', /^networkpolicies\.networking\.k8s\.io: not recorded in 60s$/],
        [
          'fail',
          /^networkpolicies\.networking\.k8s\.io: audit-policy\.yaml says RequestResponse \(rule 0\), but nothing came in 60s \(evaluated for jane\.doe@example\.com, the --policy-user: who sent the probes is not known\)$/,
        ],
      ],
      [
        'not recorded, and the policy drops its sender: they agree',
        ADMINS_DROPPED,
        [result([])],
        {sender: {name: 'admin', groups: ['system:masters']}},
        ['fail', /not recorded in 60s/],
        [
          'pass',
          /^every event came as the policy read says: networkpolicies\.networking\.k8s\.io not recorded \(rule 0\)$/,
        ],
      ],
      [
        'recorded, though the policy read drops it: another policy runs',
        ADMINS_DROPPED,
        [result([record()])],
        {},
        ['pass', /recorded/],
        [
          'warn',
          /^networkpolicies\.networking\.k8s\.io: recorded at RequestResponse, but audit-policy\.yaml says not recorded \(rule 0\)$/,
        ],
      ],
      [
        'no policy to compare with (a managed provider): the probe alone speaks',
        undefined,
        [result([record({level: 'Metadata', requestBody: false, responseBody: false})])],
        {},
        [
          'warn',
          /^networkpolicies\.networking\.k8s\.io: recorded at Metadata without bodies in node\/cp-1:\/var\/log\/kubernetes\/audit\/audit\.log after 1\.2s: no diffs$/,
        ],
        [
          'skip',
          /^no policy to compare with: the policy was not read \(EKS sets the audit policy of its control plane; it cannot be read\)$/,
        ],
      ],
      [
        'refused: not waited for, nothing to compare',
        RR_POLICY,
        [result([], {accepted: false, code: 403, message: 'forbidden', echoedAuditID: null})],
        {},
        [
          'warn',
          /^networkpolicies\.networking\.k8s\.io: refused \(403: forbidden\); the probe needs "create networkpolicies\.networking\.k8s\.io" in namespace default$/,
        ],
        ['skip', /^nothing to compare: no probe was accepted \(see audit-probe\)$/],
      ],
      [
        'the server kept another Audit-ID: said',
        RR_POLICY,
        [result([record({auditID: 'b-2'})], {accepted: true, code: 201, echoedAuditID: 'b-2'})],
        {},
        [
          'pass',
          /; networkpolicies\.networking\.k8s\.io: the server answered with Audit-ID b-2, not ours; looked for both$/,
        ],
        ['pass', /at RequestResponse/],
      ],
      [
        'the log could not be read: nothing sent',
        RR_POLICY,
        [],
        {
          unreadable: {
            reason: 'permission denied: "get nodes/proxy"',
            hint: 'check with: kubectl auth can-i get nodes/proxy',
          },
        },
        ['skip', /^nothing sent: the audit log cannot be read: permission denied: "get nodes\/proxy"$/],
        ['skip', /^nothing was probed \(see audit-probe\)$/],
      ],
    ]
    for (const [name, policy, results, more, [probeStatus, probeDetail], [policyStatus, policyDetail]] of rows) {
      it(name, () => {
        const found = checks(facts(policy, results, more))
        assert.equal(found['audit-probe']!.status, probeStatus, found['audit-probe']!.detail)
        assert.match(found['audit-probe']!.detail, probeDetail)
        assert.equal(found['audit-probe-policy']!.status, policyStatus, found['audit-probe-policy']!.detail)
        assert.match(found['audit-probe-policy']!.detail, policyDetail)
      })
    }

    it('a namespace that does not exist is said as such; a read that failed is said with a probe not found', () => {
      const missing = checks(
        facts(RR_POLICY, [
          result([], {accepted: false, code: 404, message: 'namespaces "team-x" not found', echoedAuditID: 'a-1'}),
        ]),
      )
      assert.equal(
        missing['audit-probe']!.detail,
        'networkpolicies.networking.k8s.io: refused (404: namespaces "team-x" not found): no such namespace',
      )
      assert.equal(missing['audit-probe']!.remedy, 'name an existing namespace with --probe-namespace')
      const failed = checks(
        facts(RR_POLICY, [result([])], {sourceErrors: ['node/cp-2:/var/log/audit.log: connection reset']}),
      )
      assert.equal(
        failed['audit-probe']!.detail,
        'networkpolicies.networking.k8s.io: not recorded in 60s (reading failed: node/cp-2:/var/log/audit.log: connection reset)',
      )
    })

    it('a log service: the remedy names it and suggests a longer timeout; a store: its shipper', () => {
      const found = checks(facts(RR_POLICY, [result([])], {queried: true, slowServices: ['CloudWatch Logs']}))
      assert.match(
        found['audit-probe']!.remedy ?? '',
        /; CloudWatch Logs can take minutes to show an event: try a longer --probe-timeout \(5m\)$/,
      )
      const store = checks(facts(RR_POLICY, [result([])], {queried: true, sources: ['loki:http://loki:3100']}))
      assert.match(
        store['audit-probe']!.remedy ?? '',
        /; check that the log shipper runs and sends the audit log to the store$/,
      )
    })

    it('the report carries the probe (JSON contract: a field added), and a failed probe fails the run', () => {
      const report = buildReport(facts(RR_POLICY, [result([])]))
      assert.equal(exitCodeOf(report), 1)
      assert.deepEqual(Object.keys(report), ['apiVersion', 'kind', 'target', 'checks', 'coverage', 'probe'])
      assert.deepEqual(Object.keys(report.probe!.results[0]!), [
        'apiGroup',
        'resource',
        'kind',
        'namespace',
        'name',
        'purpose',
        'auditID',
        'echoedAuditID',
        'code',
        'accepted',
        'refusal',
        'recorded',
        'records',
      ])
      const without = buildReport({...facts(RR_POLICY, []), probe: undefined})
      assert.equal(without.probe, null)
      assert.ok(!without.checks.some((c) => c.id.startsWith('audit-probe')), 'no probe checks without --probe')
    })
  })
})
