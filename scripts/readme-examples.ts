// Regenerates every command output shown in README.md from the current code (`npm run readme`);
// test/integration/readme-examples.test.ts fails when the README differs from what this writes.
//
// An example is a marker, the block it owns, and an end marker:
//
//   <!-- example: policies -f examples/audit.log --since all --limit 6 -->
//   ```console
//   $ kubectl audit policies -f examples/audit.log --since all --limit 6
//   …what that prints…
//   ```
//   <!-- end example -->
//
// The marker holds the arguments of the command that is run (through bin/run.js, as built, from
// the project root, NO_COLOR, stdout a 100-column terminal, as a user would see it; the JSON
// example's stdout is a pipe, as `| jq` gives it). A command listed in SPECIAL is run and
// shown its own way (input files set out under the names shown, a fake cluster, a shortened JSON
// document); any other marker just shows the command and what it prints on stdout and stderr.
import {spawn} from 'node:child_process'
import {copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {kubeadmApiserverPod} from '../test/support/apiserver-pods.js'
import {KUBEADM_LOG, recentLog, writeOnNode} from '../test/support/cluster-logs.js'
import {startFakeApiserver} from '../test/support/fake-apiserver/index.js'
import {runOnAks} from './readme-aks.js'
import {FakeCloudLogging} from '../test/support/fake-cloud-logging.js'
import {fakeGoogleEnv, gkeMorning, writeGkeKubeconfig} from '../test/support/gke-scenario.js'
import {runOnEks} from './readme-eks.js'
import {runOnIntegrationStore, runWithCalicoStorage, STORE_URL} from './readme-elasticsearch.js'
import {runOnLoki} from './readme-loki.js'
import {runProbeOnGke, runProbeOnLoki} from './readme-probe-stores.js'
import {runWatchExample} from './readme-watch.js'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
export const README = join(ROOT, 'README.md')

const ENV = {
  NO_COLOR: '1',
  COLUMNS: undefined,
  FORCE_COLOR: undefined,
  KUBECONFIG: join(ROOT, 'no-kubeconfig'),
  ES_USERNAME: '',
  ES_PASSWORD: '',
  ES_API_KEY: '',
}

interface Run {
  code: number | null
  stdout: string
  stderr: string
}

/** Width of the terminal the examples are shown in. */
const COLUMNS = 100
/** --watch prints a row per change, fitted once: shown on a terminal as wide as many are. */
const WATCH_COLUMNS = 120

function runCli(
  args: readonly string[],
  options: {cwd?: string; env?: NodeJS.ProcessEnv; terminal?: boolean} = {},
): Promise<Run> {
  const command = [process.execPath, join(ROOT, 'bin/run.js'), ...args]
  // util-linux script(1) gives the command a pseudo-terminal of COLUMNS columns for stdout; stderr
  // stays a pipe (no progress line), and its lines follow stdout's.
  const argv = options.terminal
    ? [
        'script',
        '-qefc',
        `stty cols ${COLUMNS} rows 500 && exec ${command.map(shellQuote).join(' ')} 2>&3`,
        '/dev/null',
      ]
    : command
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), {
      cwd: options.cwd ?? ROOT,
      env: {...process.env, ...ENV, ...options.env},
      stdio: ['ignore', 'pipe', 'pipe', 'pipe'],
    })
    const out: Buffer[] = []
    const err: Buffer[] = []
    child.stdout!.on('data', (d: Buffer) => out.push(d))
    child.stderr!.on('data', (d: Buffer) => err.push(d))
    ;(child.stdio[3] as NodeJS.ReadableStream).on('data', (d: Buffer) => err.push(d))
    child.on('error', reject)
    // A terminal ends lines with CR LF.
    child.on('close', (code) =>
      resolve({
        code,
        stdout: Buffer.concat(out).toString().replaceAll('\r\n', '\n'),
        stderr: Buffer.concat(err).toString(),
      }),
    )
  })
}

