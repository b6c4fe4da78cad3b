// doctor offline, as a user runs it on a control-plane node: manifests and policies from files,
// apiserver pods as the API returns them, exit codes, output formats, colour, and hostile input.
// (The same runs on real third-party pods and policies: test/real.)
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {parse as parseYaml} from 'yaml'

import type {DoctorReport} from '../../src/commands/doctor.js'
import {runCli} from '../support/cli.js'
import {recentLog, stageTimeOf} from '../support/cluster-logs.js'

const PODS = 'test/fixtures/apiserver-pods'
const POLICIES = 'test/fixtures/policies'

/**
 * A kubeadm static pod manifest as kubeadm writes it, with the audit recipe from kubernetes.io;
 * the log directory is mounted from `logHostDir` (Kubespray's differs from the container's).
 */
function kubeadmManifest(
  policyHostPath: string,
  extraFlags: string[] = [],
  logHostDir = '/var/log/kubernetes/audit/',
): string {
  return `apiVersion: v1
kind: Pod
metadata:
  name: kube-apiserver
  namespace: kube-system
  labels: {component: kube-apiserver, tier: control-plane}
  annotations: {kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint: "10.0.0.10:6443"}
spec:
  hostNetwork: true
  containers:
  - name: kube-apiserver
    image: registry.k8s.io/kube-apiserver:v1.31.2
    command:
    - kube-apiserver
    - --advertise-address=10.0.0.10
    - --audit-log-maxage=30
    - --audit-log-maxbackup=10
    - --audit-log-maxsize=100
    - --audit-log-path=/var/log/kubernetes/audit/audit.log
    - --audit-policy-file=/etc/kubernetes/audit-policy.yaml
${extraFlags.map((f) => `    - ${f}`).join('\n')}
    volumeMounts:
    - {name: audit, mountPath: /etc/kubernetes/audit-policy.yaml, readOnly: true}
    - {name: audit-log, mountPath: /var/log/kubernetes/audit/}
  volumes:
  - name: audit
    hostPath: {path: ${policyHostPath}, type: File}
  - name: audit-log
    hostPath: {path: ${logHostDir}, type: DirectoryOrCreate}
`
}

