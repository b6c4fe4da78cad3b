// Reading a GKE cluster's audit log from Cloud Logging, against a loopback entries:list that
// checks the bearer token, evaluates the filter it receives, pages with tokens and can answer
// quota errors: the filter and window sent are asserted, not only what came back.
import assert from 'node:assert/strict'

import {WATCHED_RESOURCES, WRITE_VERBS} from '../../src/audit/catalog.js'
import {decodeDocument} from '../../src/audit/event.js'
import {CloudLoggingSource} from '../../src/sources/cloud-logging.js'
import {entriesFilter, methodPattern, rfc3339Micros} from '../../src/sources/cloud-logging-filter.js'
import type {QueryFilter, QueryPage} from '../../src/sources/source.js'
import {FAKE_TOKEN, type FakeCloudLoggingOptions, FakeCloudLogging} from '../support/fake-cloud-logging.js'
import {GKE_CLUSTER, GKE_LOCATION, GKE_PROJECT, gkeMorning} from '../support/gke-scenario.js'

const TARGET = {project: GKE_PROJECT, location: GKE_LOCATION, cluster: GKE_CLUSTER}
const ALL: QueryFilter = {
  sinceMs: Date.parse('2026-11-24T09:00:00Z'),
  untilMs: Date.parse('2026-11-24T11:00:00Z') + 0.5,
  resources: WATCHED_RESOURCES.map(({apiGroup, resource}) => ({apiGroup, resource})),
  verbs: [...WRITE_VERBS],
  users: [],
  namespaces: [],
}

async function withFake<T>(
  options: FakeCloudLoggingOptions,
  run: (fake: FakeCloudLogging, source: CloudLoggingSource) => Promise<T>,
): Promise<T> {
  const fake = await new FakeCloudLogging({entries: gkeMorning(), ...options}).start()
  try {
    const source = new CloudLoggingSource({
      target: TARGET,
      baseUrl: fake.url,
      headers: async () => ({authorization: `Bearer ${FAKE_TOKEN}`}),
      backoffMs: 1,
      attempts: 4,
    })
    return await run(fake, source)
  } finally {
    await fake.stop()
  }
}

async function readAll(source: CloudLoggingSource, filter: QueryFilter): Promise<QueryPage[]> {
  const pages: QueryPage[] = []
  for await (const page of source.query(filter)) pages.push(page)
  return pages
}

const ids = (pages: readonly QueryPage[]) =>
  pages.flatMap((p) => p.records.map((r) => (r as {insertId: string}).insertId.slice(-4)))

