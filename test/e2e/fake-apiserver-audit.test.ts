// The fake apiserver's audit, as kube-apiserver does it: a client's Audit-ID kept (refused when
// malformed, made when absent) and echoed; dry-run creates checked and answered, never stored;
// and an audit log on a node that records what its policy says, at its level and stages.
import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync} from 'node:fs'
import https from 'node:https'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {type FakeApiserver, type FakeAuditPolicy, startFakeApiserver} from '../support/fake-apiserver/index.js'

const LOG = '/var/log/kubernetes/audit/audit.log'
const POLICIES = '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies'

interface Answer {
  code: number
  headers: Record<string, string | string[] | undefined>
  body: Record<string, unknown>
}

function request(
  fake: FakeApiserver,
  method: string,
  path: string,
  options: {body?: object; headers?: Record<string, string>} = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = https.request(
      `${fake.url}${path}`,
      {
        method,
        ca: fake.caPem,
        headers: {authorization: `Bearer ${fake.token}`, 'content-type': 'application/json', ...options.headers},
      },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (chunk: Buffer) => chunks.push(chunk))
        res.on('end', () =>
          resolve({
            code: res.statusCode ?? 0,
            headers: res.headers,
            body: JSON.parse(Buffer.concat(chunks).toString() || '{}') as Record<string, unknown>,
          }),
        )
      },
    )
    req.on('error', reject)
    req.end(options.body === undefined ? undefined : JSON.stringify(options.body))
  })
}

const networkPolicy = (name: string, more: object = {}) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: {name},
  spec: {podSelector: {}},
  ...more,
})
const policyAt = (level: FakeAuditPolicy['rules'][number]['level'], omitStages: string[] = []): FakeAuditPolicy => ({
  omitStages,
  rules: [{level, verbs: ['create'], resources: [{group: 'networking.k8s.io', resources: ['networkpolicies']}]}],
})