describe('doctor offline (CLI)', () => {
  let dir: string
  let recommended: string
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'doctor-offline-'))
    const printed = await runCli(['doctor', '--print-policy'])
    assert.equal(printed.code, 0, printed.stderr)
    recommended = join(dir, 'recommended.yaml')
    writeFileSync(recommended, printed.stdout)
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  const write = (name: string, text: string): string => {
    const file = join(dir, name)
    writeFileSync(file, text)
    return file
  }
  const statusOf = (report: DoctorReport, id: string) => report.checks.find((c) => c.id === id)?.status

  it('--print-policy: a policy doctor passes with full coverage and no failing check', async () => {
    const manifest = write('kube-apiserver.yaml', kubeadmManifest('/etc/kubernetes/audit-policy.yaml'))
    const result = await runCli(['doctor', '--manifest', manifest, '--policy-file', recommended, '-o', 'json'])
    assert.equal(result.code, 0, result.stdout)
    const report = JSON.parse(result.stdout) as DoctorReport
    assert.deepEqual(
      report.checks.filter((c) => c.status === 'fail' || c.status === 'warn'),
      [],
    )
    assert.ok(report.coverage.length >= 110)
    assert.ok(
      report.coverage.every((row) => row.level === 'RequestResponse' && row.omitStages.join() === 'RequestReceived'),
    )
    assert.equal(report.target.kubernetesVersion, '1.31', 'read from the image tag')
    assert.equal(report.target.apiservers[0].auditLog?.hostPath, '/var/log/kubernetes/audit/audit.log')
  })

  it('--print-policy -o json prints the same policy as JSON; -o yaml as the default YAML', async () => {
    const json = await runCli(['doctor', '--print-policy', '-o', 'json'])
    assert.equal(json.code, 0, json.stderr)
    assert.deepEqual(JSON.parse(json.stdout), parseYaml(readFileSync(recommended, 'utf8')))
    assert.equal((await runCli(['doctor', '--print-policy', '-o', 'yaml'])).stdout, readFileSync(recommended, 'utf8'))
  })

  it('matches the copy kept in examples/policies', () => {
    assert.equal(readFileSync(recommended, 'utf8'), readFileSync('examples/policies/recommended.yaml', 'utf8'))
  })

  it('reads the policy the manifest names when it is on this machine', async () => {
    const manifest = write('named.yaml', kubeadmManifest(recommended))
    const result = await runCli(['doctor', '--manifest', manifest, '-o', 'json'])
    const report = JSON.parse(result.stdout) as DoctorReport
    assert.equal(statusOf(report, 'policy-readable'), 'pass')
    assert.match(report.target.policy ?? '', /named by the manifest/)
    assert.equal(result.code, 0)
  })

  it('says how to get the policy when the file is on another machine', async () => {
    const manifest = write('elsewhere.yaml', kubeadmManifest('/nonexistent/audit-policy.yaml'))
    const result = await runCli(['doctor', '--manifest', manifest, '-o', 'json'])
    const check = (JSON.parse(result.stdout) as DoctorReport).checks.find((c) => c.id === 'policy-readable')
    assert.equal(check?.status, 'skip')
    assert.match(check?.remedy ?? '', /copy \/nonexistent\/audit-policy\.yaml .*--policy-file/)
  })

  it('audit-log-fresh: reads the end of the log the manifest names when it is on this machine', async () => {
    const logDir = join(dir, 'audit-logs')
    mkdirSync(logDir)
    const manifest = write('with-log.yaml', kubeadmManifest('/etc/kubernetes/audit-policy.yaml', [], logDir))
    const fresh = async () =>
      (JSON.parse((await runCli(['doctor', '--manifest', manifest, '-o', 'json'])).stdout) as DoctorReport).checks.find(
        (c) => c.id === 'audit-log-fresh',
      )
    const notHere = await fresh()
    assert.equal(notHere?.status, 'skip')
    assert.equal(notHere?.detail, `offline: ${logDir}/audit.log is not on this machine`)
    assert.equal(notHere?.remedy, `on the control-plane node: sudo tail -n 1 ${logDir}/audit.log`)
    const stale = recentLog(1, 2 * 3600_000)
    writeFileSync(join(logDir, 'audit.log'), stale)
    const newest = new Date(Math.max(...stale.split('\n').filter(Boolean).map(stageTimeOf))).toISOString()
    const result = await fresh()
    assert.equal(result?.status, 'warn')
    assert.match(result?.detail ?? '', /^newest event 2h0[01]m old/)
    assert.ok(
      result?.detail.endsWith(`(${newest}) in ${logDir}/audit.log: nothing written for over an hour`),
      result?.detail,
    )
  })

  it('reports "- --audit-log-maxage =30" (one YAML list item), as kube-apiserver would refuse it', async () => {
    const manifest = write(
      'space.yaml',
      kubeadmManifest('/etc/kubernetes/audit-policy.yaml', ['--audit-log-maxage =30']),
    )
    const result = await runCli(['doctor', '--manifest', manifest, '-o', 'json'])
    const report = JSON.parse(result.stdout) as DoctorReport
    const [apiserver] = report.target.apiservers
    assert.deepEqual(
      Object.keys(apiserver!.auditFlags).filter((name) => /\s/.test(name)),
      [],
    )
    assert.deepEqual(apiserver!.flagProblems, [
      '"--audit-log-maxage =30": kube-apiserver does not start: unknown flag "--audit-log-maxage " (a space inside one argument); write --audit-log-maxage=30',
    ])
    assert.equal(statusOf(report, 'audit-log-retention'), 'fail')
    assert.equal(result.code, 1)
  })

  // Pods as `kubectl get pod -o json` prints them: [file, exit code, failing checks]
  const pods: Array<[string, number, string[]]> = [
    ['kubeadm-no-audit.json', 1, ['audit-policy-file', 'audit-backend']],
    ['kubeadm-relative-policy.json', 1, ['audit-backend', 'audit-policy-mount']],
    ['rke2-args-no-audit.json', 1, ['audit-policy-file', 'audit-backend']],
    ['rke2-args-policy-unmounted.json', 1, ['audit-backend', 'audit-policy-mount']],
  ]
  for (const [file, code, failing] of pods) {
    it(`${file}: fails ${failing.join(', ')}`, async () => {
      const result = await runCli(['doctor', '--manifest', `${PODS}/${file}`, '-o', 'json'])
      assert.equal(result.code, code, result.stderr)
      const report = JSON.parse(result.stdout) as DoctorReport
      assert.deepEqual(
        report.checks.filter((c) => c.status === 'fail').map((c) => c.id),
        failing,
      )
    })
  }

  it('reads `kubectl get pods -o yaml` output (a List of several apiservers)', async () => {
    const pod = JSON.parse(readFileSync(`${PODS}/rke2-args-policy-unmounted.json`, 'utf8')) as {
      metadata: {name: string}
      spec: {nodeName: string}
    }
    const second = {
      ...pod,
      metadata: {...pod.metadata, name: 'kube-apiserver-srv-2'},
      spec: {...pod.spec, nodeName: 'srv-2'},
    }
    const list = write(
      'list.yaml',
      `apiVersion: v1\nkind: List\nitems:\n${[pod, second].map((p) => `- ${JSON.stringify(p)}`).join('\n')}\n`,
    )
    const report = JSON.parse((await runCli(['doctor', '--manifest', list, '-o', 'json'])).stdout) as DoctorReport
    assert.deepEqual(
      report.target.apiservers.map((a) => a.node),
      ['srv-1', 'srv-2'],
    )
  })

  it('exits 1 on a policy that records nothing', async () => {
    const result = await runCli(['doctor', '--offline', '--policy-file', `${POLICIES}/records-nothing.yaml`])
    assert.equal(result.code, 1)
    assert.match(result.stdout, /policy-coverage\s+✗ fail\s+110 of 110 writes not recorded/)
  })

  it('prints YAML that is the same document as the JSON', async () => {
    const args = ['doctor', '--offline', '--policy-file', `${POLICIES}/known-groups-request-response.yaml`]
    const json = JSON.parse((await runCli([...args, '-o', 'json'])).stdout) as unknown
    const yaml = parseYaml((await runCli([...args, '-o', 'yaml'])).stdout) as unknown
    assert.deepEqual(yaml, json)
  })

  it('table: marks, remedies and the coverage matrix; colour only when asked', async () => {
    const args = ['doctor', '--offline', '--policy-file', `${POLICIES}/metadata-for-the-rest.yaml`]
    const plain = await runCli(args)
    assert.match(plain.stdout, /^CHECK\s+STATUS\s+DETAIL$/m)
    assert.match(plain.stdout, /^policy-coverage\s+! warn\s+110 of 110 writes recorded without bodies/m)
    assert.match(plain.stdout, /^\s+→ put a RequestResponse rule/m)
    assert.match(
      plain.stdout,
      /^networkpolicies\.networking\.k8s\.io\s+Meta #6\s+Meta #6\s+Meta #6\s+Meta #6\s+Meta #6$/m,
    )
    // extensions stopped serving network policies in 1.16: its one resource is left out.
    assert.match(plain.stdout, /; 1 resource of a group not served here is left out \(see -o wide\)$/m)
    assert.doesNotMatch(plain.stdout, /\u001b\[/, 'no colour when not a terminal (and NO_COLOR is set)')
    const coloured = await runCli([...args, '--color', 'always'])
    assert.match(coloured.stdout, /\u001b\[33m! warn\u001b\[39m/)
    const never = await runCli([...args, '--color', 'never'], {env: {NO_COLOR: ''}})
    assert.doesNotMatch(never.stdout, /\u001b\[/)
  })

  it('-o wide lists the probes that differ, and every output says where the lowest level was found', async () => {
    const policy = write(
      'ns.yaml',
      'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: None\n  namespaces: [kube-system]\n- level: RequestResponse\n',
    )
    const result = await runCli(['doctor', '--offline', '--policy-file', policy, '-o', 'wide'])
    assert.match(result.stdout, /networkpolicies\.networking\.k8s\.io\s+None #0\*/)
    assert.match(
      result.stdout,
      /^networkpolicies\.networking\.k8s\.io\s+create\s+ns kube-system \(reported\)\s+None\s+0\s+-$/m,
    )
    assert.match(result.stdout, /ns default\s+RequestResponse\s+1\s+-/)
    // Cluster-scoped resources do not differ: no namespace to name.
    assert.match(result.stdout, /^tiers\.projectcalico\.org\s+create\s+\(reported\)\s+RequestResponse\s+1\s+-$/m)
    assert.match(
      result.stdout,
      /^policy-coverage\s+✗ fail\s+45 of 110 writes not recorded: .* in kube-system at None \(rule 0\)$/m,
    )
    const report = JSON.parse(
      (await runCli(['doctor', '--offline', '--policy-file', policy, '-o', 'json'])).stdout,
    ) as DoctorReport
    const row = report.coverage.find((r) => r.apiGroup === 'networking.k8s.io' && r.verb === 'create')
    assert.deepEqual(row?.where, {namespace: 'kube-system', name: null})
  })

  it('a policy kube-apiserver refuses gets no coverage verdict and no matrix, only what it would do once it loads', async () => {
    const policy = write(
      'wildcard-group.yaml',
      'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: RequestResponse\n  resources: [{group: "*", resources: ["*"]}]\n- level: Metadata\n',
    )
    const run = (version: string, ...extra: string[]) =>
      runCli(['doctor', '--offline', '--policy-file', policy, '--kubernetes-version', version, ...extra])
    const refused = JSON.parse((await run('1.35', '-o', 'json')).stdout) as DoctorReport
    assert.equal(statusOf(refused, 'policy-valid'), 'fail')
    const coverage = refused.checks.find((c) => c.id === 'policy-coverage')
    assert.equal(coverage?.status, 'skip')
    assert.equal(
      coverage?.detail,
      'kube-apiserver would not start with this policy (see policy-valid), so nothing is recorded; once it loads: all 110 writes recorded at RequestResponse',
    )
    assert.deepEqual(refused.coverage, [])
    const table = await run('1.35')
    assert.equal(table.code, 1)
    assert.doesNotMatch(table.stdout, /^Coverage:/m)
    // From 1.36 the "*" group is valid: the same policy loads and records everything.
    const loaded = JSON.parse((await run('1.36', '-o', 'json')).stdout) as DoctorReport
    assert.equal(statusOf(loaded, 'policy-coverage'), 'pass')
    assert.ok(loaded.coverage.length >= 110 && loaded.coverage.every((r) => r.level === 'RequestResponse'))
  })

  it('--policy-group adds a group: the user stays in system:authenticated, as the apiserver makes it', async () => {
    const policy = write(
      'authenticated.yaml',
      'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: RequestResponse\n  userGroups: [system:authenticated]\n- level: None\n',
    )
    const result = await runCli(['doctor', '--offline', '--policy-file', policy, '--policy-group', 'ops', '-o', 'json'])
    const report = JSON.parse(result.stdout) as DoctorReport
    assert.deepEqual(report.target.identity.groups, ['ops', 'system:authenticated'])
    assert.equal(statusOf(report, 'policy-coverage'), 'pass')
  })

  it('never prints terminal control characters from a policy or a manifest', async () => {
    const policy = write(
      'evil-policy.yaml',
      'apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  "bad\\e[2J\\u202efield": 1\n',
    )
    const manifest = write('evil-manifest.yaml', kubeadmManifest('/x', ['"--audit-log-format=\\e]0;owned\\a"']))
    const result = await runCli(['doctor', '--manifest', manifest, '--policy-file', policy])
    assert.doesNotMatch(result.stdout, /[\u001b\u0007\u202e]/)
    // Shown escaped, never deleted: what was hidden in the value stays in sight.
    assert.match(result.stdout, /unknown field "bad\\x1b\[2J\\u202efield"/)
    assert.match(result.stdout, /^audit-log-format\s+✗ fail\s+--audit-log-format=\\x1b\]0;owned\\x07 is not a format/m)
  })

  it('exits 2 on a manifest whose YAML aliases cannot be resolved, naming the file', async () => {
    const result = await runCli([
      'doctor',
      '--manifest',
      write('alias.yaml', 'apiVersion: v1\nkind: Pod\nspec: *nowhere\n'),
    ])
    assert.equal(result.code, 2, result.stderr)
    assert.match(result.stderr, /^error: the manifest ".*alias\.yaml" is not valid YAML or JSON: .*alias/)
    assert.equal(result.stdout, '')
  })

  it('refuses a policy that fans one anchor out through 999 aliases, as the apiserver does, at once', async () => {
    const users = Array.from({length: 100_000}, (_, i) => `u${i}`).join(', ')
    const policy = write(
      'alias-bomb.yaml',
      `apiVersion: audit.k8s.io/v1\nkind: Policy\nrules:\n- level: Metadata\n  users: &u [${users}]\n${'- level: Metadata\n  users: *u\n'.repeat(999)}`,
    )
    const result = await runCli(['doctor', '--offline', '--policy-file', policy, '-o', 'json'])
    const report = JSON.parse(result.stdout) as DoctorReport
    const valid = report.checks.find((c) => c.id === 'policy-valid')!
    assert.equal(valid.status, 'fail')
    assert.match(valid.detail, /document contains excessive aliasing .*kube-apiserver would not start/)
  })

  it('exits 2 on a manifest that is an alias bomb, or larger than 1 MiB; and on a policy file larger than 1 MiB', async () => {
    const bomb = write(
      'bomb-manifest.yaml',
      `a: &a [${Array(1000).fill('x').join(', ')}]\nb: [${Array(1000).fill('*a').join(', ')}]\n`,
    )
    const aliased = await runCli(['doctor', '--manifest', bomb])
    assert.equal(aliased.code, 2)
    assert.match(
      aliased.stderr,
      /^error: the manifest ".*bomb-manifest\.yaml" is not valid YAML or JSON: document contains excessive aliasing/,
    )
    const huge = write('huge.yaml', `# ${'x'.repeat(1024 * 1024)}\n`)
    const manifest = await runCli(['doctor', '--manifest', huge])
    assert.equal(manifest.code, 2)
    assert.match(
      manifest.stderr,
      /^error: the manifest ".*huge\.yaml" is larger than 1 MiB: a kube-apiserver manifest is a few KiB\nhint: /,
    )
    const policy = await runCli(['doctor', '--offline', '--policy-file', huge])
    assert.equal(policy.code, 2)
    assert.match(
      policy.stderr,
      /^error: the policy file ".*huge\.yaml" is larger than 1 MiB: an audit policy is a few KiB\nhint: /,
    )
  })

  it('reads at most 1 MiB of an endless --manifest (/dev/zero), and says so', async function () {
    if (!existsSync('/dev/zero')) this.skip()
    const result = await runCli(['doctor', '--manifest', '/dev/zero'])
    assert.equal(result.code, 2)
    assert.match(result.stderr, /^error: the manifest "\/dev\/zero" is larger than 1 MiB/)
  })

  // Bad input: one line, exit 2, no stack.
  const bad: Array<[string, string[], RegExp]> = [
    ['a missing manifest', ['--manifest', 'nope.yaml'], /cannot read the manifest "nope\.yaml": no such file/],
    [
      'a manifest without an apiserver',
      ['--manifest', `${POLICIES}/one-metadata-rule.yaml`],
      /no kube-apiserver Pod in the manifest/,
    ],
    ['a missing policy file', ['--offline', '--policy-file', 'nope.yaml'], /cannot read the policy file "nope\.yaml"/],
    [
      'a bad version',
      ['--offline', '--kubernetes-version', 'latest'],
      /--kubernetes-version "latest" is not a version/,
    ],
    ['an ambiguous --resource', ['--offline', '--resource', 'networkpolicies'], /served by several groups/],
    ['an unknown output', ['--offline', '-o', 'xml'], /Expected --output=xml to be one of/],
    ['an empty --policy-group', ['--offline', '--policy-group', ''], /^error: --policy-group is empty$/m],
    [
      '--verbs "*"',
      ['--offline', '--policy-file', `${POLICIES}/known-groups-request-response.yaml`, '--verbs', '*'],
      /^error: --verbs "\*" is not a verb/m,
    ],
    [
      '--print-policy with a manifest',
      ['--print-policy', '--manifest', 'kube-apiserver.yaml'],
      /^error: --print-policy does not check anything, so it takes no --manifest\nhint: .*--policy-file audit-policy\.yaml$/m,
    ],
    [
      '--print-policy -o wide',
      ['--print-policy', '-o', 'wide'],
      /^error: --print-policy prints YAML, or JSON with -o json: -o wide does not apply$/m,
    ],
    [
      '--offline with nothing to check',
      ['--offline'],
      /^error: --offline needs something to check: neither --manifest nor --policy-file is given\n.*--manifest \/etc\/kubernetes\/manifests\/kube-apiserver\.yaml/m,
    ],
  ]
  for (const [name, args, message] of bad) {
    it(`exits 2 on ${name}`, async () => {
      const result = await runCli(['doctor', ...args])
      assert.equal(result.code, 2, result.stderr)
      assert.match(result.stderr, message)
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace')
      assert.equal(result.stdout, '')
    })
  }
})
