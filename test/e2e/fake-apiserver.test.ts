// The fake apiserver is only worth something if real clients accept it: these tests talk to it
// with @kubernetes/client-node exactly as the CLI does.
import assert from 'node:assert/strict'
import https from 'node:https'

import * as k8s from '@kubernetes/client-node'

import {type FakeApiserver, startFakeApiserver} from '../support/fake-apiserver/index.js'

function clientFor(kubeconfigPath: string): k8s.KubeConfig {
  const kc = new k8s.KubeConfig()
  kc.loadFromFile(kubeconfigPath)
  return kc
}

describe('fake apiserver: REST', () => {
  let fake: FakeApiserver
  let core: k8s.CoreV1Api

  beforeEach(async () => {
    fake = await startFakeApiserver({
      nodes: [
        {name: 'cp-1', root: '/nonexistent', labels: {'node-role.kubernetes.io/control-plane': ''}},
        {name: 'worker-1', root: '/nonexistent', ready: false},
      ],
      objects: [
        {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'kube-apiserver-cp-1', namespace: 'kube-system', labels: {component: 'kube-apiserver', tier: 'control-plane'}}, spec: {nodeName: 'cp-1'}},
        {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'coredns-1', namespace: 'kube-system', labels: {'k8s-app': 'kube-dns'}}, spec: {nodeName: 'worker-1'}},
        {apiVersion: 'apiregistration.k8s.io/v1', kind: 'APIService', metadata: {name: 'v3.projectcalico.org'}, spec: {group: 'projectcalico.org'}},
      ],
      version: {gitVersion: 'v1.34.2', major: '1', minor: '34'},
    })
    core = clientFor(fake.kubeconfigPath).makeApiClient(k8s.CoreV1Api)
  })
  afterEach(() => fake.close())

  it('serves nodes built from the node list, with readiness', async () => {
    const list = await core.listNode()
    assert.deepEqual(list.items.map((n) => n.metadata?.name), ['cp-1', 'worker-1'])
    const ready = list.items.map((n) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status)
    assert.deepEqual(ready, ['True', 'False'])
  })

  it('filters lists by label and field selectors', async () => {
    const byLabel = await core.listPodForAllNamespaces({labelSelector: 'component=kube-apiserver,tier=control-plane'})
    assert.deepEqual(byLabel.items.map((p) => p.metadata?.name), ['kube-apiserver-cp-1'])
    const byField = await core.listNamespacedPod({namespace: 'kube-system', fieldSelector: 'spec.nodeName=worker-1'})
    assert.deepEqual(byField.items.map((p) => p.metadata?.name), ['coredns-1'])
    const none = await core.listNamespacedPod({namespace: 'default'})
    assert.equal(none.items.length, 0)
  })

  it('creates, gets and deletes objects, with generateName', async () => {
    const created = await core.createNamespacedPod({namespace: 'kube-system', body: {metadata: {generateName: 'probe-'}, spec: {containers: [{name: 'c', image: 'busybox'}]}}})
    const name = created.metadata?.name ?? ''
    assert.match(name, /^probe-[a-z0-9]{5}$/)
    assert.equal((await core.readNamespacedPod({name, namespace: 'kube-system'})).metadata?.uid, created.metadata?.uid)
    await core.deleteNamespacedPod({name, namespace: 'kube-system'})
    await assert.rejects(core.readNamespacedPod({name, namespace: 'kube-system'}), (error: k8s.ApiException<string>) => {
      assert.equal(error.code, 404)
      assert.equal(JSON.parse(error.body).reason, 'NotFound')
      return true
    })
  })

  it('answers /version and cluster-scoped objects of other groups', async () => {
    const version = await clientFor(fake.kubeconfigPath).makeApiClient(k8s.VersionApi).getCode()
    assert.equal(version.gitVersion, 'v1.34.2')
    const custom = clientFor(fake.kubeconfigPath).makeApiClient(k8s.CustomObjectsApi)
    const svc = await custom.getClusterCustomObject({group: 'apiregistration.k8s.io', version: 'v1', plural: 'apiservices', name: 'v3.projectcalico.org'}) as {spec: {group: string}}
    assert.equal(svc.spec.group, 'projectcalico.org')
  })

  it('rejects a wrong token with 401 Unauthorized', async () => {
    const bad = clientFor(fake.writeKubeconfig({token: 'wrong'})).makeApiClient(k8s.CoreV1Api)
    await assert.rejects(bad.listNode(), (error: k8s.ApiException<unknown>) => error.code === 401)
    // client-node drops 401 bodies; check the Status itself over plain HTTPS.
    const body = await new Promise<string>((resolve, reject) => {
      https.get(`${fake.url}/api/v1/nodes`, {ca: fake.caPem}, (res) => {
        let text = ''
        res.on('data', (chunk: Buffer) => { text += chunk.toString() })
        res.on('end', () => resolve(text))
      }).on('error', reject)
    })
    assert.deepEqual(JSON.parse(body), {kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message: 'Unauthorized', reason: 'Unauthorized', code: 401})
  })

  it('answers configured failures with an RBAC-shaped Status, a limited number of times', async () => {
    fake.fail({method: 'GET', path: /\/pods$/, code: 403, times: 1})
    await assert.rejects(core.listNamespacedPod({namespace: 'kube-system'}), (error: k8s.ApiException<string>) => {
      const status = JSON.parse(error.body)
      assert.equal(error.code, 403)
      assert.equal(status.reason, 'Forbidden')
      assert.equal(status.message, 'pods is forbidden: User "fake-user" cannot list resource "pods" in API group "" in the namespace "kube-system"')
      return true
    })
    assert.equal((await core.listNamespacedPod({namespace: 'kube-system'})).items.length, 2)
  })

  it('records requests', async () => {
    await core.listNode({labelSelector: 'a=b'})
    const last = fake.requests.at(-1)
    assert.equal(last?.path, '/api/v1/nodes')
    assert.equal(last?.query, 'labelSelector=a%3Db')
    assert.equal(last?.headers.authorization, `Bearer ${fake.token}`)
  })
})
