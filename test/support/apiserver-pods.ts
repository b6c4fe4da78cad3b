// kube-apiserver pods as kubeadm writes them (a static pod manifest; the API shows its mirror pod):
// the flags in `command`, the policy file and the log directory on hostPath volumes.
import type {PodLike} from '../../src/cluster/apiservers.js'
import {KUBEADM_LOG} from './cluster-logs.js'

/** A hostPath volume and where the apiserver container mounts it. */
export interface HostVolume {
  name: string
  mountPath: string
  hostPath: string
  type?: string
  readOnly?: boolean
}

export const POLICY_VOLUME: HostVolume = {
  name: 'audit',
  mountPath: '/etc/kubernetes/audit-policy.yaml',
  hostPath: '/etc/kubernetes/audit-policy.yaml',
  type: 'File',
  readOnly: true,
}
/** With the trailing slash of the Kubernetes audit docs' recipe. */
export const LOG_DIR_VOLUME: HostVolume = {
  name: 'audit-log',
  mountPath: '/var/log/kubernetes/audit/',
  hostPath: '/var/log/kubernetes/audit/',
  type: 'DirectoryOrCreate',
}

/** kubeadm's audit flags as the docs set them up; `auditLogPath` `-` writes the events to stdout. */
export function kubeadmAuditFlags(auditLogPath = KUBEADM_LOG): string[] {
  return [
    '--audit-log-maxage=30',
    '--audit-log-maxbackup=10',
    '--audit-log-maxsize=100',
    `--audit-log-path=${auditLogPath}`,
    '--audit-policy-file=/etc/kubernetes/audit-policy.yaml',
  ]
}

export interface ApiserverPodShape {
  /** --audit-log-path, among kubeadm's audit flags (default: KUBEADM_LOG). */
  auditLogPath?: string
  /** All the flags instead (auditLogPath is then not used). */
  flags?: string[]
  volumes?: HostVolume[]
}

/** The mirror pod of kube-apiserver on `node`, Running. */
export function kubeadmApiserverPod(
  node: string,
  shape: ApiserverPodShape = {},
): PodLike & {apiVersion: string; kind: string; status: object} {
  const flags = shape.flags ?? kubeadmAuditFlags(shape.auditLogPath)
  const volumes = shape.volumes ?? [POLICY_VOLUME, LOG_DIR_VOLUME]
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `kube-apiserver-${node}`,
      namespace: 'kube-system',
      labels: {component: 'kube-apiserver', tier: 'control-plane'},
      annotations: {
        'kubeadm.kubernetes.io/kube-apiserver.advertise-address.endpoint': '10.0.0.10:6443',
        'kubernetes.io/config.source': 'file',
      },
    },
    spec: {
      nodeName: node,
      containers: [
        {
          name: 'kube-apiserver',
          image: 'registry.k8s.io/kube-apiserver:v1.31.2',
          command: ['kube-apiserver', ...flags],
          volumeMounts: volumes.map((v) => ({
            name: v.name,
            mountPath: v.mountPath,
            ...(v.readOnly === undefined ? {} : {readOnly: v.readOnly}),
          })),
        },
      ],
      volumes: volumes.map((v) => ({
        name: v.name,
        hostPath: {path: v.hostPath, ...(v.type === undefined ? {} : {type: v.type})},
      })),
    },
    status: {phase: 'Running'},
  }
}
