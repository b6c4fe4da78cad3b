// The README's --watch examples: the example log in a directory, followed while new changes are
// written to it (and, in one, it is rotated), then Ctrl-C. The CLI runs on a terminal of the
// README's width (script(1)), stdout and stderr both, so they show in the order a user sees them;
// `^C` where the signal was sent. The changes written carry fixed times and IDs, so the output is
// the same on every run.
import {spawn} from 'node:child_process'
import {appendFileSync, copyFileSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {auditLine} from '../test/support/events.js'

interface Written {
  readonly name: string
  readonly user: string
  readonly verb: string
  readonly code: number
  readonly time: string
}

/** What is written while the log is followed: one change, then a rotation, then two more. */
const BEFORE_ROTATION: readonly Written[] = [
  {name: 'allow-metrics', user: 'alice', verb: 'patch', code: 200, time: '2026-11-24T09:41:07.512301Z'},
]
const AFTER_ROTATION: readonly Written[] = [
  {name: 'default-deny', user: 'mallory', verb: 'delete', code: 403, time: '2026-11-24T09:41:09.100420Z'},
  {name: 'allow-web', user: 'bob', verb: 'update', code: 200, time: '2026-11-24T09:41:12.730011Z'},
]

const line = (w: Written, i: number) =>
  auditLine({
    auditID: `7a1c0e52-0d6b-4c6e-9d0e-00000000000${i}`,
    verb: w.verb,
    user: w.user,
    apiGroup: 'networking.k8s.io',
    resource: 'networkpolicies',
    namespace: 'shop',
    name: w.name,
    code: w.code,
    time: w.time,
    userAgent: 'kubectl/v1.34.1 (linux/amd64) kubernetes/93248f9',
  }) + '\n'

/**
 * A change with its object, as the example log's Calico changes are logged: dave's patch to the
 * Calico NetworkPolicy shop/allow-frontend through the aggregated API (his request at Metadata),
 * and the Calico API server's write of the stored object (at RequestResponse). It adds an ingress
 * rule from every address on 443 to the version the example log created.
 */
const PATCH_TIME = '2026-11-24T09:58:21.318204Z'
const FRONTEND_SPEC = {
  tier: 'default',
  order: 102,
  selector: "app == 'web'",
  types: ['Ingress', 'Egress'],
  ingress: [
    {action: 'Allow', protocol: 'TCP', source: {selector: "app == 'gateway'"}, destination: {ports: [8082]}},
    {action: 'Allow', protocol: 'TCP', source: {nets: ['0.0.0.0/0']}, destination: {ports: [443]}},
  ],
  egress: [
    {
      action: 'Allow',
      protocol: 'UDP',
      destination: {
        selector: "k8s-app == 'kube-dns'",
        namespaceSelector: "kubernetes.io/metadata.name == 'kube-system'",
        ports: [53],
      },
    },
  ],
}
const FRONTEND_PATCH =
  auditLine({
    auditID: '3f9d2b7e-5c41-4a0e-8f6d-000000000011',
    verb: 'patch',
    user: 'dave',
    apiGroup: 'projectcalico.org',
    apiVersion: 'v3',
    resource: 'networkpolicies',
    namespace: 'shop',
    name: 'allow-frontend',
    time: PATCH_TIME,
    userAgent: 'kubectl/v1.34.1 (linux/amd64) kubernetes/93248f9',
  }) +
  '\n' +
  auditLine({
    auditID: '3f9d2b7e-5c41-4a0e-8f6d-000000000012',
    verb: 'update',
    user: 'system:serviceaccount:calico-apiserver:calico-apiserver',
    level: 'RequestResponse',
    apiGroup: 'crd.projectcalico.org',
    apiVersion: 'v1',
    resource: 'networkpolicies',
    namespace: 'shop',
    name: 'default.allow-frontend',
    time: PATCH_TIME.replace('318204Z', '326990Z'),
    userAgent: 'apiserver/v0.0.0 (linux/amd64) kubernetes/$Format',
    responseObject: {
      apiVersion: 'crd.projectcalico.org/v1',
      kind: 'NetworkPolicy',
      metadata: {
        name: 'default.allow-frontend',
        namespace: 'shop',
        uid: 'd2778398-1c0b-4c9b-9c9f-60bedf2805af',
        resourceVersion: '4861207',
        generation: 2,
        creationTimestamp: '2026-11-24T07:20:12Z',
        annotations: {'projectcalico.org/metadata': '{"creationTimestamp":null}'},
      },
      spec: FRONTEND_SPEC,
    },
  }) +
  '\n'

/** What is written while the log is followed. */
export type WatchScenario = 'rotation' | 'calico-patch'

/** Runs `args` (with `audit/` holding the example log as audit.log) through the scenario; the console text it shows. */
export async function runWatchExample(
  args: readonly string[],
  root: string,
  columns: number,
  scenario: WatchScenario = 'rotation',
): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'readme-watch-'))
  mkdirSync(join(dir, 'audit'))
  const log = join(dir, 'audit', 'audit.log')
  copyFileSync(join(root, 'examples', 'audit.log'), log)
  const command = [process.execPath, join(root, 'bin/run.js'), ...args]
    .map((w) => `'${w.replaceAll("'", "'\\''")}'`)
    .join(' ')
  const child = spawn('script', ['-qefc', `stty cols ${columns} rows 500 && exec ${command}`, '/dev/null'], {
    cwd: dir,
    env: {...process.env, NO_COLOR: '1', COLUMNS: undefined, FORCE_COLOR: undefined},
    stdio: ['pipe', 'pipe', 'pipe'],
  })
  let shown = ''
  child.stdout.on('data', (d: Buffer) => {
    shown += d.toString().replaceAll('\r\n', '\n')
  })
  const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
  /** Ctrl-C: the signal goes to the CLI, which script(1) runs in its place; what was shown, once it exited. */
  const interrupt = async () => {
    const cli = await childOf(child.pid!)
    shown += '^C\n'
    process.kill(cli, 'SIGINT')
    const code = await exited
    if (code !== 0) throw new Error(`--watch example: exit ${code}: ${shown}`)
    // The progress line while the log is read is drawn over, and gone once it is read.
    return shown.replace(/\r\u001b\[2K[^\r\n]*(?=\r\u001b\[2K)/g, '').replaceAll('\r\u001b[2K', '')
  }
  const waitFor = async (text: string, from = 0) => {
    const deadline = Date.now() + 30_000
    while (!shown.includes(text, from)) {
      if (Date.now() > deadline || child.exitCode !== null)
        throw new Error(`--watch example: never saw ${text}: ${shown}`)
      await new Promise((resolve) => setTimeout(resolve, 20))
    }
  }
  try {
    await waitFor('Ctrl-C to stop')
    if (scenario === 'calico-patch') {
      appendFileSync(log, FRONTEND_PATCH)
      // The patch's row, then the blank line that closes the lines under it.
      await waitFor('2026-11-24T09:58:21Z')
      await waitFor('\n\n', shown.indexOf('2026-11-24T09:58:21Z'))
      return await interrupt()
    }
    appendFileSync(log, line(BEFORE_ROTATION[0]!, 1))
    await waitFor(BEFORE_ROTATION[0]!.name)
    // Rotated as kube-apiserver rotates it: renamed, and a new file under the name.
    renameSync(log, join(dir, 'audit', 'audit-2026-11-24T09-41-08.000.log'))
    writeFileSync(log, line(AFTER_ROTATION[0]!, 2))
    await waitFor(AFTER_ROTATION[0]!.name)
    appendFileSync(log, line(AFTER_ROTATION[1]!, 3))
    await waitFor(AFTER_ROTATION[1]!.name)
    return await interrupt()
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL')
    rmSync(dir, {recursive: true, force: true})
  }
}

/** The process script(1) started. */
async function childOf(pid: number): Promise<number> {
  const {execFileSync} = await import('node:child_process')
  const found = execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], {encoding: 'utf8'})
    .trim()
    .split('\n')[0]
  if (!found) throw new Error('--watch example: the CLI is not running under script(1)')
  return Number(found)
}
