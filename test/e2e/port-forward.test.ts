// A connection into a pod's port made by the API server (src/cluster/port-forward.ts), against the
// fake apiserver's pods/portforward, which speaks the kubelet's WebSocket protocol and connects to
// a loopback server that plays the pod's port.
import assert from 'node:assert/strict'
import {once} from 'node:events'
import {createServer, type Server} from 'node:net'
import type {Duplex} from 'node:stream'

import * as k8s from '@kubernetes/client-node'

import {openPortForward} from '../../src/cluster/port-forward.js'
import {type FakeApiserver, startFakeApiserver} from '../support/fake-apiserver/index.js'

const POD = {
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {name: 'db-0', namespace: 'data', uid: '6d1f0c2e-8a3b-4c5d-9e7f-0a1b2c3d4e5f'},
  spec: {nodeName: 'worker-1', containers: [{name: 'db'}]},
  status: {phase: 'Running', conditions: [{type: 'Ready', status: 'True'}]},
}

/** What a stream says until it ends. */
async function readAll(stream: Duplex): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8')
}

describe('port-forward through the API server', function () {
  this.timeout(20_000)
  let fake: FakeApiserver
  let server: Server
  let kc: k8s.KubeConfig

  beforeEach(async () => {
    // The pod's port: answers each line in capitals and hangs up on "bye".
    server = createServer((socket) => {
      socket.on('data', (data: Buffer) => {
        const text = data.toString('utf8')
        socket.write(text.toUpperCase())
        if (text.includes('bye')) socket.end()
      })
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    fake = await startFakeApiserver({objects: [POD]})
    const address = server.address() as {port: number}
    fake.portForward.targets['data/db-0:5432'] = {host: '127.0.0.1', port: address.port}
    kc = new k8s.KubeConfig()
    kc.loadFromFile(fake.kubeconfigPath)
  })
  afterEach(async () => {
    await fake.close()
    server.close()
  })

  it("carries bytes both ways, and ends when the pod's side hangs up", async () => {
    const stream = await openPortForward(kc, {namespace: 'data', pod: 'db-0', port: 5432})
    stream.write('hello ')
    stream.write('and bye')
    assert.equal(await readAll(stream), 'HELLO AND BYE')
    const asked = fake.requests.filter((r) => r.path.endsWith('/portforward'))
    assert.deepEqual(
      asked.map((r) => [r.path, r.query, r.headers['sec-websocket-protocol']]),
      [
        [
          '/api/v1/namespaces/data/pods/db-0/portforward',
          'ports=5432',
          'v5.channel.k8s.io,v4.channel.k8s.io,v3.channel.k8s.io,v2.channel.k8s.io,channel.k8s.io',
        ],
      ],
    )
  })

  it('keeps reading after this side has ended: the protocol has no half-close, and the pod side still answers', async () => {
    const stream = await openPortForward(kc, {namespace: 'data', pod: 'db-0', port: 5432})
    stream.end('last words, bye')
    assert.equal(await readAll(stream), 'LAST WORDS, BYE')
  })

  it("opens one WebSocket per stream, and fails a stream with the kubelet's words when the port is closed", async () => {
    const first = await openPortForward(kc, {namespace: 'data', pod: 'db-0', port: 5432})
    const second = await openPortForward(kc, {namespace: 'data', pod: 'db-0', port: 5432})
    first.write('one bye')
    second.write('two bye')
    assert.deepEqual(await Promise.all([readAll(first), readAll(second)]), ['ONE BYE', 'TWO BYE'])
    const refused = await openPortForward(kc, {namespace: 'data', pod: 'db-0', port: 9999})
    await assert.rejects(
      readAll(refused),
      /^Error: port-forward to data\/db-0:9999: error forwarding port 9999 to pod 6d1f0c2e-8a3b-4c5d-9e7f-0a1b2c3d4e5f, uid : failed to connect to localhost:9999/,
    )
  })

  it('is refused as the API server refuses it', async () => {
    fake.fail({path: /\/portforward$/, code: 403, times: 1})
    await assert.rejects(openPortForward(kc, {namespace: 'data', pod: 'db-0', port: 5432}), {
      message: 'Unexpected server response: 403',
    })
    await assert.rejects(openPortForward(kc, {namespace: 'data', pod: 'no-such-pod', port: 5432}), {
      message: 'Unexpected server response: 404',
    })
  })

  it('ends the stream when the run is interrupted', async () => {
    const controller = new AbortController()
    const stream = await openPortForward(kc, {namespace: 'data', pod: 'db-0', port: 5432}, controller.signal)
    const reading = readAll(stream)
    controller.abort(new Error('interrupted by SIGINT'))
    await assert.rejects(reading, /interrupted by SIGINT/)
  })
})
