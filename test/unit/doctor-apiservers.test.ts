// Reading kube-apiserver instances: flags from command and args as pflag parses them (also inside
// `/bin/sh -c`), container paths mapped to node paths, k3s/RKE2 node-args, managed providers, and
// apiserver pods as the API returns them (test/fixtures/apiserver-pods; real ones in test/real).
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'

import {parseApiserverCommand, parseIntFlag, splitShellWords} from '../../src/cluster/apiserver-flags.js'
import {
  apiserverFromNodeArgs,
  apiserverFromPod,
  type HostPathMount,
  mapContainerPath,
  type PodLike,
} from '../../src/cluster/apiservers.js'
import {detectManagedProvider, type NodeLike} from '../../src/cluster/managed-provider.js'

const PODS = 'test/fixtures/apiserver-pods'
const pod = (file: string) => JSON.parse(readFileSync(`${PODS}/${file}`, 'utf8')) as PodLike

describe('apiserver flags, as pflag reads them', () => {
  // [name, command, args, expected flags (subset), expected problems (phrases)]
  const rows: Array<[string, string[], string[], Record<string, string | undefined>, RegExp[]]> = [
    [
      'kubeadm: everything in command, --k=v',
      ['kube-apiserver', '--audit-log-path=/var/log/a.log', '--audit-log-maxage=30'],
      [],
      {'audit-log-path': '/var/log/a.log', 'audit-log-maxage': '30'},
      [],
    ],
    [
      'RKE2: command is the binary, flags in args',
      ['kube-apiserver'],
      ['--audit-policy-file=/etc/p.yaml'],
      {'audit-policy-file': '/etc/p.yaml'},
      [],
    ],
    [
      'kops: flags in args after the full binary path',
      ['/usr/local/bin/kube-apiserver'],
      ['--audit-log-maxbackup=10'],
      {'audit-log-maxbackup': '10'},
      [],
    ],
    ['the command left to the image: args only', [], ['--audit-log-path=/x'], {'audit-log-path': '/x'}, []],
    [
      '"--k v" takes the next word as the value',
      ['kube-apiserver', '--audit-log-path', '/var/log/a.log', '--audit-log-maxsize', '200'],
      [],
      {'audit-log-path': '/var/log/a.log', 'audit-log-maxsize': '200'},
      [],
    ],
    [
      'a boolean flag does not take the next word',
      ['kube-apiserver', '--allow-privileged', '--audit-log-path=/x'],
      [],
      {'allow-privileged': 'true', 'audit-log-path': '/x'},
      [],
    ],
    [
      'the last value wins',
      ['kube-apiserver', '--audit-log-maxage=7', '--audit-log-maxage=30'],
      [],
      {'audit-log-maxage': '30'},
      [],
    ],
    [
      'hyperkube with its subcommand',
      ['/hyperkube', 'kube-apiserver', '--audit-log-path=/x'],
      [],
      {'audit-log-path': '/x'},
      [],
    ],
    [
      'klog -v is a real shorthand',
      ['kube-apiserver', '-v=2', '--audit-log-path=/x'],
      [],
      {'audit-log-path': '/x'},
      [],
    ],
    [
      'a space before "=" is reported, not guessed',
      ['kube-apiserver', '--audit-log-maxage', '=30'],
      [],
      {'audit-log-maxage': undefined},
      [/space before "=".*--audit-log-maxage=30/],
    ],
    [
      'a space before "=" inside one argument: pflag looks up an unknown flag',
      ['kube-apiserver', '--audit-log-maxage =30'],
      [],
      {'audit-log-maxage': undefined, 'audit-log-maxage ': undefined},
      [
        /^"--audit-log-maxage =30": kube-apiserver does not start: unknown flag "--audit-log-maxage " \(a space inside one argument\); write --audit-log-maxage=30$/,
      ],
    ],
    [
      '"--k v" as one argument',
      ['kube-apiserver', '--audit-log-path /var/log/a.log'],
      [],
      {'audit-log-path': undefined},
      [/unknown flag "--audit-log-path \/var\/log\/a\.log".*write --audit-log-path=\/var\/log\/a\.log$/],
    ],
    [
      'a space after "=" stays in the value (an int flag then fails to parse)',
      ['kube-apiserver', '--audit-log-maxage= 30'],
      [],
      {'audit-log-maxage': ' 30'},
      [],
    ],
    [
      'one dash is not a long flag',
      ['kube-apiserver', '-audit-log-path=/x'],
      [],
      {'audit-log-path': undefined},
      [/one dash/],
    ],
    [
      'a flag without a value at the end',
      ['kube-apiserver', '--audit-log-path'],
      [],
      {'audit-log-path': undefined},
      [/needs a value/],
    ],
    [
      'quotes without a shell stay in the value',
      ['kube-apiserver', '--audit-log-path="/var/log/a.log"'],
      [],
      {'audit-log-path': '"/var/log/a.log"'},
      [/quotes are part of the value/],
    ],
    ['a stray word', ['kube-apiserver', 'true'], [], {}, [/unexpected argument "true"/]],
    [
      'older kops: flags inside /bin/sh -c, with redirections',
      [
        '/bin/sh',
        '-c',
        'mkfifo /tmp/pipe; (cat /tmp/pipe | tee -a /var/log/x &) ; exec /usr/local/bin/kube-apiserver --audit-log-path=/var/log/kube-apiserver-audit.log --audit-policy-file="/srv/kubernetes/audit policy.yaml" 1>>/var/log/kube-apiserver.log 2>&1',
      ],
      [],
      {'audit-log-path': '/var/log/kube-apiserver-audit.log', 'audit-policy-file': '/srv/kubernetes/audit policy.yaml'},
      [],
    ],
    [
      'the shell script in args',
      ['/bin/sh'],
      ['-c', "kube-apiserver --audit-log-path '/var/log/a b.log' > /var/log/out.log"],
      {'audit-log-path': '/var/log/a b.log'},
      [],
    ],
    ['a shell that never runs the apiserver', ['sh', '-c', 'echo hello'], [], {}, [/does not run kube-apiserver/]],
  ]
  for (const [name, command, args, flags, problems] of rows) {
    it(name, () => {
      const parsed = parseApiserverCommand(command, args)
      for (const [flag, value] of Object.entries(flags)) assert.equal(parsed.flags[flag], value, flag)
      assert.equal(parsed.problems.length, problems.length, JSON.stringify(parsed.problems))
      problems.forEach((phrase, i) => assert.match(parsed.problems[i], phrase))
    })
  }

  it('splits shell words with quotes, escapes and operators', () => {
    assert.deepEqual(splitShellWords(`a "b c" 'd e' f\\ g h&&i; j|k 2>&1`), [
      'a',
      'b c',
      'd e',
      'f g',
      'h',
      '&&',
      'i',
      ';',
      'j',
      '|',
      'k',
      '2>&1',
    ])
  })
})