describe('the Cloud Logging filter', () => {
  it('names the cluster, the Admin Activity log, the window, and every watched method', () => {
    assert.equal(
      entriesFilter(TARGET, ALL),
      [
        'resource.type="k8s_cluster"',
        'resource.labels.location="europe-west1"',
        'resource.labels.cluster_name="prod"',
        'logName="projects/shop-prod/logs/cloudaudit.googleapis.com%2Factivity"',
        'timestamp>="2026-11-24T09:00:00Z"',
        'timestamp<="2026-11-24T11:00:00.0005Z"',
        `protoPayload.methodName=~"${methodPattern(ALL)}"`,
      ].join('\nAND '),
    )
  })

  it('spells each group as GKE writes it, Calico both ways, and never narrows the Calico backing writes', () => {
    const pattern = methodPattern({
      resources: [
        {apiGroup: 'networking.k8s.io', resource: 'networkpolicies'},
        {apiGroup: 'projectcalico.org', resource: 'tiers'},
        {apiGroup: 'crd.projectcalico.org', resource: 'tiers'},
      ],
      verbs: ['patch'],
    })
    assert.equal(
      pattern,
      [
        '^(io[.]k8s[.]networking)[.]v[0-9a-z]+[.](networkpolicies)([.][a-z]+)?[.](patch)$',
        '^(org[.]projectcalico|projectcalico[.]org)[.]v[0-9a-z]+[.](tiers)([.][a-z]+)?[.](patch)$',
        '^(org[.]projectcalico[.]crd|crd[.]projectcalico[.]org)[.]v[0-9a-z]+[.](tiers)([.][a-z]+)?[.](create|update|patch|delete|deletecollection)$',
      ].join('|'),
    )
    const re = new RegExp(pattern)
    for (const method of [
      'io.k8s.networking.v1.networkpolicies.patch',
      'org.projectcalico.v3.tiers.patch',
      'projectcalico.org.v3.tiers.status.patch',
      'org.projectcalico.crd.v1.tiers.update',
    ])
      assert.ok(re.test(method), method)
    for (const method of [
      'io.k8s.networking.v1.networkpolicies.create',
      'io.k8s.core.v1.pods.patch',
      'com.example.v1.tiers.patch',
      'org.projectcalico.v3.tiers.update',
    ])
      assert.ok(!re.test(method), method)
  })

  it('pushes --user (keeping the backing writes) and -n; a --user glob stays client-side', () => {
    const filter = entriesFilter(TARGET, {...ALL, users: ['alice@example.com', 'o"brien'], namespaces: ['shop']})
    assert.match(
      filter,
      /\nAND \(protoPayload\.authenticationInfo\.principalEmail=\("alice@example\.com" OR "o\\"brien"\) OR protoPayload\.methodName=~"\^\(org\[\.\]projectcalico\[\.\]crd\|crd\[\.\]projectcalico\[\.\]org\)\[\.\]"\)\nAND /,
    )
    assert.match(filter, /\nAND protoPayload\.resourceName:\("\/namespaces\/shop\/"\)$/)
    assert.doesNotMatch(entriesFilter(TARGET, {...ALL, users: ['alice@*']}), /principalEmail/)
  })

  it('writes bounds to the microsecond, rounding outwards', () => {
    assert.equal(rfc3339Micros(Date.parse('2026-11-24T10:00:00Z') * 1000 + 7), '2026-11-24T10:00:00.000007Z')
    assert.match(
      entriesFilter(TARGET, {...ALL, sinceMs: Date.parse('2026-11-24T10:00:00Z') + 0.0015, untilMs: null}),
      /timestamp>="2026-11-24T10:00:00\.000001Z"\nAND protoPayload/,
    )
  })
})

describe('reading Cloud Logging', () => {
  it('asks entries:list with the filter, oldest first, 1000 a page, and gets the policy writes only', async () => {
    await withFake({}, async (fake, source) => {
      const pages = await readAll(source, ALL)
      assert.deepEqual(fake.requests, [
        {
          resourceNames: ['projects/shop-prod'],
          filter: entriesFilter(TARGET, ALL),
          orderBy: 'timestamp asc',
          pageSize: 1000,
        },
      ])
      assert.deepEqual(
        ids(pages),
        ['0002', '0003', '0004', '0005', '0007', '0008'],
        'the pod and the lease stay in the store',
      )
      assert.ok(pages[0].bytes > 1000)
      for (const record of pages[0].records) assert.ok('events' in decodeDocument(record))
    })
  })

  it('follows page tokens to the end, through an empty page that carries one', async () => {
    await withFake({maxPageSize: 2, emptyFirstPage: true}, async (fake, source) => {
      const pages = await readAll(source, ALL)
      assert.deepEqual(
        pages.map((p) => p.records.length),
        [0, 2, 2, 2],
      )
      assert.deepEqual(ids(pages), ['0002', '0003', '0004', '0005', '0007', '0008'])
      assert.equal(fake.requests.length, 4)
      assert.equal(fake.requests[0].pageToken, undefined)
      for (const request of fake.requests.slice(1)) assert.match(request.pageToken ?? '', /^tok-/)
      assert.ok(fake.requests.every((r) => r.filter === fake.requests[0].filter))
    })
  })

  it('waits out quota errors (429 RESOURCE_EXHAUSTED), then reads on', async () => {
    await withFake({quotaErrors: 2}, async (fake, source) => {
      const pages = await readAll(source, ALL)
      assert.equal(fake.requests.length, 3)
      assert.deepEqual(ids(pages), ['0002', '0003', '0004', '0005', '0007', '0008'])
    })
  })

  it('gives up on a quota that stays exhausted, saying what to do', async () => {
    await withFake({quotaErrors: 10}, async (fake, source) => {
      await assert.rejects(
        readAll(source, ALL),
        /^Error: Cloud Logging's read quota of project shop-prod stayed exhausted through 4 tries \(429 RESOURCE_EXHAUSTED: Quota exceeded.*\); try again in a minute, or with a shorter --since$/,
      )
      assert.equal(fake.requests.length, 4)
    })
  })

  it('names the role when permission is denied, and the command when the API is off', async () => {
    await withFake(
      {
        refuse: {
          http: 403,
          status: 'PERMISSION_DENIED',
          message: "Permission 'logging.logEntries.list' denied on resource (or it may not exist).",
          reason: 'IAM_PERMISSION_DENIED',
        },
      },
      async (fake, source) => {
        await assert.rejects(
          readAll(source, ALL),
          /permission denied reading the logs of project shop-prod \(403 PERMISSION_DENIED: .*\); it needs logging\.logEntries\.list, in roles\/logging\.viewer: gcloud projects add-iam-policy-binding shop-prod --member=user:EMAIL --role=roles\/logging\.viewer$/,
        )
        assert.equal(fake.requests.length, 1, 'a refusal is not retried')
      },
    )
    await withFake(
      {
        refuse: {
          http: 403,
          status: 'PERMISSION_DENIED',
          message: 'Cloud Logging API has not been used in project 123 before or it is disabled.',
          reason: 'SERVICE_DISABLED',
        },
      },
      async (_fake, source) => {
        await assert.rejects(
          readAll(source, ALL),
          /enable it: gcloud services enable logging\.googleapis\.com --project shop-prod$/,
        )
      },
    )
  })

  it('an empty answer is fine when the cluster logged other writes in the window', async () => {
    await withFake({}, async (fake, source) => {
      const quiet = {...ALL, sinceMs: Date.parse('2026-11-24T10:20:00Z'), untilMs: Date.parse('2026-11-24T10:21:00Z')}
      assert.deepEqual(ids(await readAll(source, quiet)), [])
      // The probe: the same cluster, log and window, no method.
      assert.equal(fake.requests[1].filter, entriesFilter(TARGET, quiet).split('\nAND ').slice(0, 6).join('\nAND '))
      assert.equal(fake.requests[1].pageSize, 1)
    })
  })

  it('says so when the window holds no entry of the cluster at all', async () => {
    await withFake({}, async (_fake, source) => {
      const before = {...ALL, sinceMs: Date.parse('2026-11-20T00:00:00Z'), untilMs: Date.parse('2026-11-21T00:00:00Z')}
      await assert.rejects(
        readAll(source, before),
        /^Error: no audit entry of GKE cluster prod \(europe-west1\) in project shop-prod between 2026-11-20T00:00:00Z and 2026-11-21T00:00:00Z: check the names \(gcloud container clusters list --project shop-prod\), or widen --since$/,
      )
    })
  })

  it('reads only the asked user, with the Calico backing writes, when --user is pushed down', async () => {
    await withFake({}, async (_fake, source) => {
      assert.deepEqual(ids(await readAll(source, {...ALL, users: ['carol@example.com']})), ['0004', '0005', '0008'])
    })
  })
})
