// The README's Loki examples, run against a loopback Loki (test/support/fake-loki) holding
// examples/audit.log as promtail ships it, labelled as the k8s-monitoring chart's audit-log
// collector does. The command is shown with Loki at http://localhost:3100 (as after a
// port-forward); it runs against the fake's own port, which is put back in what it prints.
import {readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {FakeLoki, shippedLines} from '../test/support/fake-loki.js'

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

type RunCli = (args: readonly string[], options: {env?: NodeJS.ProcessEnv; terminal?: boolean}) => Promise<Run>

/** Where the examples say Loki is. */
export const SHOWN_URL = 'http://localhost:3100'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')

export async function runOnLoki(runCli: RunCli, args: readonly string[]): Promise<Run> {
  const fake = await new FakeLoki().start()
  try {
    const lines = readFileSync(join(ROOT, 'examples/audit.log'), 'utf8').split('\n')
    fake.addStream({job: 'integrations/kubernetes-audit', cluster: 'demo'}, shippedLines(lines, 800))
    const run = await runCli(
      args.map((arg) => (arg === SHOWN_URL ? fake.url : arg)),
      {env: {LOKI_USERNAME: undefined, LOKI_PASSWORD: undefined, LOKI_BEARER_TOKEN: undefined}, terminal: true},
    )
    const shown = (text: string) => text.replaceAll(fake.url, SHOWN_URL)
    return {code: run.code, stdout: shown(run.stdout), stderr: shown(run.stderr)}
  } finally {
    await fake.close()
  }
}
