// doctor offline on real third-party files: the kube-apiserver pods of kubescape's regolibrary
// tests and real-world policies (the same runs as test/integration/doctor-offline.test.ts, on
// other projects' files).
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {parse as parseYaml} from 'yaml'

import type {DoctorReport} from '../../src/commands/doctor.js'
import {runCli} from '../support/cli.js'
import {PODS, POLICIES} from './fixtures.js'

describe('doctor offline on real pods and policies (CLI)', () => {
  let dir: string
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'doctor-offline-real-'))
  })
  after(() => rmSync(dir, {recursive: true, force: true}))

  const write = (name: string, text: string): string => {
    const file = join(dir, name)
    writeFileSync(file, text)
    return file
  }

  // The real pods: [file, exit code, failing checks]
  const pods: Array<[string, number, string[]]> = [
    ['kubescape-test-failed.json', 1, ['audit-policy-file', 'audit-backend']],
    ['kubescape-test-passed.json', 1, ['audit-backend', 'audit-policy-mount']],
    ['kubescape-rke2-args-fail.json', 1, ['audit-policy-file', 'audit-backend']],
    ['kubescape-rke2-args.json', 1, ['audit-backend', 'audit-policy-mount']],
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
    const pod = JSON.parse(readFileSync(`${PODS}/kubescape-rke2-args.json`, 'utf8')) as {
      metadata: {name: string}
      spec: {nodeName: string}
    }
    const second = {
      ...pod,
      metadata: {...pod.metadata, name: 'kube-apiserver-rke2-server-2'},
      spec: {...pod.spec, nodeName: 'rke2-server-2'},
    }
    const list = write(
      'list.yaml',
      `apiVersion: v1\nkind: List\nitems:\n${[pod, second].map((p) => `- ${JSON.stringify(p)}`).join('\n')}\n`,
    )
    const report = JSON.parse((await runCli(['doctor', '--manifest', list, '-o', 'json'])).stdout) as DoctorReport
    assert.deepEqual(
      report.target.apiservers.map((a) => a.node),
      ['rke2-server', 'rke2-server-2'],
    )
  })

  it('exits 1 on a policy that records nothing (RKE2 default)', async () => {
    const result = await runCli(['doctor', '--offline', '--policy-file', `${POLICIES}/rke2-default.yaml`])
    assert.equal(result.code, 1)
    assert.match(result.stdout, /policy-coverage\s+✗ fail\s+110 of 110 writes not recorded/)
  })

  it('prints YAML that is the same document as the JSON', async () => {
    const args = ['doctor', '--offline', '--policy-file', `${POLICIES}/gce-rendered.yaml`]
    const json = JSON.parse((await runCli([...args, '-o', 'json'])).stdout) as unknown
    const yaml = parseYaml((await runCli([...args, '-o', 'yaml'])).stdout) as unknown
    assert.deepEqual(yaml, json)
  })

  it('table: marks, remedies and the coverage matrix; colour only when asked', async () => {
    const args = ['doctor', '--offline', '--policy-file', `${POLICIES}/k8s-website-example.yaml`]
    const plain = await runCli(args)
    assert.match(plain.stdout, /^CHECK\s+STATUS\s+DETAIL$/m)
    assert.match(plain.stdout, /^policy-coverage\s+! warn\s+110 of 110 writes recorded without bodies/m)
    assert.match(plain.stdout, /^\s+→ put a RequestResponse rule/m)
    assert.match(
      plain.stdout,
      /^networkpolicies\.networking\.k8s\.io\s+Meta #8\s+Meta #8\s+Meta #8\s+Meta #8\s+Meta #8$/m,
    )
    // extensions stopped serving network policies in 1.16: its one resource is left out.
    assert.match(plain.stdout, /; 1 resource of a group not served here is left out \(see -o wide\)$/m)
    assert.doesNotMatch(plain.stdout, /\u001b\[/, 'no colour when not a terminal (and NO_COLOR is set)')
    const coloured = await runCli([...args, '--color', 'always'])
    assert.match(coloured.stdout, /\u001b\[33m! warn\u001b\[39m/)
    const never = await runCli([...args, '--color', 'never'], {env: {NO_COLOR: ''}})
    assert.doesNotMatch(never.stdout, /\u001b\[/)
  })

  for (const [name, args, message] of [
    [
      'a manifest without an apiserver',
      ['--manifest', `${POLICIES}/talos-default.yaml`],
      /no kube-apiserver Pod in the manifest/,
    ],
    [
      '--verbs "*"',
      ['--offline', '--policy-file', `${POLICIES}/gce-rendered.yaml`, '--verbs', '*'],
      /^error: --verbs "\*" is not a verb/m,
    ],
  ] as Array<[string, string[], RegExp]>) {
    it(`exits 2 on ${name}`, async () => {
      const result = await runCli(['doctor', ...args])
      assert.equal(result.code, 2, result.stderr)
      assert.match(result.stderr, message)
      assert.doesNotMatch(result.stderr, /\n\s+at /, 'no stack trace')
      assert.equal(result.stdout, '')
    })
  }
})