describe('container paths on the node', () => {
  const mount = (mountPath: string, hostPath: string, extra: Partial<HostPathMount> = {}): HostPathMount => ({
    volume: 'v',
    mountPath,
    hostPath,
    type: '',
    readOnly: false,
    ...extra,
  })
  // [name, mounts, container path, host path, mounted as]
  const rows: Array<[string, HostPathMount[], string, string | null, string | null]> = [
    [
      'kubeadm: the log directory',
      [mount('/var/log/kubernetes/audit', '/var/log/kubernetes/audit')],
      '/var/log/kubernetes/audit/audit.log',
      '/var/log/kubernetes/audit/audit.log',
      'directory',
    ],
    [
      'Kubespray: container and host paths differ',
      [mount('/var/log/audit', '/var/log/kubernetes/audit')],
      '/var/log/audit/kube-apiserver-audit.log',
      '/var/log/kubernetes/audit/kube-apiserver-audit.log',
      'directory',
    ],
    [
      'the file itself mounted',
      [mount('/etc/kubernetes/audit-policy.yaml', '/etc/kubernetes/audit-policy.yaml')],
      '/etc/kubernetes/audit-policy.yaml',
      '/etc/kubernetes/audit-policy.yaml',
      'file',
    ],
    [
      'the deepest mount wins',
      [mount('/var/log', '/host/log'), mount('/var/log/audit', '/srv/audit')],
      '/var/log/audit/a.log',
      '/srv/audit/a.log',
      'directory',
    ],
    [
      'a sibling directory with the same prefix is not inside',
      [mount('/var/log/audit', '/srv/audit')],
      '/var/log/audit2/a.log',
      null,
      null,
    ],
    ['no mount', [], '/var/log/a.log', null, null],
    ['a relative path never maps', [mount('/', '/')], 'randomfile', null, null],
    [
      'an untidy path is normalised',
      [mount('/var/log/audit', '/srv/audit')],
      '/var/log//audit/./a.log',
      '/srv/audit/a.log',
      'directory',
    ],
  ]
  for (const [name, mounts, path, hostPath, mountedAs] of rows) {
    it(name, () => {
      const mapped = mapContainerPath(mounts, path)
      assert.equal(mapped.hostPath, hostPath)
      assert.equal(mapped.mountedAs, mountedAs)
    })
  }

  it('applies a volumeMount subPath', () => {
    const apiserver = apiserverFromPod({
      spec: {
        containers: [
          {
            name: 'kube-apiserver',
            command: ['kube-apiserver', '--audit-log-path=/audit/a.log'],
            volumeMounts: [{name: 'logs', mountPath: '/audit', subPath: 'apiserver'}],
          },
        ],
        volumes: [{name: 'logs', hostPath: {path: '/var/log/k8s', type: 'DirectoryOrCreate'}}],
      },
    })
    assert.equal(apiserver.auditLog?.hostPath, '/var/log/k8s/apiserver/a.log')
    assert.equal(apiserver.mounts[0].type, 'DirectoryOrCreate')
  })

  it('ignores volumes that are not hostPath', () => {
    const apiserver = apiserverFromPod({
      spec: {
        containers: [
          {
            name: 'kube-apiserver',
            command: ['kube-apiserver', '--audit-log-path=/audit/a.log'],
            volumeMounts: [{name: 'tmp', mountPath: '/audit'}],
          },
        ],
        volumes: [{name: 'tmp'}],
      },
    })
    assert.equal(apiserver.auditLog?.mount, null)
  })

  it('treats --audit-log-path=- as stdout: no log file', () => {
    const apiserver = apiserverFromPod({
      spec: {containers: [{name: 'kube-apiserver', command: ['kube-apiserver', '--audit-log-path=-']}]},
    })
    assert.equal(apiserver.flags['audit-log-path'], '-')
    assert.equal(apiserver.auditLog, null)
  })
})

