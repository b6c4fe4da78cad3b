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
      `the API server at ${server} cannot be reached: connection refused`,
      'is the cluster running, and is the server address right? (kubectl cluster-info; --server or the kubeconfig)'],
    ['connection refused inside a fetch error', new TypeError('fetch failed', {cause: networkError('ECONNREFUSED')}), proxy,
      `the API server at ${server} cannot be reached: connection refused`,
      'is the cluster running, and is the server address right? (kubectl cluster-info; --server or the kubeconfig)'],
    ['an untrusted certificate', Object.assign(new Error('unable to verify the first certificate'), {code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'}), proxy,
      `the API server at ${server} cannot be reached: TLS verification failed (UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate)`,
      "the kubeconfig's certificate-authority (or --certificate-authority) does not match the server's certificate"],
    ['a self-signed certificate inside a fetch error', new TypeError('fetch failed', {cause: Object.assign(new Error('self-signed certificate in certificate chain'), {code: 'SELF_SIGNED_CERT_IN_CHAIN'})}), proxy,
      `the API server at ${server} cannot be reached: TLS verification failed (SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain)`,
      "the kubeconfig's certificate-authority (or --certificate-authority) does not match the server's certificate"],
    ['an unknown host', new TypeError('fetch failed', {cause: networkError('ENOTFOUND')}), proxy,
      `the API server at ${server} cannot be reached: cannot resolve the host 10.0.0.1`, 'check the server address in the kubeconfig (or --server) and your DNS'],
    ['no route', networkError('EHOSTUNREACH'), proxy,
      `the API server at ${server} cannot be reached: no route to 10.0.0.1 (EHOSTUNREACH)`, 'check the server address, your network and VPN'],
    ['a port fetch refuses', new TypeError('fetch failed', {cause: new Error('bad port')}), {...proxy, server: 'https://10.0.0.1:6000'},
      'the API server at https://10.0.0.1:6000 cannot be reached: port 6000 is one that fetch refuses to connect to (a "bad port")',
      'serve or forward the API server on another port, e.g. kubectl proxy --port 8001'],
    ['another fetch failure, by its deepest cause', new TypeError('fetch failed', {cause: new Error('outer', {cause: new Error('socket hang up')})}), proxy,
      `the API server at ${server} cannot be reached: socket hang up`, 'check the server address and your connection to it'],
    ['a missing credential plugin', Object.assign(new Error('spawn aws-iam-authenticator ENOENT'), {code: 'ENOENT', syscall: 'spawn aws-iam-authenticator', path: 'aws-iam-authenticator'}), proxy,
      'the kubeconfig user gets its credentials from the command "aws-iam-authenticator", which is not installed (or not on PATH)',
      'install aws-iam-authenticator (https://github.com/kubernetes-sigs/aws-iam-authenticator), or rewrite the entry for the AWS CLI: aws eks update-kubeconfig --name CLUSTER'],
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
