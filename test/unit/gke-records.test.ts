// GKE Cloud Audit Logs entries mapped to audit events: a row per method name form, per status
// code, per resource name form, and the whole entry through decodeDocument.
import assert from 'node:assert/strict'

import {decodeDocument} from '../../src/audit/event.js'
import {GRPC_TO_HTTP, methodGroupSpellings, parseMethodName, parseResourceName} from '../../src/audit/records/gke.js'
import {gkeEntry, networkPolicyBody} from '../support/gke-entries.js'

describe('GKE method names', () => {
  // [methodName, apiGroup, apiVersion, resource, subresource, verb]
  const rows: Array<[string, string, string, string, string, string]> = [
    ['io.k8s.core.v1.pods.create', '', 'v1', 'pods', '', 'create'],
    ['io.k8s.core.v1.pods.status.patch', '', 'v1', 'pods', 'status', 'patch'],
    ['io.k8s.networking.v1.networkpolicies.patch', 'networking.k8s.io', 'v1', 'networkpolicies', '', 'patch'],
    ['io.k8s.extensions.v1beta1.networkpolicies.update', 'extensions', 'v1beta1', 'networkpolicies', '', 'update'],
    ['io.k8s.apps.v1.deployments.deletecollection', 'apps', 'v1', 'deployments', '', 'deletecollection'],
    [
      'io.k8s.networking.policy.v1alpha1.adminnetworkpolicies.delete',
      'policy.networking.k8s.io',
      'v1alpha1',
      'adminnetworkpolicies',
      '',
      'delete',
    ],
    ['io.k8s.authorization.rbac.v1.roles.create', 'rbac.authorization.k8s.io', 'v1', 'roles', '', 'create'],
    // A CRD group, reversed (audit2rbac#18).
    [
      'com.coreos.database.etcd.v1beta2.etcdbackups.create',
      'etcd.database.coreos.com',
      'v1beta2',
      'etcdbackups',
      '',
      'create',
    ],
    // Calico's groups: the reversed spelling the rule implies, and the forward one.
    ['org.projectcalico.crd.v1.networkpolicies.update', 'crd.projectcalico.org', 'v1', 'networkpolicies', '', 'update'],
    ['crd.projectcalico.org.v1.networkpolicies.update', 'crd.projectcalico.org', 'v1', 'networkpolicies', '', 'update'],
    [
      'org.projectcalico.v3.globalnetworkpolicies.patch',
      'projectcalico.org',
      'v3',
      'globalnetworkpolicies',
      '',
      'patch',
    ],
    ['projectcalico.org.v3.tiers.status.update', 'projectcalico.org', 'v3', 'tiers', 'status', 'update'],
    // A non-resource request: the path is in resourceName.
    ['io.k8s.get', '', '', '', '', 'get'],
  ]
  for (const [method, apiGroup, apiVersion, resource, subresource, verb] of rows) {
    it(method, () => assert.deepEqual(parseMethodName(method), {apiGroup, apiVersion, resource, subresource, verb}))
  }
  for (const method of [
    '',
    'io.k8s',
    'io.k8s.core.v1.pods',
    'io.k8s.core.v1.a.b.c.create',
    'google.container.v1.ClusterManager.UpdateCluster',
    'io..k8s.core.v1.pods.get',
  ]) {
    it(`refuses ${JSON.stringify(method)}`, () => assert.equal(parseMethodName(method), undefined))
  }
})

