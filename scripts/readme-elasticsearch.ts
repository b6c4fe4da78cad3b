// The README's Elasticsearch examples: a fake cluster with Calico Enterprise's log storage (the
// tests' fixtures in the fake Elasticsearch behind a port-forward), and a fake store holding the
// example log as the Elastic integration's data stream, shown under the name STORE_URL.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

import {startCalicoStorageCluster} from '../test/support/calico-log-storage.js'
import {elasticIntegrationMapping, startFakeElasticsearch} from '../test/support/fake-elasticsearch/index.js'
import {integrationDocument} from '../test/support/store-documents.js'

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

type RunCli = (args: readonly string[], options: {env?: NodeJS.ProcessEnv; terminal?: boolean}) => Promise<Run>

/** How the README names the fake store of the examples that take its URL. */
export const STORE_URL = 'https://es.example:9200'

/** Against the cluster with Calico Enterprise's log storage; `secretRefused`: the elastic user's secret may not be read. */
export async function runWithCalicoStorage(
  runCli: RunCli,
  args: readonly string[],
  options: {managed?: boolean; secretRefused?: boolean} = {},
): Promise<Run> {
  const cluster = await startCalicoStorageCluster({managed: options.managed})
  try {
    if (options.secretRefused) cluster.fake.fail({path: /\/secrets\//, code: 403})
    return await runCli(args, {env: {KUBECONFIG: cluster.fake.kubeconfigPath}, terminal: true})
  } finally {
    await cluster.close()
  }
}

/** Against a store holding the example log as the integration's data stream; STORE_URL in the arguments and output is its address. */
export async function runOnIntegrationStore(runCli: RunCli, args: readonly string[], root: string): Promise<Run> {
  const es = await startFakeElasticsearch()
  try {
    es.createDataStream('logs-kubernetes.audit_logs-default', elasticIntegrationMapping())
    const lines = readFileSync(join(root, 'examples/audit.log'), 'utf8').split('\n').filter(Boolean)
    es.index(
      'logs-kubernetes.audit_logs-default',
      lines.map((line) => integrationDocument(JSON.parse(line) as Record<string, unknown>)),
    )
    const run = await runCli(
      args.map((a) => a.replace(STORE_URL, es.url)),
      {terminal: true},
    )
    return {
      code: run.code,
      stdout: run.stdout.replaceAll(es.url, STORE_URL),
      stderr: run.stderr.replaceAll(es.url, STORE_URL),
    }
  } finally {
    await es.close()
  }
}
