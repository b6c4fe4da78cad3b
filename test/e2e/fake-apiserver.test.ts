// The fake apiserver is only worth something if real clients accept it: these tests talk to it
// with @kubernetes/client-node exactly as the CLI does.
import assert from 'node:assert/strict'
import {mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import https from 'node:https'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {PassThrough} from 'node:stream'
import {gzipSync} from 'node:zlib'

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
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {
            name: 'kube-apiserver-cp-1',
            namespace: 'kube-system',
            labels: {component: 'kube-apiserver', tier: 'control-plane'},
          },
          spec: {nodeName: 'cp-1'},
        },
        {
          apiVersion: 'v1',
          kind: 'Pod',
          metadata: {name: 'coredns-1', namespace: 'kube-system', labels: {'k8s-app': 'kube-dns'}},
          spec: {nodeName: 'worker-1'},
        },
        {
          apiVersion: 'apiregistration.k8s.io/v1',
          kind: 'APIService',
          metadata: {name: 'v3.projectcalico.org'},
          spec: {group: 'projectcalico.org'},
        },
      ],
      version: {gitVersion: 'v1.34.2', major: '1', minor: '34'},
    })
    core = clientFor(fake.kubeconfigPath).makeApiClient(k8s.CoreV1Api)
  })
  afterEach(() => fake.close())

  it('serves nodes built from the node list, with readiness', async () => {
    const list = await core.listNode()
    assert.deepEqual(
      list.items.map((n) => n.metadata?.name),
      ['cp-1', 'worker-1'],
    )
    const ready = list.items.map((n) => n.status?.conditions?.find((c) => c.type === 'Ready')?.status)
    assert.deepEqual(ready, ['True', 'False'])
  })

  it('filters lists by label and field selectors', async () => {
    const byLabel = await core.listPodForAllNamespaces({labelSelector: 'component=kube-apiserver,tier=control-plane'})
    assert.deepEqual(
      byLabel.items.map((p) => p.metadata?.name),
      ['kube-apiserver-cp-1'],
    )
    const byField = await core.listNamespacedPod({namespace: 'kube-system', fieldSelector: 'spec.nodeName=worker-1'})
    assert.deepEqual(
      byField.items.map((p) => p.metadata?.name),
      ['coredns-1'],
    )
    const none = await core.listNamespacedPod({namespace: 'default'})
    assert.equal(none.items.length, 0)
  })

  it('creates, gets and deletes objects, with generateName', async () => {
    const created = await core.createNamespacedPod({
      namespace: 'kube-system',
      body: {metadata: {generateName: 'probe-'}, spec: {containers: [{name: 'c', image: 'busybox'}]}},
    })
    const name = created.metadata?.name ?? ''
    assert.match(name, /^probe-[a-z0-9]{5}$/)
    assert.equal((await core.readNamespacedPod({name, namespace: 'kube-system'})).metadata?.uid, created.metadata?.uid)
    await core.deleteNamespacedPod({name, namespace: 'kube-system'})
    await assert.rejects(
      core.readNamespacedPod({name, namespace: 'kube-system'}),
      (error: k8s.ApiException<string>) => {
        assert.equal(error.code, 404)
        assert.equal(JSON.parse(error.body).reason, 'NotFound')
        return true
      },
    )
  })

  it('answers /version and cluster-scoped objects of other groups', async () => {
    const version = await clientFor(fake.kubeconfigPath).makeApiClient(k8s.VersionApi).getCode()
    assert.equal(version.gitVersion, 'v1.34.2')
    const custom = clientFor(fake.kubeconfigPath).makeApiClient(k8s.CustomObjectsApi)
    const svc = (await custom.getClusterCustomObject({
      group: 'apiregistration.k8s.io',
      version: 'v1',
      plural: 'apiservices',
      name: 'v3.projectcalico.org',
    })) as {spec: {group: string}}
    assert.equal(svc.spec.group, 'projectcalico.org')
  })

  it('rejects a wrong token with 401 Unauthorized', async () => {
    const bad = clientFor(fake.writeKubeconfig({token: 'wrong'})).makeApiClient(k8s.CoreV1Api)
    await assert.rejects(bad.listNode(), (error: k8s.ApiException<unknown>) => error.code === 401)
    // client-node drops 401 bodies; check the Status itself over plain HTTPS.
    const body = await new Promise<string>((resolve, reject) => {
      https
        .get(`${fake.url}/api/v1/nodes`, {ca: fake.caPem}, (res) => {
          let text = ''
          res.on('data', (chunk: Buffer) => {
            text += chunk.toString()
          })
          res.on('end', () => resolve(text))
        })
        .on('error', reject)
    })
    assert.deepEqual(JSON.parse(body), {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: 'Unauthorized',
      reason: 'Unauthorized',
      code: 401,
    })
  })

  it('answers configured failures with an RBAC-shaped Status, a limited number of times', async () => {
    fake.fail({method: 'GET', path: /\/pods$/, code: 403, times: 1})
    await assert.rejects(core.listNamespacedPod({namespace: 'kube-system'}), (error: k8s.ApiException<string>) => {
      const status = JSON.parse(error.body)
      assert.equal(error.code, 403)
      assert.equal(status.reason, 'Forbidden')
      assert.equal(
        status.message,
        'pods is forbidden: User "fake-user" cannot list resource "pods" in API group "" in the namespace "kube-system"',
      )
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

/** A raw GET through the fake, as the kubelet source does it (node:https + kubeconfig auth). */
async function rawGet(
  fake: FakeApiserver,
  path: string,
  headers: Record<string, string> = {},
): Promise<{status: number; headers: Record<string, unknown>; body: Buffer}> {
  const opts: https.RequestOptions = {headers}
  await clientFor(fake.kubeconfigPath).applyToHTTPSOptions(opts)
  return new Promise((resolve, reject) => {
    https
      .get(`${fake.url}${path}`, opts, (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () => resolve({status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks)}))
      })
      .on('error', reject)
  })
}

describe('fake apiserver: node logs and exec', () => {
  let fake: FakeApiserver
  let root: string
  const content = Buffer.from(Array.from({length: 100}, (_, i) => `line ${i}\n`).join(''))

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'fake-node-'))
    mkdirSync(join(root, 'var/log/kubernetes/audit/old'), {recursive: true})
    writeFileSync(join(root, 'var/log/kubernetes/audit/audit.log'), content)
    writeFileSync(join(root, 'var/log/kubernetes/audit/audit-2026-01-01T00-00-00.000.log.gz'), gzipSync(content))
    writeFileSync(join(root, 'var/log/kubernetes/audit/a&b <c>.log'), '')
    fake = await startFakeApiserver({nodes: [{name: 'cp-1', root}]})
  })
  afterEach(async () => {
    await fake.close()
    rmSync(root, {recursive: true, force: true})
  })

  it('serves files with Range and counts the bytes', async () => {
    const whole = await rawGet(fake, '/api/v1/nodes/cp-1/proxy/logs/kubernetes/audit/audit.log')
    assert.equal(whole.status, 200)
    assert.deepEqual(whole.body, content)
    const part = await rawGet(fake, '/api/v1/nodes/cp-1/proxy/logs/kubernetes/audit/audit.log', {Range: 'bytes=10-19'})
    assert.equal(part.status, 206)
    assert.equal(part.headers['content-range'], `bytes 10-19/${content.length}`)
    assert.deepEqual(part.body, content.subarray(10, 20))
    const beyond = await rawGet(fake, '/api/v1/nodes/cp-1/proxy/logs/kubernetes/audit/audit.log', {
      Range: `bytes=${content.length}-`,
    })
    assert.equal(beyond.status, 416)
    assert.equal(beyond.headers['content-range'], `bytes */${content.length}`)
    assert.equal(fake.bytesServed, content.length + 10)
  })

  it('lists directories like Go http.FileServer, and redirects without the slash', async () => {
    const listing = await rawGet(fake, '/api/v1/nodes/cp-1/proxy/logs/kubernetes/audit/')
    assert.equal(listing.status, 200)
    assert.equal(
      listing.body.toString(),
      [
        '<!doctype html>',
        '<meta name="viewport" content="width=device-width">',
        '<pre>',
        '<a href="a&amp;b%20%3Cc%3E.log">a&amp;b &lt;c&gt;.log</a>',
        '<a href="audit-2026-01-01T00-00-00.000.log.gz">audit-2026-01-01T00-00-00.000.log.gz</a>',
        '<a href="audit.log">audit.log</a>',
        '<a href="old/">old/</a>',
        '</pre>',
        '',
      ].join('\n'),
    )
    const redirect = await rawGet(fake, '/api/v1/nodes/cp-1/proxy/logs/kubernetes/audit')
    assert.equal(redirect.status, 301)
    assert.equal(redirect.headers.location, 'audit/')
  })

  it('answers a missing file and configured kubelet refusals in plain text', async () => {
    const missing = await rawGet(fake, '/api/v1/nodes/cp-1/proxy/logs/nope.log')
    assert.equal(missing.status, 404)
    assert.equal(missing.body.toString(), '404 page not found\n')
    fake.fail({path: /\/proxy\/logs\//, code: 405})
    const disabled = await rawGet(fake, '/api/v1/nodes/cp-1/proxy/logs/kubernetes/audit/audit.log')
    assert.equal(disabled.status, 405)
    assert.equal(disabled.body.toString(), 'logs endpoint is disabled.\n')
  })

  async function runningPod(): Promise<string> {
    const core = clientFor(fake.kubeconfigPath).makeApiClient(k8s.CoreV1Api)
    const pod = await core.createNamespacedPod({
      namespace: 'kube-system',
      body: {
        metadata: {generateName: 'reader-'},
        spec: {
          nodeName: 'cp-1',
          containers: [
            {
              name: 'reader',
              image: 'busybox',
              volumeMounts: [{name: 'logs', mountPath: '/host/var/log/kubernetes/audit', readOnly: true}],
            },
          ],
          volumes: [{name: 'logs', hostPath: {path: '/var/log/kubernetes/audit'}}],
        },
      },
    })
    const name = pod.metadata!.name!
    assert.equal(pod.status?.phase, 'Pending')
    for (;;) {
      const current = await core.readNamespacedPod({name, namespace: 'kube-system'})
      if (current.status?.phase === 'Running') return name
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }

  async function exec(
    pod: string,
    command: string[],
  ): Promise<{stdout: Buffer; stderr: string; status: k8s.V1Status; protocol: string}> {
    const stdout = new PassThrough()
    const stderr = new PassThrough()
    const out: Buffer[] = []
    const err: Buffer[] = []
    stdout.on('data', (c: Buffer) => out.push(c))
    stderr.on('data', (c: Buffer) => err.push(c))
    let resolveStatus!: (s: k8s.V1Status) => void
    const statusPromise = new Promise<k8s.V1Status>((resolve) => {
      resolveStatus = resolve
    })
    const ws = await new k8s.Exec(clientFor(fake.kubeconfigPath)).exec(
      'kube-system',
      pod,
      'reader',
      command,
      stdout,
      stderr,
      null,
      false,
      resolveStatus,
    )
    const status = await statusPromise
    await new Promise((resolve) => (ws.readyState === ws.CLOSED ? resolve(undefined) : ws.on('close', resolve)))
    return {stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString(), status, protocol: ws.protocol}
  }

  it('runs exec commands for real against the mounted node folder (v5)', async () => {
    const pod = await runningPod()
    const dir = '/host/var/log/kubernetes/audit'
    const cat = await exec(pod, ['cat', `${dir}/audit.log`])
    assert.equal(cat.protocol, 'v5.channel.k8s.io')
    assert.equal(cat.status.status, 'Success')
    assert.deepEqual(cat.stdout, content)
    const range = await exec(pod, ['sh', '-c', 'tail -c +11 "$1" | head -c 10', 'sh', `${dir}/audit.log`])
    assert.deepEqual(range.stdout, content.subarray(10, 20))
    const zcat = await exec(pod, ['zcat', `${dir}/audit-2026-01-01T00-00-00.000.log.gz`])
    assert.deepEqual(zcat.stdout, content)
    const grep = await exec(pod, ['grep', '-F', '-e', 'line 42', '-e', 'line 99', `${dir}/audit.log`])
    assert.equal(grep.stdout.toString(), 'line 42\nline 99\n')
    const ls = await exec(pod, ['ls', '-1', dir])
    assert.equal(ls.stdout.toString(), 'a&b <c>.log\naudit-2026-01-01T00-00-00.000.log.gz\naudit.log\nold\n')
    assert.equal(fake.bytesServed, cat.stdout.length + 10 + content.length + grep.stdout.length + ls.stdout.length)
  })

  it('reports a non-zero exit status on the status channel, and nothing outside the mounts exists', async () => {
    const pod = await runningPod()
    const missing = await exec(pod, ['cat', '/etc/kubernetes/audit-policy.yaml'])
    assert.equal(missing.status.status, 'Failure')
    assert.deepEqual(missing.status.details?.causes, [{reason: 'ExitCode', message: '1'}])
    assert.match(missing.stderr, /No such file or directory/)
  })

  it('speaks v4.channel.k8s.io when v5 is not offered by the server', async () => {
    fake.exec.protocols = ['v4.channel.k8s.io']
    const pod = await runningPod()
    const cat = await exec(pod, ['head', '-c', '7', '/host/var/log/kubernetes/audit/audit.log'])
    assert.equal(cat.protocol, 'v4.channel.k8s.io')
    assert.equal(cat.stdout.toString(), 'line 0\n')
    assert.equal(cat.status.status, 'Success')
  })

  it('refuses exec into a pod that is not running', async () => {
    fake.pods.startup = 'pending'
    const core = clientFor(fake.kubeconfigPath).makeApiClient(k8s.CoreV1Api)
    const pod = await core.createNamespacedPod({
      namespace: 'default',
      body: {metadata: {name: 'p'}, spec: {nodeName: 'cp-1', containers: [{name: 'reader', image: 'busybox'}]}},
    })
    await new Promise((resolve) => setTimeout(resolve, 80))
    assert.equal((await core.readNamespacedPod({name: 'p', namespace: 'default'})).status?.phase, 'Pending')
    await assert.rejects(
      new k8s.Exec(clientFor(fake.kubeconfigPath)).exec(
        'default',
        pod.metadata!.name!,
        'reader',
        ['true'],
        null,
        null,
        null,
        false,
      ),
      (error: {message?: string}) => error.message === 'Unexpected server response: 400',
    )
  })

  it('leaves a pod in ContainerCreating with a FailedMount event when a hostPath Directory is missing on the node', async () => {
    const core = clientFor(fake.kubeconfigPath).makeApiClient(k8s.CoreV1Api)
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: {name: 'p'},
        spec: {
          nodeName: 'cp-1',
          containers: [
            {
              name: 'c',
              image: 'busybox',
              volumeMounts: [
                {name: 'a', mountPath: '/a'},
                {name: 'b', mountPath: '/b'},
              ],
            },
          ],
          volumes: [
            {name: 'a', hostPath: {path: '/var/log/kubernetes/audit', type: 'Directory'}},
            {name: 'b', hostPath: {path: '/var/log/calico/audit', type: 'Directory'}},
          ],
        },
      },
    })
    await new Promise((resolve) => setTimeout(resolve, 150))
    const pod = await core.readNamespacedPod({name: 'p', namespace: 'default'})
    assert.equal(pod.status?.phase, 'Pending')
    assert.equal(pod.status?.containerStatuses?.[0]?.state?.waiting?.reason, 'ContainerCreating')
    const events = await core.listNamespacedEvent({
      namespace: 'default',
      fieldSelector: 'involvedObject.kind=Pod,involvedObject.name=p,reason=FailedMount',
    })
    assert.deepEqual(
      events.items.map((e) => [e.type, e.message]),
      [
        [
          'Warning',
          'MountVolume.SetUp failed for volume "b" : hostPath type check failed: /var/log/calico/audit is not a directory',
        ],
      ],
    )
  })

  it('fails pods whose activeDeadlineSeconds ran out', async () => {
    const core = clientFor(fake.kubeconfigPath).makeApiClient(k8s.CoreV1Api)
    await core.createNamespacedPod({
      namespace: 'default',
      body: {
        metadata: {name: 'p'},
        spec: {activeDeadlineSeconds: 1, nodeName: 'cp-1', containers: [{name: 'c', image: 'busybox'}]},
      },
    })
    await new Promise((resolve) => setTimeout(resolve, 1100))
    const pod = await core.readNamespacedPod({name: 'p', namespace: 'default'})
    assert.equal(pod.status?.phase, 'Failed')
    assert.equal(pod.status?.reason, 'DeadlineExceeded')
  })
})
