// The real apiserver pods (kubescape regolibrary's test inputs): the same reading as
// test/unit/doctor-apiservers.test.ts, on other projects' files.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'

import {apiserverFromPod, mapContainerPath, type PodLike} from '../../src/cluster/apiservers.js'
import {PODS} from './fixtures.js'

const pod = (file: string) => JSON.parse(readFileSync(`${PODS}/${file}`, 'utf8')) as PodLike

describe('the real apiserver pods (kubescape regolibrary fixtures)', () => {
  // [file, distribution, --audit-policy-file, where the flags are]
  const rows: Array<[string, string, string | undefined, string]> = [
    ['kubescape-test-failed.json', 'kubeadm', undefined, 'command (minikube, kubeadm annotations)'],
    ['kubescape-test-passed.json', 'kubeadm', 'randomfile', 'command'],
    ['kubescape-rke2-args-fail.json', 'rke2', undefined, 'args (command is just kube-apiserver)'],
    ['kubescape-rke2-args.json', 'rke2', 'randomfile', 'args'],
  ]
  for (const [file, distribution, policyFile, where] of rows) {
    it(`${file}: flags in ${where}`, () => {
      const apiserver = apiserverFromPod(pod(file))
      assert.equal(apiserver.distribution, distribution)
      assert.equal(apiserver.flags['audit-policy-file'], policyFile)
      assert.equal(apiserver.flags['authorization-mode'], 'Node,RBAC')
      assert.deepEqual(apiserver.flagProblems, [])
      assert.equal(apiserver.auditLog, null)
      assert.equal(apiserver.name, 'kube-system/' + (pod(file).metadata?.name ?? ''))
    })
  }

  it('maps the minikube certificate directory through its hostPath volume', () => {
    const apiserver = apiserverFromPod(pod('kubescape-test-passed.json'))
    assert.equal(
      mapContainerPath(apiserver.mounts, '/var/lib/minikube/certs/ca.crt').hostPath,
      '/var/lib/minikube/certs/ca.crt',
    )
    // "randomfile" is relative: it names a file inside the container's working directory.
    assert.equal(apiserver.policyFile?.hostPath, null)
  })
})