describe('GKE resource names', () => {
  // [resourceName, resource, namespace, name, subresource]
  const rows: Array<[string, string, string, string, string]> = [
    ['networking.k8s.io/v1/namespaces/shop/networkpolicies/web', 'networkpolicies', 'shop', 'web', ''],
    ['networking.k8s.io/v1/namespaces/shop/networkpolicies', 'networkpolicies', 'shop', '', ''],
    [
      'projectcalico.org/v3/globalnetworkpolicies/security.deny-all',
      'globalnetworkpolicies',
      '',
      'security.deny-all',
      '',
    ],
    [
      'core/v1/namespaces/1-2-deployment-update/pods/nginx-8655b4b8c5-xf5f4/status',
      'pods',
      '1-2-deployment-update',
      'nginx-8655b4b8c5-xf5f4',
      'status',
    ],
    ['core/v1/namespaces/shop', 'namespaces', '', 'shop', ''],
    ['HNAP1', '', '', '', ''],
    ['crd.projectcalico.org/v1/somethingelse/x', 'networkpolicies', '', '', ''],
  ]
  for (const [resourceName, resource, namespace, name, subresource] of rows) {
    it(`${resourceName} (${resource || 'no resource'})`, () =>
      assert.deepEqual(parseResourceName(resourceName, resource), {namespace, name, subresource}))
  }
})

describe('GKE status codes', () => {
  // [gRPC code, HTTP code users know]
  const rows: Array<[number, number]> = [
    [0, 200],
    [3, 400],
    [5, 404],
    [6, 409],
    [7, 403],
    [8, 429],
    [10, 409],
    [13, 500],
    [14, 503],
    [16, 401],
  ]
  for (const [grpc, http] of rows) {
    it(`gRPC ${grpc} is HTTP ${http}`, () => {
      assert.equal(GRPC_TO_HTTP[grpc], http)
      const decoded = decodeDocument(gkeEntry({status: grpc}))
      assert.ok('events' in decoded)
      assert.equal(decoded.events[0].code, http)
    })
  }

  it('an empty status is OK (proto3 leaves a 0 code out)', () => {
    const entry = gkeEntry()
    ;(entry.protoPayload as Record<string, unknown>).status = {}
    const decoded = decodeDocument(entry)
    assert.ok('events' in decoded)
    assert.equal(decoded.events[0].code, 200)
  })

  it('no status at all leaves the code unknown', () => {
    const decoded = decodeDocument(gkeEntry({status: null}))
    assert.ok('events' in decoded)
    assert.equal(decoded.events[0].code, null)
    assert.equal(decoded.events[0].codeUnreadable, undefined)
  })

  it('a code outside google.rpc.Code is unreadable, not a guess', () => {
    const decoded = decodeDocument(gkeEntry({status: 99}))
    assert.ok('events' in decoded)
    assert.equal(decoded.events[0].code, null)
    assert.equal(decoded.events[0].codeUnreadable, true)
  })
})

