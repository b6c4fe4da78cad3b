import assert from 'node:assert/strict'

import {UserError} from '../../src/errors.js'
import {type ClusterReadFlagValues, clusterReadOptions, DEFAULT_READER_IMAGE} from '../../src/flags/cluster-read.js'
import {isRotatedSibling} from '../../src/sources/cluster.js'

const defaults: ClusterReadFlagValues = {'request-timeout': '0', via: 'auto', image: DEFAULT_READER_IMAGE, 'pod-namespace': 'kube-system', 'pod-timeout': '10m'}

describe('cluster read flags', () => {
  it('compiles the defaults', () => {
    assert.deepEqual(clusterReadOptions(defaults), {
      kubeconfig: undefined, context: undefined, cluster: undefined, user: undefined, requestTimeoutMs: 0,
      nodes: [], logPath: undefined, via: 'auto', image: 'docker.io/library/busybox:1.37', podNamespace: 'kube-system', podTimeoutSeconds: 600,
    })
  })

  it('takes nodes repeated or comma-separated, the kubeconfig user from --kube-user, and kubectl-style timeouts', () => {
    const options = clusterReadOptions({...defaults, node: ['cp-1,cp-2', 'cp-1', ' cp-3 '], 'kube-user': 'admin', 'request-timeout': '30', 'pod-timeout': '90s'})
    assert.deepEqual(options.nodes, ['cp-1', 'cp-2', 'cp-3'])
    assert.equal(options.user, 'admin')
    assert.equal(options.requestTimeoutMs, 30_000)
    assert.equal(options.podTimeoutSeconds, 90)
    assert.equal(clusterReadOptions({...defaults, 'request-timeout': '1m30s'}).requestTimeoutMs, 90_000)
  })

  const rejected: Array<[string, Partial<ClusterReadFlagValues>, RegExp]> = [
    ['a relative --log-path', {'log-path': 'audit.log'}, /^--log-path audit.log is not an absolute path$/],
    ['a --pod-timeout that is not a duration', {'pod-timeout': 'soon'}, /^--pod-timeout "soon" is not a duration$/],
    ['a --pod-timeout too short to start a pod', {'pod-timeout': '5s'}, /^--pod-timeout 5s is too short$/],
    ['a --request-timeout that is not a duration', {'request-timeout': '-1'}, /^--request-timeout "-1" is not a duration$/],
    ['an empty --image', {image: ' '}, /^--image is empty$/],
  ]
  for (const [what, flags, message] of rejected) {
    it(`rejects ${what}`, () => {
      assert.throws(() => clusterReadOptions({...defaults, ...flags}), (error: unknown) => error instanceof UserError && message.test(error.message))
    })
  }
})

describe('rotated siblings of an audit log', () => {
  const cases: Array<[string, string, boolean]> = [
    ['audit-2026-11-24T10-00-00.000.log', 'audit.log', true],
    ['audit-2026-11-24T10-00-00.000.log.gz', 'audit.log', true],
    ['kube-apiserver-audit-2026-11-24T10-00-00.000.log', 'kube-apiserver-audit.log', true],
    ['tsee-audit-2026-11-24T10-00-00.000.log', 'tsee-audit.log', true],
    ['audit.log', 'audit.log', false],
    ['audit-2026-11-24T10-00-00.000.json', 'audit.log', false],
    ['kube-audit-2026-11-24T10-00-00.000.log', 'audit.log', false],
    ['audit-2026-11-24.log', 'audit.log', false],
    ['audit-2026-11-24T10-00-00.000.log.bak', 'audit.log', false],
    ['audit-2026-11-24T10-00-00.000', 'audit', true],
  ]
  for (const [name, active, expected] of cases) {
    it(`${expected ? 'takes' : 'leaves'} ${name} next to ${active}`, () => assert.equal(isRotatedSibling(name, active), expected))
  }
})