describe('fake apiserver: audit', () => {
  let fake: FakeApiserver
  let root: string
  const events = () => {
    try {
      return readFileSync(join(root, LOG), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Record<string, unknown>)
    } catch {
      return []
    }
  }

  beforeEach(async () => {
    root = mkdtempSync(join(tmpdir(), 'fake-audit-'))
    fake = await startFakeApiserver({
      nodes: [{name: 'cp-1', root}],
      audit: {user: {username: 'alice', groups: ['system:authenticated']}},
    })
  })
  afterEach(async () => {
    await fake.close()
    rmSync(root, {recursive: true, force: true})
  })

  it('keeps a valid Audit-ID and echoes it; makes one when none is sent; refuses a malformed one', async () => {
    assert.equal(
      (await request(fake, 'GET', '/version', {headers: {'audit-id': 'my-own-id-1'}})).headers['audit-id'],
      'my-own-id-1',
    )
    assert.match(String((await request(fake, 'GET', '/version')).headers['audit-id']), /^[0-9a-f-]{36}$/)
    const bad = await request(fake, 'GET', '/version', {headers: {'audit-id': 'not valid!'}})
    assert.equal(bad.code, 400)
    assert.match(String(bad.body.message), /provided Audit-ID is invalid/)
    assert.equal((await request(fake, 'GET', '/version', {headers: {'audit-id': 'x'.repeat(257)}})).code, 400)
    fake.audit.echo = false
    assert.equal(
      (await request(fake, 'GET', '/version', {headers: {'audit-id': 'my-own-id-2'}})).headers['audit-id'],
      undefined,
    )
  })

  it('a dry-run create is checked and answered like a real one, and nothing is stored', async () => {
    const answer = await request(fake, 'POST', `${POLICIES}?dryRun=All`, {body: networkPolicy('probe-1')})
    assert.equal(answer.code, 201)
    const metadata = answer.body.metadata as Record<string, unknown>
    assert.deepEqual(
      [metadata.name, metadata.namespace, typeof metadata.uid, metadata.resourceVersion],
      ['probe-1', 'default', 'string', undefined],
    )
    assert.equal((await request(fake, 'GET', `${POLICIES}/probe-1`)).code, 404)
    assert.equal((await request(fake, 'POST', `${POLICIES}?dryRun=Some`, {body: networkPolicy('probe-1')})).code, 400)
    assert.equal(
      (
        await request(fake, 'POST', `${POLICIES}?dryRun=All`, {
          body: networkPolicy('probe-1', {apiVersion: 'networking.k8s.io/v2'}),
        })
      ).code,
      400,
    )
    assert.equal(
      (
        await request(fake, 'POST', `${POLICIES}?dryRun=All`, {
          body: networkPolicy('probe-1', {metadata: {name: 'probe-1', namespace: 'other'}}),
        })
      ).code,
      400,
    )
    assert.equal((await request(fake, 'POST', `${POLICIES}?dryRun=All`, {body: {spec: {}}})).code, 422)
    // A real create is stored; its dry-run twin then conflicts, as the apiserver's would.
    assert.equal((await request(fake, 'POST', POLICIES, {body: networkPolicy('real-1')})).code, 201)
    assert.equal((await request(fake, 'POST', `${POLICIES}?dryRun=All`, {body: networkPolicy('real-1')})).code, 409)
  })

  it('RequestResponse: both stages, the name once decoded, both bodies, the dry run in the URI', async () => {
    fake.audit.logs.push({node: 'cp-1', path: LOG, policy: policyAt('RequestResponse')})
    await request(fake, 'POST', `${POLICIES}?dryRun=All`, {
      body: networkPolicy('probe-2'),
      headers: {'audit-id': 'probe-id-2'},
    })
    const [received, complete] = events()
    assert.deepEqual(
      [received!.stage, received!.auditID, (received!.objectRef as {name?: string}).name, received!.requestObject],
      ['RequestReceived', 'probe-id-2', undefined, undefined],
    )
    assert.deepEqual(
      [complete!.stage, complete!.level, complete!.verb, complete!.requestURI],
      ['ResponseComplete', 'RequestResponse', 'create', `${POLICIES}?dryRun=All`],
    )
    assert.deepEqual(complete!.objectRef, {
      resource: 'networkpolicies',
      namespace: 'default',
      name: 'probe-2',
      apiGroup: 'networking.k8s.io',
      apiVersion: 'v1',
    })
    assert.deepEqual(complete!.user, {username: 'alice', groups: ['system:authenticated']})
    assert.deepEqual(complete!.responseStatus, {metadata: {}, code: 201})
    assert.equal((complete!.requestObject as {metadata: {name: string}}).metadata.name, 'probe-2')
    assert.equal((complete!.responseObject as {metadata: {namespace: string}}).metadata.namespace, 'default')
    assert.match(String(complete!.stageTimestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/)
  })

  it('Metadata: no bodies; omitted stages are left out; a kind the policy drops leaves nothing', async () => {
    fake.audit.logs.push({node: 'cp-1', path: LOG, policy: policyAt('Metadata', ['RequestReceived'])})
    await request(fake, 'POST', `${POLICIES}?dryRun=All`, {body: networkPolicy('probe-3')})
    await request(fake, 'POST', '/apis/projectcalico.org/v3/globalnetworkpolicies?dryRun=All', {
      body: {apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: {name: 'g'}},
    })
    const all = events()
    assert.deepEqual(
      all.map((e) => [e.stage, e.level, 'requestObject' in e, 'responseObject' in e]),
      [['ResponseComplete', 'Metadata', false, false]],
    )
  })

  it('an aggregated group is recorded at Metadata at most; a delay holds the write back', async () => {
    const rr: FakeAuditPolicy = {omitStages: ['RequestReceived'], rules: [{level: 'RequestResponse'}]}
    fake.audit.logs.push({node: 'cp-1', path: LOG, policy: rr, aggregatedGroups: ['projectcalico.org'], delayMs: 300})
    await request(fake, 'POST', '/apis/projectcalico.org/v3/globalnetworkpolicies?dryRun=All', {
      body: {apiVersion: 'projectcalico.org/v3', kind: 'GlobalNetworkPolicy', metadata: {name: 'g'}},
    })
    assert.deepEqual(events(), [], 'not yet written')
    await new Promise((resolve) => setTimeout(resolve, 600))
    assert.deepEqual(
      events().map((e) => e.level),
      ['Metadata'],
    )
  })

  it('SelfSubjectReview names the user the token is', async () => {
    const review = await request(fake, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {
      body: {apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview'},
    })
    assert.deepEqual((review.body.status as {userInfo: object}).userInfo, {
      username: 'alice',
      groups: ['system:authenticated'],
    })
  })
})