describe('apiserver pods as kubectl get -o json prints them (test/fixtures/apiserver-pods)', () => {
  // [file, distribution, --audit-policy-file, its path on the node, where the flags are]
  const rows: Array<[string, string, string | undefined, string | null | undefined, string]> = [
    ['kubeadm-no-audit.json', 'kubeadm', undefined, undefined, 'command (kubeadm annotations)'],
    ['kubeadm-relative-policy.json', 'kubeadm', 'audit-policy.yaml', null, 'command'],
    ['rke2-args-no-audit.json', 'rke2', undefined, undefined, 'args (command is just kube-apiserver)'],
    ['rke2-args-policy-unmounted.json', 'rke2', '/etc/rancher/rke2/audit-policy.yaml', null, 'args'],
  ]
  for (const [file, distribution, policyFile, policyHostPath, where] of rows) {
    it(`${file}: flags in ${where}`, () => {
      const apiserver = apiserverFromPod(pod(file))
      assert.equal(apiserver.distribution, distribution)
      assert.equal(apiserver.flags['audit-policy-file'], policyFile)
      assert.equal(apiserver.policyFile?.hostPath, policyHostPath)
      assert.equal(apiserver.flags['authorization-mode'], 'Node,RBAC')
      assert.deepEqual(apiserver.flagProblems, [])
      assert.equal(apiserver.auditLog, null)
      assert.equal(apiserver.name, 'kube-system/' + (pod(file).metadata?.name ?? ''))
    })
  }

  it('maps the kubeadm certificate directory through its hostPath volume', () => {
    const apiserver = apiserverFromPod(pod('kubeadm-relative-policy.json'))
    assert.equal(
      mapContainerPath(apiserver.mounts, '/etc/kubernetes/pki/ca.crt').hostPath,
      '/etc/kubernetes/pki/ca.crt',
    )
    // "audit-policy.yaml" is relative: it names a file inside the container's working directory.
    assert.equal(apiserver.policyFile?.hostPath, null)
  })
})

