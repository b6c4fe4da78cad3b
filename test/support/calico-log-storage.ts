// A cluster with Calico Enterprise's log storage, for tests and the README: the fake apiserver holds
// the operator's objects (Elasticsearch's service and pod, the `elastic` user's secret, the CA
// bundle) and forwards the pod's port to the fake Elasticsearch (HTTPS, the operator's CA), whose
// audit indices hold our fixtures: the kube-apiserver's log and the Calico API server's.
import {readFileSync} from 'node:fs'
import {fileURLToPath} from 'node:url'

import {type FakeApiserver, type FakeAuditSettings, type FakeNode, startFakeApiserver} from './fake-apiserver/index.js'
import {
  calicoAuditMapping,
  type FakeElasticsearch,
  startFakeElasticsearch,
  type StoreUser,
} from './fake-elasticsearch/index.js'

export const CALICO_ES_NAMESPACE = 'tigera-elasticsearch'
export const CALICO_ES_POD = 'tigera-secure-es-default-es-0'
export const ELASTIC_PASSWORD = 'eck-generated-password'
const ES_LABELS = {
  'common.k8s.elastic.co/type': 'elasticsearch',
  'elasticsearch.k8s.elastic.co/cluster-name': 'tigera-secure',
}

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/elasticsearch/${name}`, import.meta.url))
export const CALICO_KUBE_LOG = fixture('calico-kube-apiserver.jsonl')
export const CALICO_APISERVER_LOG = fixture('calico-apiserver.jsonl')
export const MANAGED_KUBE_LOG = fixture('calico-managed-eu-kube-apiserver.jsonl')

export const jsonLines = (path: string) =>
  readFileSync(path, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>)

/** The objects the operator and ECK make for log storage, as far as finding Elasticsearch goes. */
export function logStorageObjects(caPem: string): object[] {
  return [
    {apiVersion: 'v1', kind: 'Namespace', metadata: {name: CALICO_ES_NAMESPACE}},
    {
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {name: 'tigera-secure-es-http', namespace: CALICO_ES_NAMESPACE},
      spec: {selector: ES_LABELS, ports: [{name: 'https', port: 9200, protocol: 'TCP', targetPort: 9200}]},
    },
    {
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: {
        name: CALICO_ES_POD,
        namespace: CALICO_ES_NAMESPACE,
        labels: {...ES_LABELS, 'elasticsearch.k8s.elastic.co/node-master': 'true'},
        uid: '5f0c2d8e-0e2b-4a47-9f16-3c1d1c6f7a10',
      },
      spec: {
        nodeName: 'worker-1',
        containers: [
          {
            name: 'elasticsearch',
            image: 'tigera/elasticsearch:v3.22.0',
            ports: [
              {name: 'https', containerPort: 9200},
              {name: 'transport', containerPort: 9300},
            ],
          },
        ],
      },
      status: {phase: 'Running', conditions: [{type: 'Ready', status: 'True'}]},
    },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {name: 'tigera-secure-es-elastic-user', namespace: CALICO_ES_NAMESPACE},
      type: 'Opaque',
      data: {elastic: Buffer.from(ELASTIC_PASSWORD).toString('base64')},
    },
    {
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {name: 'tigera-ca-bundle', namespace: CALICO_ES_NAMESPACE},
      data: {'tigera-ca-bundle.crt': caPem},
    },
  ]
}

/** Calico Enterprise's two indices of cluster `cluster` (and, with `managed`, one of a managed cluster). */
export const CALICO_KUBE_INDEX = 'tigera_secure_ee_audit_kube.cluster.fluentd-20261124-000001'
export const CALICO_EE_INDEX = 'tigera_secure_ee_audit_ee.cluster.fluentd-20261124-000001'

export function loadCalicoIndices(es: FakeElasticsearch, options: {managed?: boolean} = {}): void {
  const kube = CALICO_KUBE_INDEX
  const ee = CALICO_EE_INDEX
  es.createIndex(kube, calicoAuditMapping())
  es.createIndex(ee, calicoAuditMapping())
  es.index(kube, jsonLines(CALICO_KUBE_LOG))
  es.index(ee, jsonLines(CALICO_APISERVER_LOG))
  if (options.managed) {
    const managed = 'tigera_secure_ee_audit_kube.managed-eu.fluentd-20261124-000001'
    es.createIndex(managed, calicoAuditMapping())
    es.index(managed, jsonLines(MANAGED_KUBE_LOG))
  }
}

export interface CalicoStorageCluster {
  readonly fake: FakeApiserver
  readonly es: FakeElasticsearch
  close(): Promise<void>
}

/** The store and the cluster around it; `objects` replaces the operator's (none: a cluster without log storage). */
export async function startCalicoStorageCluster(
  options: {
    objects?: object[]
    /** Objects besides the operator's. */
    moreObjects?: object[]
    nodes?: FakeNode[]
    users?: Record<string, StoreUser>
    managed?: boolean
    /** The fake apiserver's audit (its logs may ship to the store). */
    audit?: Partial<FakeAuditSettings>
  } = {},
): Promise<CalicoStorageCluster> {
  const es = await startFakeElasticsearch({
    tls: true,
    users: {elastic: {password: ELASTIC_PASSWORD, indices: ['*']}, ...options.users},
  })
  loadCalicoIndices(es, {managed: options.managed})
  const fake = await startFakeApiserver({
    objects: [...(options.objects ?? logStorageObjects(es.caPem!)), ...(options.moreObjects ?? [])],
    nodes: options.nodes,
    ...(options.audit ? {audit: options.audit} : {}),
  })
  fake.portForward.targets[`${CALICO_ES_NAMESPACE}/${CALICO_ES_POD}:9200`] = {
    host: '127.0.0.1',
    port: Number(new URL(es.url).port),
  }
  return {
    fake,
    es,
    close: async () => {
      await fake.close()
      await es.close()
    },
  }
}
