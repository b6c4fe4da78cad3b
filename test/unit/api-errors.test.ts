import assert from 'node:assert/strict'

import {ApiException} from '@kubernetes/client-node'

import {type ApiAttempt, apiErrorToUserError, HttpStatusError} from '../../src/cluster/api-errors.js'
import {UserError} from '../../src/errors.js'

const server = 'https://10.0.0.1:6443'
const proxy: ApiAttempt = {verb: 'get', resource: 'nodes/proxy', purpose: 'read the audit log on node cp-1', server}
const exec: ApiAttempt = {verb: 'get,create', resource: 'pods/exec', namespace: 'kube-system', purpose: 'read files through the reader pod on node cp-1', server}
const createPod: ApiAttempt = {verb: 'create', resource: 'pods', namespace: 'kube-system', purpose: 'start a reader pod on node cp-1', server}

const status = (code: number, message: string) => JSON.stringify({kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code})
const networkError = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.1:6443`), {code})

describe('apiErrorToUserError', () => {
  const cases: Array<[string, unknown, ApiAttempt, string, string | undefined]> = [
    ['401 from client-node', new ApiException(401, 'Unauthorized', undefined, {}), proxy,
      `the API server at ${server} rejected the credentials (401 Unauthorized)`,
      'log in again or refresh the kubeconfig credentials (they may have expired), or choose another context'],
    ['403 on nodes/proxy', new HttpStatusError(403, status(403, 'nodes "cp-1" is forbidden: User "alice" cannot get resource "nodes/proxy"')), proxy,
      'permission denied: "get nodes/proxy" (cluster-wide) is needed to read the audit log on node cp-1',
      'check with: kubectl auth can-i get nodes/proxy'],
    ['403 on a WebSocket exec upgrade', new Error('Unexpected server response: 403'), exec,
      'permission denied: "get,create pods/exec" in namespace "kube-system" is needed to read files through the reader pod on node cp-1',
      'check with: kubectl auth can-i get pods/exec -n kube-system; kubectl auth can-i create pods/exec -n kube-system'],
    ['Pod Security admission', new ApiException(403, 'Forbidden', status(403,
      'pods "kubectl-audit-reader-x" is forbidden: violates PodSecurity "baseline:latest": hostPath volumes (volume "host-log")'), {}), createPod,
      'Pod Security admission refused the reader pod in namespace "kube-system": violates PodSecurity "baseline:latest": hostPath volumes (volume "host-log")',
      'use --pod-namespace with a namespace labelled pod-security.kubernetes.io/enforce=privileged, or read the log with -f'],
    ['another status', new ApiException(500, 'x', status(500, 'etcdserver: request timed out'), {}), createPod,
      'could not start a reader pod on node cp-1: 500 etcdserver: request timed out', undefined],
    ['plain-text kubelet answer', new HttpStatusError(405, 'logs endpoint is disabled.\n'), proxy,
      'could not read the audit log on node cp-1: 405 logs endpoint is disabled.', undefined],
    ['connection refused', networkError('ECONNREFUSED'), proxy,
      `cannot connect to the API server at ${server}: connection refused`,
      'is the cluster running, and is the server address in the kubeconfig right? (kubectl cluster-info)'],
    ['connection refused inside a fetch error', new TypeError('fetch failed', {cause: networkError('ECONNREFUSED')}), proxy,
      `cannot connect to the API server at ${server}: connection refused`,
      'is the cluster running, and is the server address in the kubeconfig right? (kubectl cluster-info)'],
    ['an untrusted certificate', networkError('UNABLE_TO_VERIFY_LEAF_SIGNATURE'), proxy,
      `TLS verification of the API server at ${server} failed (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`,
      "the kubeconfig's certificate-authority does not match the server's certificate"],
    ['an unknown host', networkError('ENOTFOUND'), proxy,
      `cannot resolve the API server host of ${server}`, 'check the server address in the kubeconfig and your DNS'],
    ['a timeout', new DOMException('The operation was aborted due to timeout', 'TimeoutError'), proxy,
      `the API server at ${server} did not answer in time`, 'check connectivity, or raise --request-timeout'],
    ['anything else', new Error('boom\nstack'), proxy, 'could not read the audit log on node cp-1: boom', undefined],
  ]
  for (const [what, error, attempt, message, hint] of cases) {
    it(`maps ${what}`, () => {
      const mapped = apiErrorToUserError(error, attempt)
      assert.equal(mapped.message, message)
      assert.equal(mapped.hint, hint)
      assert.equal(mapped.exitCode, 2)
    })
  }

  it('passes UserErrors through untouched', () => {
    const original = new UserError('already clear')
    assert.equal(apiErrorToUserError(original, proxy), original)
  })
})