function shellQuote(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", "'\\''")}'`
}

/** Splits a marker's arguments as a shell would, for the simple quoting a README uses. */
function argsOf(command: string): string[] {
  return [...command.matchAll(/'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2]!)
}

const consoleBlock = (command: string, output: string) =>
  ['```console', `$ kubectl audit ${command}`, output.trimEnd(), '```'].join('\n')

/** Keeps the rows of a table (below its header line, up to a blank line) that start with one of `keep`; "…" stands for each run of rows left out. */
function elideRows(text: string, header: RegExp, keep: readonly string[]): string {
  const lines = text.split('\n')
  const start = lines.findIndex((l) => header.test(l)) + 1
  if (start === 0) throw new Error(`no line matches ${header}`)
  const out = lines.slice(0, start)
  let i = start
  for (; i < lines.length && lines[i] !== '' && /^\S+\s{2,}/.test(lines[i]!); i++) {
    if (keep.some((k) => lines[i]!.startsWith(`${k} `))) out.push(lines[i]!)
    else if (out.at(-1) !== '…') out.push('…')
  }
  return [...out, ...lines.slice(i)].join('\n')
}

/** JSON the way the README shows it: one top-level field a line, nested values on one line, long objects wrapped. */
function shortJson(document: Record<string, unknown>): string {
  const inline = (value: unknown): string => {
    if (Array.isArray(value)) return `[${value.map(inline).join(', ')}]`
    if (value !== null && typeof value === 'object')
      return `{${Object.entries(value)
        .map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`)
        .join(', ')}}`
    return JSON.stringify(value)
  }
  const wrapped = (object: Record<string, unknown>, indent: string): string => {
    const lines: string[] = []
    for (const pair of Object.entries(object).map(([k, v]) => `${JSON.stringify(k)}: ${inline(v)}`)) {
      const last = lines.length - 1
      if (last >= 0 && indent.length + lines[last]!.length + 2 + pair.length <= 100) lines[last] += `, ${pair}`
      else lines.push(pair)
    }
    return `{\n${lines.map((l, i) => `${indent}${l}${i < lines.length - 1 ? ',' : ''}`).join('\n')}\n${indent.slice(2)}}`
  }
  const fields = Object.entries(document).map(([key, value]) => {
    const text = inline(value)
    if (text.length + key.length + 6 <= 100) return `  ${JSON.stringify(key)}: ${text}`
    const items = value as Array<Record<string, unknown>>
    return `  ${JSON.stringify(key)}: [${items.map((item) => wrapped(item, '    ')).join(', ')}]`
  })
  return `{\n${fields.join(',\n')}\n}`
}

/** Keeps the checks (rows of the CHECK table, each with its wrapped lines) whose id is in `keep`; "…" stands for each run left out. */
function keepChecks(text: string, keep: readonly string[]): string {
  const lines = text.split('\n')
  const start = lines.findIndex((l) => /^CHECK\s/.test(l)) + 1
  if (start === 0) throw new Error('no CHECK table')
  const out = lines.slice(0, start)
  let kept = false
  let i = start
  for (; i < lines.length && lines[i] !== ''; i++) {
    if (!lines[i]!.startsWith(' ')) kept = keep.some((id) => lines[i]!.startsWith(`${id} `))
    if (kept) out.push(lines[i]!)
    else if (out.at(-1) !== '…') out.push('…')
  }
  return [...out, ...lines.slice(i)].join('\n')
}

/** Sample values for what differs from run to run: the probe's name, its audit IDs, the fake's port, how long each took. */
function fixedRunValues(text: string, time = '0.4s'): string {
  const samples = [
    '0b6c4a52-8f1e-4d3a-9c27-5e81f0a4d6b9',
    '3f9e2d17-6a4b-4c8e-b1d5-72a0c9e3f842',
    '8a51c0e4-2b7d-49f6-a3e8-d46f1b925c70',
    'c27d8f93-5e16-4a0b-8d4c-1f3b6e7a9052',
    'e4a0b6d1-9c35-4f72-b8e9-60d2a5c17f38',
  ]
  const ids = new Map<string, string>()
  return text
    .replace(
      /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g,
      (id) => ids.get(id) ?? ids.set(id, samples[ids.size] ?? id).get(id)!,
    )
    .replace(/kubectl-audit-probe-[0-9a-f]{4}/g, 'kubectl-audit-probe-7f3a')
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:6443')
    .replace(/\b\d\.\ds\b/g, time)
}

const SPECIAL: Record<string, (command: string) => Promise<string>> = {
  /** The contract: the real document, with the first entry of each list. */
  'policies -f examples/audit.log --since-time 2026-11-24T07:00:00Z -o json': async (command) => {
    const run = await runCli(argsOf(command))
    if (run.code !== 0) throw new Error(`${command}: exit ${run.code}: ${run.stderr}`)
    const report = JSON.parse(run.stdout) as Record<string, unknown>
    const counts = (['summary', 'changes'] as const).map((key) => {
      const list = report[key] as unknown[]
      report[key] = list.slice(0, 1)
      return `${list.length} ${key === 'summary' ? 'summary rows' : 'changes'}`
    })
    return [
      `\`kubectl audit ${command}\` prints this (of its ${counts.join(' and ')}, the first of each):`,
      '',
      '```json',
      shortJson(report),
      '```',
    ].join('\n')
  },

  /** What --diff adds to a change: the real document, its one change shown whole. */
  'policies -f examples/audit.log --since all --kind tier --verb patch --diff -o json': async (command) => {
    const run = await runCli(argsOf(command))
    if (run.code !== 0) throw new Error(`${command}: exit ${run.code}: ${run.stderr}`)
    const report = JSON.parse(run.stdout) as {changes: unknown[]}
    if (report.changes.length !== 1) throw new Error(`${command}: ${report.changes.length} changes, expected 1`)
    return [
      `\`kubectl audit ${command}\` prints, in \`changes\`:`,
      '',
      '```json',
      JSON.stringify(report.changes[0], null, 2),
      '```',
    ].join('\n')
  },

  /** doctor offline on a kubeadm manifest and a policy, under the names a user would give them. */
  'doctor --manifest kube-apiserver.yaml --policy-file audit-policy.yaml': async (command) => {
    const dir = mkdtempSync(join(tmpdir(), 'readme-doctor-'))
    try {
      copyFileSync(join(ROOT, 'test/fixtures/readme/kube-apiserver.yaml'), join(dir, 'kube-apiserver.yaml'))
      copyFileSync(join(ROOT, 'test/fixtures/policies/metadata-for-the-rest.yaml'), join(dir, 'audit-policy.yaml'))
      const run = await runCli(argsOf(command), {cwd: dir, terminal: true})
      if (run.stderr !== '') throw new Error(`${command}: ${run.stderr}`)
      return consoleBlock(
        command,
        elideRows(run.stdout, /^RESOURCE\s/, [
          'globalnetworkpolicies.projectcalico.org',
          'networkpolicies.networking.k8s.io',
        ]),
      )
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  },

  /**
   * --probe on a kubeadm cluster with Calico's aggregated API, whose kube-apiserver runs an older
   * policy than the file on its node (Kubernetes network policies at Metadata): what the probe is
   * there to find. Stderr first, as a terminal shows it.
   */
  'doctor --probe': async (command) => {
    const root = mkdtempSync(join(tmpdir(), 'readme-probe-'))
    writeOnNode(
      root,
      '/etc/kubernetes/audit-policy.yaml',
      readFileSync(join(ROOT, 'examples/policies/recommended.yaml')),
    )
    // The log's last minute: all a probe reads.
    writeOnNode(root, KUBEADM_LOG, recentLog(1, 200).split('\n').slice(-200).join('\n'))
    const apiService = (group: string, version: string, service?: object) => ({
      apiVersion: 'apiregistration.k8s.io/v1',
      kind: 'APIService',
      metadata: {name: `${version}.${group}`},
      spec: {group, version, ...(service ? {service} : {})},
    })
    const writes = ['create', 'update', 'patch', 'delete', 'deletecollection']
    const running = {
      omitStages: ['RequestReceived'],
      rules: [
        {
          level: 'RequestResponse' as const,
          verbs: writes,
          resources: [{group: 'projectcalico.org'}, {group: 'crd.projectcalico.org'}],
        },
        {level: 'Metadata' as const},
      ],
    }
    const fake = await startFakeApiserver({
      nodes: [{name: 'cp-1', root, labels: {'node-role.kubernetes.io/control-plane': ''}}],
      objects: [
        kubeadmApiserverPod('cp-1'),
        apiService('networking.k8s.io', 'v1'),
        apiService('projectcalico.org', 'v3', {namespace: 'calico-apiserver', name: 'calico-api'}),
        apiService('crd.projectcalico.org', 'v1'),
      ],
      version: {gitVersion: 'v1.31.2', major: '1', minor: '31'},
      audit: {
        user: {username: 'kubernetes-admin', groups: ['kubeadm:cluster-admins', 'system:authenticated']},
        logs: [{node: 'cp-1', path: KUBEADM_LOG, policy: running, aggregatedGroups: ['projectcalico.org']}],
      },
    })
    try {
      const run = await runCli(argsOf(command), {env: {KUBECONFIG: fake.kubeconfigPath}, terminal: true})
      if (run.code !== 0) throw new Error(`${command}: exit ${run.code}: ${run.stderr}`)
      // The coverage matrix is the one shown above: "…" stands for it.
      const table = `${keepChecks(run.stdout, ['audit-probe', 'audit-probe-policy']).split('\nCoverage:')[0]}\n…\n`
      return consoleBlock(command, fixedRunValues(run.stderr + table))
    } finally {
      await fake.close()
      rmSync(root, {recursive: true, force: true})
    }
  },

  /** A cluster whose kubelet proxy refuses this user (403 on nodes/proxy). */
  'policies --node cp-1 --log-path /var/log/kubernetes/audit/audit.log --via kubelet': async (command) => {
    const root = mkdtempSync(join(tmpdir(), 'readme-node-'))
    const fake = await startFakeApiserver({nodes: [{name: 'cp-1', root}]})
    try {
      fake.fail({path: /\/proxy\//, code: 403})
      const run = await runCli(argsOf(command), {env: {KUBECONFIG: fake.kubeconfigPath}, terminal: true})
      if (run.code !== 2) throw new Error(`${command}: exit ${run.code}, expected 2: ${run.stderr}`)
      return consoleBlock(command, run.stdout + run.stderr)
    } finally {
      await fake.close()
      rmSync(root, {recursive: true, force: true})
    }
  },
}

/** A GKE context, its Admin Activity log in a loopback Cloud Logging, the token from its metadata server. */
SPECIAL['policies --since-time 2026-11-24T09:00:00Z --until-time 2026-11-24T11:00:00Z'] = async (command) => {
  const home = mkdtempSync(join(tmpdir(), 'readme-gke-'))
  const fake = await new FakeCloudLogging({entries: gkeMorning()}).start()
  try {
    const kubeconfig = writeGkeKubeconfig(home, 'gke_shop-prod_europe-west1_prod')
    const run = await runCli(argsOf(command), {
      env: {...fakeGoogleEnv(home, fake), KUBECONFIG: kubeconfig},
      terminal: true,
    })
    if (run.code !== 0) throw new Error(`${command}: exit ${run.code}: ${run.stderr}`)
    // Both stderr lines are written before the table: shown in that order.
    return consoleBlock(command, run.stderr + run.stdout)
  } finally {
    await fake.stop()
    rmSync(home, {recursive: true, force: true})
  }
}

/** On an EKS context, against a loopback CloudWatch Logs: what is inferred is said first, on stderr. */
for (const [command, code, withGroup] of [
  ['policies --since-time 2026-11-24T10:00:00Z --until-time 2026-11-24T11:00:00Z', 0, true],
  ['policies --source cloudwatch --cluster-name prod-eu --region eu-west-1 --since 1h', 2, false],
] as const) {
  SPECIAL[command] = async () => {
    const run = await runOnEks(runCli, argsOf(command), withGroup)
    if (run.code !== code) throw new Error(`${command}: exit ${run.code}, expected ${code}: ${run.stderr}`)
    return consoleBlock(command, run.stderr + run.stdout)
  }
}

/** On an AKS context, against a loopback Log Analytics and Azure Resource Manager: what is inferred is said first, on stderr. */
for (const [command, code, withSetting] of [
  ['policies --since-time 2026-12-07T10:00:00Z --until-time 2026-12-07T11:00:00Z', 0, true],
  ['policies --source log-analytics --since 1h', 2, false],
] as const) {
  SPECIAL[command] = async () => {
    const run = await runOnAks(runCli, argsOf(command), withSetting)
    if (run.code !== code) throw new Error(`${command}: exit ${run.code}, expected ${code}: ${run.stderr}`)
    return consoleBlock(command, run.stderr + run.stdout)
  }
}

/** From Elasticsearch: Calico Enterprise's through a fake cluster, and any store by URL; what is read is said first, on stderr. */
for (const [command, code, run] of [
  [
    'policies --source elasticsearch --since all --kind gnp,tier',
    0,
    (args: string[]) => runWithCalicoStorage(runCli, args),
  ],
  ['policies --es-clusters', 0, (args: string[]) => runWithCalicoStorage(runCli, args, {managed: true})],
  [
    'policies --source elasticsearch --since 7d',
    2,
    (args: string[]) => runWithCalicoStorage(runCli, args, {secretRefused: true}),
  ],
  [
    `policies --es ${STORE_URL} --es-index 'logs-kubernetes.audit_logs-*' --since all --user alice`,
    0,
    (args: string[]) => runOnIntegrationStore(runCli, args, ROOT),
  ],
] as const) {
  SPECIAL[command] = async () => {
    const result = await run(argsOf(command))
    if (result.code !== code) throw new Error(`${command}: exit ${result.code}, expected ${code}: ${result.stderr}`)
    return consoleBlock(command, result.stderr + result.stdout)
  }
}

/** Against a loopback Loki holding examples/audit.log: what is read is said first, on stderr. */
for (const [command, code] of [
  [
    'policies --loki http://localhost:3100 --since-time 2026-11-24T09:00:00Z --until-time 2026-11-24T10:00:00Z --limit 4',
    0,
  ],
  [
    `policies --loki http://localhost:3100 --loki-selector '{job="kube-audit"}' --since-time 2026-11-24T09:00:00Z --until-time 2026-11-24T10:00:00Z`,
    2,
  ],
] as const) {
  SPECIAL[command] = async () => {
    const run = await runOnLoki(runCli, argsOf(command))
    if (run.code !== code) throw new Error(`${command}: exit ${run.code}, expected ${code}: ${run.stderr}`)
    return consoleBlock(command, run.stderr + run.stdout)
  }
}

/**
 * --probe where the log left the nodes, against the test fakes: GKE's Cloud Logging (entries 3 s
 * late, without the Audit-ID sent) and Loki (lines 1 s late). The probe's timings are shown as the
 * back-off gives them (found on the read after the delay), whatever this machine's load.
 */
for (const [command, run, found] of [
  ['doctor --probe --probe-timeout 5m', runProbeOnGke, '6.1s'],
  ['doctor --probe --loki http://localhost:3100', runProbeOnLoki, '2.1s'],
] as const) {
  SPECIAL[command] = async () => {
    const result = await run(runCli, argsOf(command))
    if (result.code !== 0) throw new Error(`${command}: exit ${result.code}: ${result.stderr}`)
    const checks = keepChecks(result.stdout, ['control-plane-visible', 'audit-probe', 'audit-probe-policy'])
    const shown = `${result.stderr}${checks.split('\nCoverage:')[0]}\n…\n`
    return consoleBlock(command, fixedRunValues(shown, found))
  }
}

/** --watch on the example log while changes are written and it is rotated, then Ctrl-C (stdout and stderr as they came). */
SPECIAL['policies -f audit/ --since-time 2026-11-24T07:00:00Z --limit 3 --watch'] = async (command) =>
  consoleBlock(command, await runWatchExample(argsOf(command), ROOT, WATCH_COLUMNS))

/** --watch with what changes did: the example log followed while a Calico policy is patched, then Ctrl-C. */
for (const command of [
  'history np/allow-frontend -n shop -f audit/ --watch',
  'policies -f audit/ --since all --limit 2 --watch --opens',
]) {
  SPECIAL[command] = async () =>
    consoleBlock(command, await runWatchExample(argsOf(command), ROOT, WATCH_COLUMNS, 'calico-patch'))
}

async function render(command: string): Promise<string> {
  const special = SPECIAL[command]
  if (special) return special(command)
  const run = await runCli(argsOf(command), {terminal: true})
  return consoleBlock(command, run.stdout + run.stderr)
}

const EXAMPLE = /^<!-- example: (.+?) -->\n[\s\S]*?^<!-- end example -->$/gm

/** The README with every example block regenerated. */
export async function regenerate(readme: string): Promise<string> {
  const examples = [...readme.matchAll(EXAMPLE)]
  const blocks = new Map<string, string>()
  for (const [, command] of examples) blocks.set(command!, await render(command!))
  const unused = Object.keys(SPECIAL).filter((command) => !blocks.has(command))
  if (unused.length > 0) throw new Error(`README.md has no example marker for: ${unused.join('; ')}`)
  return readme.replace(
    EXAMPLE,
    (_, command: string) => `<!-- example: ${command} -->\n${blocks.get(command)}\n<!-- end example -->`,
  )
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const before = readFileSync(README, 'utf8')
  const after = await regenerate(before)
  if (after === before) console.log('README.md: every example is up to date')
  else {
    writeFileSync(README, after)
    console.log('README.md: examples regenerated')
  }
}
