// The newest events of each kube-apiserver's audit log, for audit-log-fresh: the last bytes of its
// log file, read from its node the way the policy file is (or from this machine offline), or the
// last lines of its stdout (--audit-log-path=-) through its pod's log.
import type {KubeConfig} from '@kubernetes/client-node'

import type {ApiserverInstance} from '../cluster/apiservers.js'
import {stdoutLogOf} from '../cluster/audit-log-targets.js'
import {UserError} from '../errors.js'
import {newestLineTime} from '../reading/line-times.js'
import type {NodeFileReader} from '../sources/node-files.js'
import {NoSuchHostDirectory} from '../sources/reader-pods.js'
import {debugNodeCommand} from './by-hand-commands.js'
import type {AuditLogTail} from './facts.js'
import type {DoctorOptions} from './options.js'

/** Enough for the last few events even at RequestResponse; stageTimestamp ends even a cut one. */
export const TAIL_BYTES = 256 * 1024
/** Lines of an apiserver's stdout to look at: its audit events far outnumber its klog lines. */
export const STDOUT_TAIL_LINES = 200

/** Cluster mode: every apiserver's log, concurrently (one per control-plane node). */
export async function readClusterLogTails(
  kc: KubeConfig,
  options: DoctorOptions,
  apiservers: readonly ApiserverInstance[],
  readFile: NodeFileReader,
  signal?: AbortSignal,
): Promise<Map<string, AuditLogTail>> {
  const tails = await Promise.all(
    apiservers.map(
      async (apiserver) => [apiserver.name, await clusterTail(kc, options, apiserver, readFile, signal)] as const,
    ),
  )
  return new Map(tails.filter((entry): entry is readonly [string, AuditLogTail] => entry[1] !== undefined))
}

/** Offline, on a control-plane node: the log file the manifest names, when it is on this machine. */
export async function readLocalLogTails(apiservers: readonly ApiserverInstance[]): Promise<Map<string, AuditLogTail>> {
  const tails = new Map<string, AuditLogTail>()
  for (const apiserver of apiservers) {
    const flag = apiserver.flags['audit-log-path']
    if (flag === '-') {
      tails.set(apiserver.name, {
        state: 'unavailable',
        reason: 'offline: the events go to its stdout, which is read through the cluster',
        command: stdoutCommand(apiserver),
      })
      continue
    }
    const log = apiserver.auditLog
    if (!log) continue
    const hostPath = log.hostPath
    if (!hostPath) {
      tails.set(apiserver.name, notOnHost(log.path))
      continue
    }
    const command = `tail -n 1 ${hostPath}`
    try {
      const {FileSource} = await import('../sources/file.js')
      const {readSmallSource} = await import('../sources/byte-streams.js')
      tails.set(
        apiserver.name,
        tailOf(hostPath, await readSmallSource(new FileSource(hostPath), {tailBytes: TAIL_BYTES})),
      )
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      const reason =
        code === 'ENOENT'
          ? 'is not on this machine'
          : code === 'EACCES'
            ? 'cannot be read here (permission denied; audit logs are 0600 root)'
            : `cannot be read: ${(error as Error).message}`
      tails.set(apiserver.name, {
        state: 'unavailable',
        reason: `offline: ${hostPath} ${reason}`,
        command:
          code === 'EACCES'
            ? `sudo ${command}`
            : `on ${apiserver.nodeName ?? 'the control-plane node'}: sudo ${command}`,
      })
    }
  }
  return tails
}

async function clusterTail(
  kc: KubeConfig,
  options: DoctorOptions,
  apiserver: ApiserverInstance,
  readFile: NodeFileReader,
  signal: AbortSignal | undefined,
): Promise<AuditLogTail | undefined> {
  const flag = apiserver.flags['audit-log-path']
  if (flag === '-') return stdoutTail(kc, apiserver, signal)
  const log = apiserver.auditLog
  if (!log) return undefined
  const node = apiserver.nodeName
  if (!log.hostPath) return notOnHost(log.path)
  const command = debugNodeCommand(node, `tail -n 1 /host${log.hostPath}`)
  if (!options.nodeAccess)
    return {
      state: 'unavailable',
      reason: `--no-node-access: ${log.hostPath} on ${node ?? 'the node'} was not read`,
      command,
    }
  if (!node) return {state: 'unavailable', reason: `${apiserver.name} runs on no known node`, command}
  const location = `node ${node}:${log.hostPath}`
  try {
    return tailOf(location, await readFile(node, log.hostPath, {tailBytes: TAIL_BYTES}))
  } catch (error) {
    // Not being allowed to read a node file is a finding, not a reason to stop.
    if (!(error instanceof UserError)) throw error
    if (isMissingFile(error)) return {state: 'missing', location}
    return {
      state: 'unavailable',
      reason: `could not read ${location}: ${error.message}${error.hint ? ` (${error.hint})` : ''}`,
      command,
    }
  }
}

async function stdoutTail(
  kc: KubeConfig,
  apiserver: ApiserverInstance,
  signal: AbortSignal | undefined,
): Promise<AuditLogTail> {
  const log = stdoutLogOf(apiserver)
  if (!log)
    return {
      state: 'unavailable',
      reason: 'the events go to the stdout of a process outside any pod, which the API cannot read',
      command: null,
    }
  const location = `the last ${STDOUT_TAIL_LINES} lines of the stdout of pod/${log.namespace}/${log.pod}`
  try {
    const {readPodLogTail} = await import('../sources/pod-log.js')
    const bytes = await readPodLogTail(kc, log, {tailLines: STDOUT_TAIL_LINES, tailBytes: TAIL_BYTES, signal})
    return tailOf(location, bytes, true)
  } catch (error) {
    if (!(error instanceof UserError)) throw error
    return {
      state: 'unavailable',
      reason: `could not read ${location}: ${error.message}${error.hint ? ` (${error.hint})` : ''}`,
      command: stdoutCommand(apiserver),
    }
  }
}

function notOnHost(path: string): AuditLogTail {
  return {
    state: 'unavailable',
    reason: `${path} is on no hostPath volume, so it cannot be read from the node (see audit-log-mount)`,
    command: null,
  }
}

function tailOf(location: string, bytes: Buffer, stdout = false): AuditLogTail {
  return {
    state: 'read',
    location,
    stdout,
    bytes: bytes.length,
    newestMs: newestLineTime(bytes).newestMs,
    readAtMs: Date.now(),
  }
}

/** The file is not there: the reader pod's stat (busybox or coreutils) said so, or its directory is not even on the node. */
function isMissingFile(error: UserError): boolean {
  return error instanceof NoSuchHostDirectory || /No such file or directory/.test(error.message)
}

/** What shows an apiserver's newest stdout event. */
function stdoutCommand(apiserver: ApiserverInstance): string {
  const log = stdoutLogOf(apiserver)
  const target = log
    ? `-n ${log.namespace} ${log.pod} -c ${log.container}`
    : `-n kube-system kube-apiserver-${apiserver.nodeName ?? 'NODE'}`
  return `kubectl logs ${target} --tail=${STDOUT_TAIL_LINES} | grep '"kind":"Event"' | tail -n 1`
}
