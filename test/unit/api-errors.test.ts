import assert from 'node:assert/strict'

import {ApiException} from '@kubernetes/client-node'

import {type ApiAttempt, apiErrorToUserError, HttpStatusError} from '../../src/cluster/api-errors.js'
import {RequestStall} from '../../src/cluster/wait-limits.js'
import {UserError} from '../../src/errors.js'

const server = 'https://10.0.0.1:6443'
const proxy: ApiAttempt = {verb: 'get', resource: 'nodes/proxy', purpose: 'read the audit log on node cp-1', server}
const exec: ApiAttempt = {
  verb: 'get,create',
  resource: 'pods/exec',
  namespace: 'kube-system',
  purpose: 'read files through the reader pod on node cp-1',
  server,
}
const createPod: ApiAttempt = {
  verb: 'create',
  resource: 'pods',
  namespace: 'kube-system',
  purpose: 'start a reader pod on node cp-1',
  server,
}

const WAIT_LONGER =
  'it may be overloaded, or something on the way holds requests; to wait longer, give --request-timeout (e.g. --request-timeout 2m)'
const status = (code: number, message: string) =>
  JSON.stringify({kind: 'Status', apiVersion: 'v1', status: 'Failure', message, code})
const networkError = (code: string) => Object.assign(new Error(`connect ${code} 10.0.0.1:6443`), {code})