describe('GKE entries as audit events', () => {
  it('maps identity, object, time and bodies, and says where the event came from', () => {
    const entry = gkeEntry({
      id: '7d1c9c53-3b4a-4d7e-9a55-5c9f2c1b8e01',
      method: 'io.k8s.networking.v1.networkpolicies.create',
      resourceName: 'networking.k8s.io/v1/namespaces/shop/networkpolicies',
      principal: 'alice@example.com',
      callerIp: '203.0.113.7',
      userAgent: 'kubectl/v1.31.0',
      time: '2026-11-24T10:00:00.123456789Z',
      request: networkPolicyBody('web'),
      response: networkPolicyBody('web'),
    })
    const decoded = decodeDocument(entry)
    assert.ok('events' in decoded, JSON.stringify(decoded))
    const [event] = decoded.events
    assert.deepEqual(
      {...event, requestObject: undefined, responseObject: undefined},
      {
        auditID: '7d1c9c53-3b4a-4d7e-9a55-5c9f2c1b8e01',
        stage: '',
        level: '',
        verb: 'create',
        requestURI: '',
        user: {username: 'alice@example.com', groups: []},
        impersonatedUser: null,
        sourceIPs: ['203.0.113.7'],
        userAgent: 'kubectl/v1.31.0',
        objectRef: {
          apiGroup: 'networking.k8s.io',
          apiVersion: 'v1',
          resource: 'networkpolicies',
          subresource: '',
          namespace: 'shop',
          name: '',
        },
        code: 200,
        time: '2026-11-24T10:00:00.123456Z',
        timeUs: Date.parse('2026-11-24T10:00:00.123Z') * 1000 + 456,
        requestObject: undefined,
        responseObject: undefined,
        mappedFrom: 'gke',
      },
    )
    // The bodies stay for diffs, without the `@type` Cloud Logging adds.
    assert.deepEqual(event.requestObject, {
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: {name: 'web', namespace: 'shop'},
      spec: {podSelector: {}, policyTypes: ['Ingress']},
    })
    assert.deepEqual(event.responseObject, event.requestObject)
  })

  it('takes the audit ID from insertId when there is no operation', () => {
    const entry = gkeEntry({id: 'abc'})
    delete entry.operation
    entry.insertId = 'from-insert-id'
    const decoded = decodeDocument(entry)
    assert.ok('events' in decoded)
    assert.equal(decoded.events[0].auditID, 'from-insert-id')
  })

  it('reads a non-resource request as an event without an object', () => {
    const decoded = decodeDocument(
      gkeEntry({method: 'io.k8s.get', resourceName: 'HNAP1', status: 7, log: 'data_access'}),
    )
    assert.ok('events' in decoded)
    assert.equal(decoded.events[0].objectRef, null)
    assert.equal(decoded.events[0].verb, 'get')
    assert.equal(decoded.events[0].code, 403)
  })

  it('refuses entries of other services and methods it cannot read, naming them', () => {
    const cluster = gkeEntry({method: 'google.container.v1.ClusterManager.UpdateCluster'})
    ;(cluster.protoPayload as Record<string, unknown>).serviceName = 'container.googleapis.com'
    assert.deepEqual(decodeDocument(cluster), {
      error: 'a Cloud Audit Logs entry of container.googleapis.com, not of the Kubernetes API',
    })
    assert.deepEqual(decodeDocument(gkeEntry({method: 'io.k8s.core.v1'})), {
      error: 'Cloud Audit Logs method "io.k8s.core.v1" is not a Kubernetes API method',
    })
    assert.deepEqual(decodeDocument({insertId: 'x', logName: 'projects/p/logs/syslog', textPayload: 'hello'}), {
      error: 'a Cloud Logging entry without an audit payload',
    })
  })

  it('reads a `gcloud logging read --format=json` array, counting entries that are no Kubernetes audit entry', () => {
    const decoded = decodeDocument([
      gkeEntry({id: 'a'}),
      {insertId: 'x', logName: 'projects/p/logs/syslog', textPayload: 'hello'},
      gkeEntry({id: 'b'}),
    ])
    assert.ok('events' in decoded)
    assert.deepEqual(
      decoded.events.map((e) => e.auditID),
      ['a', 'b'],
    )
    assert.equal(decoded.notUnderstood, 1)
  })
})

describe('GKE method name spellings of a group', () => {
  // [apiGroup, spellings]
  const rows: Array<[string, string[]]> = [
    ['', ['io.k8s.core']],
    ['extensions', ['io.k8s.extensions']],
    ['networking.k8s.io', ['io.k8s.networking']],
    ['policy.networking.k8s.io', ['io.k8s.networking.policy']],
    ['projectcalico.org', ['org.projectcalico', 'projectcalico.org']],
    ['crd.projectcalico.org', ['org.projectcalico.crd', 'crd.projectcalico.org']],
  ]
  for (const [apiGroup, spellings] of rows) {
    it(`${apiGroup || 'core'}: ${spellings.join(', ')}, each read back as the group`, () => {
      assert.deepEqual(methodGroupSpellings(apiGroup), spellings)
      for (const spelling of spellings)
        assert.equal(parseMethodName(`${spelling}.v1.things.create`)?.apiGroup, apiGroup)
    })
  }
})
