// Kubeconfig files pointing at the fake apiserver, as kubectl and client-node read them.
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {stringify} from 'yaml'

export interface KubeconfigSpec {
  server: string
  caPem: string
  /** Left out when null: a front such as kubectl proxy adds the credentials itself. */
  token: string | null
  context: string
  /** The cluster's `proxy-url`. */
  proxyUrl?: string
}

export function writeKubeconfigFile(dir: string, fileName: string, spec: KubeconfigSpec): string {
  const config = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [
      {
        name: spec.context,
        cluster: {
          server: spec.server,
          // Plain HTTP has no certificate to check.
          ...(spec.server.startsWith('https:')
            ? {'certificate-authority-data': Buffer.from(spec.caPem).toString('base64')}
            : {}),
          ...(spec.proxyUrl ? {'proxy-url': spec.proxyUrl} : {}),
        },
      },
    ],
    users: [{name: spec.context, user: spec.token === null ? {} : {token: spec.token}}],
    contexts: [{name: spec.context, context: {cluster: spec.context, user: spec.context}}],
    'current-context': spec.context,
    preferences: {},
  }
  const path = join(dir, fileName)
  writeFileSync(path, stringify(config), {mode: 0o600})
  return path
}
