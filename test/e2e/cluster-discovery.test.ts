// Each run asks the API about the control plane once, whichever command runs and whatever it
// finds: the nodes are listed once, /version and the apiserver pods are asked at most once.
import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {kubeadmApiserverPod} from '../support/apiserver-pods.js'
import {runCli} from '../support/cli.js'
import {exampleLines, joinLines, KUBEADM_LOG, writeOnNode} from '../support/cluster-logs.js'
import {type FakeApiserver, type FakeNode, startFakeApiserver} from '../support/fake-apiserver/index.js'

describe('control plane discovery', function () {
  this.timeout(60_000)
  let fake: FakeApiserver | undefined
  const roots: string[] = []
  const node = (
    name: string,
    labels: Record<string, string> = {'node-role.kubernetes.io/control-plane': ''},
  ): FakeNode => {
    const root = mkdtempSync(join(tmpdir(), `node-${name}-`))
    roots.push(root)
    return {name, root, labels}
  }
  afterEach(async () => {
    await fake?.close()
    fake = undefined
    for (const root of roots.splice(0)) rmSync(root, {recursive: true, force: true})
  })

  /** How many times each lookup was asked: nodes, /version, apiserver pods (once per label selector). */
  const asked = (f: FakeApiserver) => ({
    nodes: f.requests.filter((r) => r.method === 'GET' && r.path === '/api/v1/nodes').length,
    version: f.requests.filter((r) => r.path === '/version').length,
    apiserverPods: f.requests.filter(
      (r) => r.path === '/api/v1/namespaces/kube-system/pods' && /kube-apiserver/.test(decodeURIComponent(r.query)),
    ).length,
  })

  // [name, nodes, objects, arguments, exit code, lookups asked]
  const rows: Array<[string, () => FakeNode[], object[], string[], number, ReturnType<typeof asked>]> = [
    [
      'policies, an apiserver found',
      () => [node('cp-1')],
      [kubeadmApiserverPod('cp-1')],
      ['policies', '--since', 'all'],
      0,
      {nodes: 1, version: 0, apiserverPods: 2},
    ],
    [
      'policies, no apiserver found: the version and the nodes tell a managed control plane',
      () => [node('worker-1', {})],
      [],
      ['policies'],
      2,
      {nodes: 1, version: 1, apiserverPods: 2},
    ],
    [
      'policies --log-path: the apiserver pods name the nodes',
      () => [node('cp-1')],
      [kubeadmApiserverPod('cp-1')],
      ['policies', '--log-path', KUBEADM_LOG, '--since', 'all'],
      0,
      {nodes: 1, version: 0, apiserverPods: 2},
    ],
    [
      'doctor, an apiserver found',
      () => [node('cp-1')],
      [kubeadmApiserverPod('cp-1')],
      ['doctor', '--policy-file', 'examples/policies/recommended.yaml'],
      0,
      {nodes: 1, version: 1, apiserverPods: 2},
    ],
    [
      'doctor, no apiserver found: the nodes tell a managed control plane',
      () => [node('worker-1', {'eks.amazonaws.com/nodegroup': 'ng-1'})],
      [],
      ['doctor', '--policy-file', 'examples/policies/recommended.yaml'],
      0,
      {nodes: 1, version: 1, apiserverPods: 2},
    ],
  ]
  for (const [name, nodes, objects, args, code, expected] of rows) {
    it(name, async () => {
      const onNodes = nodes()
      for (const n of onNodes) writeOnNode(n.root, KUBEADM_LOG, joinLines(exampleLines()))
      const f = (fake = await startFakeApiserver({nodes: onNodes, objects, version: {gitVersion: 'v1.31.2'}}))
      const result = await runCli([...args, '--kubeconfig', f.kubeconfigPath, '-o', 'json'])
      assert.equal(result.code, code, result.stderr)
      assert.deepEqual(asked(f), expected)
    })
  }
})