describe('apiErrorToUserError', () => {
  const cases: Array<[string, unknown, ApiAttempt, string, string | undefined]> = [
    [
      '401 from client-node',
      new ApiException(401, 'Unauthorized', undefined, {}),
      proxy,
      `the API server at ${server} rejected the credentials (401 Unauthorized)`,
      'log in again or refresh the kubeconfig credentials (they may have expired), or choose another context',
    ],
    [
      '403 on nodes/proxy',
      new HttpStatusError(
        403,
        status(403, 'nodes "cp-1" is forbidden: User "alice" cannot get resource "nodes/proxy"'),
      ),
      proxy,
      'permission denied: "get nodes/proxy" (cluster-wide) is needed to read the audit log on node cp-1',
      'check with: kubectl auth can-i get nodes/proxy',
    ],
    [
      '403 on a WebSocket exec upgrade',
      new Error('Unexpected server response: 403'),
      exec,
      'permission denied: "get,create pods/exec" in namespace "kube-system" is needed to read files through the reader pod on node cp-1',
      'check with: kubectl auth can-i get pods/exec -n kube-system; kubectl auth can-i create pods/exec -n kube-system',
    ],
    [
      'Pod Security admission',
      new ApiException(
        403,
        'Forbidden',
        status(
          403,
          'pods "kubectl-audit-reader-x" is forbidden: violates PodSecurity "baseline:latest": hostPath volumes (volume "host-log")',
        ),
        {},
      ),
      createPod,
      'Pod Security admission refused the reader pod in namespace "kube-system": violates PodSecurity "baseline:latest": hostPath volumes (volume "host-log")',
      'use --pod-namespace with a namespace labelled pod-security.kubernetes.io/enforce=privileged, or read the log with -f',
    ],
    [
      'another status',
      new ApiException(500, 'x', status(500, 'etcdserver: request timed out'), {}),
      createPod,
      'could not start a reader pod on node cp-1: 500 etcdserver: request timed out',
      undefined,
    ],
    [
      'plain-text kubelet answer',
      new HttpStatusError(405, 'logs endpoint is disabled.\n'),
      proxy,
      'could not read the audit log on node cp-1: 405 logs endpoint is disabled.',
      undefined,
    ],
    [
      'connection refused',
      networkError('ECONNREFUSED'),
      proxy,
      `the API server at ${server} cannot be reached: connection refused`,
      'is the cluster running, and is the server address right? (kubectl cluster-info; --server or the kubeconfig)',
    ],
    [
      'connection refused inside a fetch error',
      new TypeError('fetch failed', {cause: networkError('ECONNREFUSED')}),
      proxy,
      `the API server at ${server} cannot be reached: connection refused`,
      'is the cluster running, and is the server address right? (kubectl cluster-info; --server or the kubeconfig)',
    ],
    [
      'an untrusted certificate',
      Object.assign(new Error('unable to verify the first certificate'), {code: 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'}),
      proxy,
      `the API server at ${server} cannot be reached: TLS verification failed (UNABLE_TO_VERIFY_LEAF_SIGNATURE: unable to verify the first certificate)`,
      "the kubeconfig's certificate-authority (or --certificate-authority) does not match the server's certificate",
    ],
    [
      'a self-signed certificate inside a fetch error',
      new TypeError('fetch failed', {
        cause: Object.assign(new Error('self-signed certificate in certificate chain'), {
          code: 'SELF_SIGNED_CERT_IN_CHAIN',
        }),
      }),
      proxy,
      `the API server at ${server} cannot be reached: TLS verification failed (SELF_SIGNED_CERT_IN_CHAIN: self-signed certificate in certificate chain)`,
      "the kubeconfig's certificate-authority (or --certificate-authority) does not match the server's certificate",
    ],
    [
      'an unknown host',
      new TypeError('fetch failed', {cause: networkError('ENOTFOUND')}),
      proxy,
      `the API server at ${server} cannot be reached: cannot resolve the host 10.0.0.1`,
      'check the server address in the kubeconfig (or --server) and your DNS',
    ],
    [
      'no route',
      networkError('EHOSTUNREACH'),
      proxy,
      `the API server at ${server} cannot be reached: no route to 10.0.0.1 (EHOSTUNREACH)`,
      'check the server address, your network and VPN',
    ],
    [
      'a port fetch refuses',
      new TypeError('fetch failed', {cause: new Error('bad port')}),
      {...proxy, server: 'https://10.0.0.1:6000'},
      'the API server at https://10.0.0.1:6000 cannot be reached: port 6000 is one that fetch refuses to connect to (a "bad port")',
      'serve or forward the API server on another port, e.g. kubectl proxy --port 8001',
    ],
    [
      'another fetch failure, by its deepest cause',
      new TypeError('fetch failed', {cause: new Error('outer', {cause: new Error('socket hang up')})}),
      proxy,
      `the API server at ${server} cannot be reached: socket hang up`,
      'check the server address and your connection to it',
    ],
    [
      'a missing credential plugin',
      Object.assign(new Error('spawn aws-iam-authenticator ENOENT'), {
        code: 'ENOENT',
        syscall: 'spawn aws-iam-authenticator',
        path: 'aws-iam-authenticator',
      }),
      proxy,
      'the kubeconfig user gets its credentials from the command "aws-iam-authenticator", which is not installed (or not on PATH)',
      'install aws-iam-authenticator (https://github.com/kubernetes-sigs/aws-iam-authenticator), or rewrite the entry for the AWS CLI: aws eks update-kubeconfig --name CLUSTER',
    ],
    [
      'a timeout',
      new DOMException('The operation was aborted due to timeout', 'TimeoutError'),
      proxy,
      `the API server at ${server} did not answer in time`,
      'check connectivity, or raise --request-timeout',
    ],
    [
      'no connection within the limit',
      new RequestStall('connect', 10_000),
      proxy,
      `could not connect to the API server at ${server} within 10s (to read the audit log on node cp-1)`,
      'check the server address, your network and VPN: a firewall that drops packets looks like this',
    ],
    [
      'no answer within the limit, inside a fetch error',
      new TypeError('fetch failed', {cause: new RequestStall('first-byte', 30_000)}),
      createPod,
      `the API server at ${server} accepted the connection but sent no answer within 30s when asked to start a reader pod on node cp-1`,
      WAIT_LONGER,
    ],
    [
      'a body that stopped',
      new RequestStall('idle', 60_000),
      proxy,
      `the API server at ${server} stopped sending its answer (nothing for 60s) when asked to read the audit log on node cp-1`,
      WAIT_LONGER,
    ],
    [
      '--request-timeout',
      new RequestStall('request', 1500),
      proxy,
      `the API server at ${server} did not answer within --request-timeout 1.5s when asked to read the audit log on node cp-1`,
      'check connectivity, or raise --request-timeout',
    ],
    [
      '429 still, after the retries Retry-After asked for',
      new ApiException(429, 'x', status(429, 'too many requests, please try again later'), {'retry-after': '1'}),
      createPod,
      `the API server at ${server} is throttling requests (429 Too Many Requests, still after 3 retries as it asked) when asked to start a reader pod on node cp-1: too many requests, please try again later`,
      'it is overloaded, or limits this user (API Priority and Fairness): run again later',
    ],
    [
      '429 without Retry-After (not retried)',
      new HttpStatusError(429, status(429, 'slow down')),
      proxy,
      `the API server at ${server} is throttling requests (429 Too Many Requests) when asked to read the audit log on node cp-1: slow down`,
      'it is overloaded, or limits this user (API Priority and Fairness): run again later',
    ],
    [
      '503 still, after its Retry-After',
      new HttpStatusError(503, 'apiserver is shutting down', {'retry-after': '2'}),
      proxy,
      `the API server at ${server} is unavailable (503 Service Unavailable, still after 3 retries as it asked) when asked to read the audit log on node cp-1: apiserver is shutting down`,
      'run again later; `kubectl get --raw /readyz` tells when it is ready',
    ],
    [
      '503 without Retry-After',
      new HttpStatusError(503, 'no endpoints available for service "metrics-server"'),
      proxy,
      'could not read the audit log on node cp-1: 503 no endpoints available for service "metrics-server"',
      undefined,
    ],
    [
      "Go's answer to plain HTTP on its TLS port",
      new HttpStatusError(400, 'Client sent an HTTP request to an HTTPS server.\n'),
      {...proxy, server: 'http://10.0.0.1:6443'},
      'the API server at http://10.0.0.1:6443 speaks HTTPS, not plain HTTP',
      'write the address with https://: https://10.0.0.1:6443',
    ],
    [
      'a TLS server that drops plain HTTP without a word',
      new TypeError('fetch failed', {cause: Object.assign(new Error('other side closed'), {code: 'UND_ERR_SOCKET'})}),
      {...proxy, server: 'http://10.0.0.1:6443'},
      'the API server at http://10.0.0.1:6443 closed the connection without answering when asked to read the audit log on node cp-1',
      'if it serves HTTPS, write the address with https://: https://10.0.0.1:6443',
    ],
    [
      'a connection closed without an answer (HTTPS)',
      new TypeError('fetch failed', {cause: Object.assign(new Error('other side closed'), {code: 'UND_ERR_SOCKET'})}),
      proxy,
      `the API server at ${server} closed the connection without answering when asked to read the audit log on node cp-1`,
      'check the server address: is it the API server that listens there?',
    ],
    [
      'TLS to a plain-HTTP server',
      new TypeError('fetch failed', {
        cause: Object.assign(new Error('wrong version number'), {code: 'ERR_SSL_WRONG_VERSION_NUMBER'}),
      }),
      proxy,
      `the API server at ${server} cannot be reached: it does not speak TLS (ERR_SSL_WRONG_VERSION_NUMBER)`,
      'if it serves plain HTTP (such as kubectl proxy), write the address with http://: http://10.0.0.1:6443',
    ],
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
