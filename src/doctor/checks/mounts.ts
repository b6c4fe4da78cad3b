// Where the audit log and the policy file live: a static pod only sees host files through
// hostPath volumes, and a log file must sit in a mounted directory to survive and rotate.
import {posix} from 'node:path'

import {isAtLeast} from '../../audit/policy/kubernetes-version.js'
import type {MappedPath} from '../../cluster/apiservers.js'
import {type Check, fail, pass, perApiserver, skip, warn} from '../check.js'

function onNode(mapped: MappedPath): string {
  return mapped.hostPath === mapped.path
    ? `${mapped.path} is on the node at the same path`
    : `${mapped.path} is ${mapped.hostPath} on the node`
}

function notInContainer(mapped: MappedPath, what: string): string {
  return `${what} ${mapped.path} is a path on the node (the apiserver does not run in a pod here)`
}

export const auditLogMount: Check = {
  id: 'audit-log-mount',
  title: 'Audit log kept on the node',
  run: (facts) =>
    perApiserver(facts, (apiserver) => {
      const log = apiserver.auditLog
      if (!log) return skip('no log file')
      if (!apiserver.inContainer) return pass(notInContainer(log, 'the log'))
      const directory = posix.dirname(log.path)
      const mountDirectory = `mount the directory ${directory} from the host (hostPath, type DirectoryOrCreate, writable)`
      if (!posix.isAbsolute(log.path))
        return fail(
          `--audit-log-path=${log.path} is relative: it resolves inside the container`,
          `use an absolute path and ${mountDirectory}`,
        )
      if (!log.mount) {
        return fail(
          `${log.path} is on no hostPath volume: the log stays inside the container, is lost when it restarts, and cannot be read from the node`,
          mountDirectory,
        )
      }
      if (log.mount.readOnly)
        return fail(
          `the volume ${log.mount.volume} holding ${log.path} is mounted read-only: kube-apiserver cannot write the log`,
          mountDirectory,
        )
      if (log.mountedAs === 'file') {
        // Rotation renames the file, which fails on a bind-mounted file; 1.36+ with maxsize 0 never rotates.
        const neverRotates = isAtLeast(facts.kubernetesVersion, 1, 36) && apiserver.flags['audit-log-maxsize'] === '0'
        const detail = `the file ${log.path} itself is mounted (volume ${log.mount.volume}): rotation renames it`
        return neverRotates
          ? warn(`${detail}, which works only while maxsize 0 turns rotation off`, mountDirectory)
          : fail(`${detail} and fails, so events are lost once it reaches maxsize`, mountDirectory)
      }
      const reachable = log.hostPath?.startsWith('/var/log/')
        ? ''
        : '; outside /var/log, so the kubelet /logs endpoint cannot serve it (a reader pod can)'
      return pass(`${onNode(log)} (hostPath volume ${log.mount.volume}, a directory)${reachable}`)
    }),
}

export const auditPolicyMount: Check = {
  id: 'audit-policy-mount',
  title: 'Policy file mounted',
  run: (facts) =>
    perApiserver(facts, (apiserver) => {
      const policy = apiserver.policyFile
      if (!policy) return skip('no --audit-policy-file')
      if (!apiserver.inContainer) return pass(notInContainer(policy, 'the policy'))
      const mountIt = `mount ${posix.isAbsolute(policy.path) ? policy.path : 'the policy file'} from the host (hostPath, type File, readOnly)`
      if (!posix.isAbsolute(policy.path))
        return fail(
          `--audit-policy-file=${policy.path} is relative: it resolves inside the container`,
          `use an absolute path and ${mountIt}`,
        )
      if (!policy.mount)
        return fail(
          `${policy.path} is on no hostPath volume: kube-apiserver cannot read it unless it is baked into the image`,
          mountIt,
        )
      return pass(`${onNode(policy)} (hostPath volume ${policy.mount.volume})`)
    }),
}