describe('k3s and RKE2 node-args', () => {
  const node = (annotations: Record<string, string>, name = 'server-1'): NodeLike => ({metadata: {name, annotations}})

  it('k3s: --kube-apiserver-arg values, split into two entries', () => {
    const args = [
      'server',
      '--cluster-init',
      '--kube-apiserver-arg',
      'audit-log-path=/var/lib/rancher/k3s/server/logs/audit.log',
      '--kube-apiserver-arg',
      'audit-policy-file=/var/lib/rancher/k3s/server/audit.yaml',
      '--kube-apiserver-arg=audit-log-maxage=30',
      '--token',
      '********',
    ]
    const apiserver = apiserverFromNodeArgs(node({'k3s.io/node-args': JSON.stringify(args)}))
    assert.equal(apiserver?.distribution, 'k3s')
    assert.equal(apiserver?.inContainer, false)
    assert.equal(apiserver?.auditLog?.hostPath, '/var/lib/rancher/k3s/server/logs/audit.log')
    assert.equal(apiserver?.policyFile?.hostPath, '/var/lib/rancher/k3s/server/audit.yaml')
    assert.equal(apiserver?.flags['audit-log-maxage'], '30')
    assert.equal(apiserver?.flags.token, undefined, 'server args are not apiserver flags')
  })

  it('k3s agents run no apiserver', () => {
    assert.equal(
      apiserverFromNodeArgs(node({'k3s.io/node-args': JSON.stringify(['agent', '--server', 'https://x:6443'])})),
      undefined,
    )
  })

  it('RKE2 with profile cis turns audit on with its own defaults', () => {
    const apiserver = apiserverFromNodeArgs(node({'rke2.io/node-args': JSON.stringify(['server', '--profile', 'cis'])}))
    assert.equal(apiserver?.distribution, 'rke2')
    assert.equal(apiserver?.flags['audit-policy-file'], '/etc/rancher/rke2/audit-policy.yaml')
    assert.equal(apiserver?.flags['audit-log-path'], '/var/lib/rancher/rke2/server/logs/audit.log')
    assert.equal(apiserver?.flags['audit-log-maxbackup'], '10')
  })

  it('RKE2: a --kube-apiserver-arg overrides the defaults', () => {
    const apiserver = apiserverFromNodeArgs(
      node({
        'rke2.io/node-args': JSON.stringify([
          'server',
          '--audit-policy-file',
          '/etc/p.yaml',
          '--kube-apiserver-arg',
          'audit-log-path=/var/log/k8s/audit.log',
        ]),
      }),
    )
    assert.equal(apiserver?.flags['audit-policy-file'], '/etc/p.yaml')
    assert.equal(apiserver?.flags['audit-log-path'], '/var/log/k8s/audit.log')
  })

  it('RKE2 without cis or a policy file: no audit flags', () => {
    const apiserver = apiserverFromNodeArgs(node({'rke2.io/node-args': JSON.stringify(['server'])}))
    assert.equal(apiserver?.flags['audit-policy-file'], undefined)
  })

  it('ignores an annotation that is not a JSON list', () => {
    assert.equal(apiserverFromNodeArgs(node({'k3s.io/node-args': 'server --x'})), undefined)
  })
})

describe('managed providers', () => {
  // [name, gitVersion, nodes, expected provider id]
  const rows: Array<[string, string | undefined, NodeLike[], string | undefined]> = [
    ['EKS by its version suffix', 'v1.30.4-eks-a737599', [], 'eks'],
    ['GKE by its version suffix', 'v1.30.5-gke.1014001', [], 'gke'],
    [
      'EKS by a node group label',
      'v1.30.4',
      [{metadata: {name: 'n', labels: {'eks.amazonaws.com/nodegroup': 'ng-1'}}}],
      'eks',
    ],
    [
      'GKE by a node pool label',
      'v1.30.5',
      [{metadata: {name: 'n', labels: {'cloud.google.com/gke-nodepool': 'default-pool'}}}],
      'gke',
    ],
    [
      'AKS by its cluster label',
      'v1.30.3',
      [{metadata: {name: 'n', labels: {'kubernetes.azure.com/cluster': 'MC_rg'}}}],
      'aks',
    ],
    [
      'AKS by an azure:// provider ID',
      'v1.30.3',
      [{metadata: {name: 'n'}, spec: {providerID: 'azure:///subscriptions/x/vm-0'}}],
      'aks',
    ],
    [
      'kops on AWS is not managed: aws:// alone says nothing',
      'v1.30.3',
      [{metadata: {name: 'n'}, spec: {providerID: 'aws:///eu-west-1a/i-0'}}],
      undefined,
    ],
    ['k3s is not managed', 'v1.31.4+k3s1', [], undefined],
  ]
  for (const [name, version, nodes, expected] of rows) {
    it(name, () => assert.equal(detectManagedProvider(version, nodes)?.id, expected))
  }
})

describe('int flag values, as pflag parses them (strconv.ParseInt base 0)', () => {
  const rows: Array<[string, number | undefined]> = [
    ['30', 30],
    ['0', 0],
    ['+30', 30],
    ['-1', -1],
    ['0x1e', 30],
    ['0X1E', 30],
    ['0o36', 30],
    ['036', 30],
    ['0b11110', 30],
    ['1_000', 1000],
    [' 30', undefined],
    ['30 ', undefined],
    ['30d', undefined],
    ['', undefined],
    ['3_', undefined],
    ['_3', undefined],
    ['08', undefined],
    ['1e3', undefined],
  ]
  for (const [text, value] of rows) it(`"${text}" → ${value}`, () => assert.equal(parseIntFlag(text), value))
})
