// Inputs that are huge in count rather than in bytes, for the benchmark's memory rows: a log of
// 8.5 million policy changes (a controller rewriting policies in a loop), a log of a million
// writes read through a window, and a directory of 130,000 rotated files. Deterministic, cached
// in bench/.cache under names that change with this file, each with what it holds counted from
// how it was made, so the harness can check the CLI with tools that share nothing with it.

import {createHash} from 'node:crypto'
import {once} from 'node:events'
import {createWriteStream} from 'node:fs'
import {access, mkdir, readFile, rename, rm, writeFile} from 'node:fs/promises'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

const HERE = fileURLToPath(import.meta.url)

/** A short hash of this file: part of every name it writes, so a changed generator makes new inputs. */
export async function countLogsVersion(): Promise<string> {
  return createHash('sha256')
    .update(await readFile(HERE))
    .digest('hex')
    .slice(0, 10)
}

const exists = (file: string) =>
  access(file).then(
    () => true,
    () => false,
  )

async function writeLines(file: string, lines: Iterable<string>): Promise<void> {
  const partial = `${file}.partial`
  const out = createWriteStream(partial)
  let batch = ''
  for (const line of lines) {
    batch += line + '\n'
    if (batch.length >= 1 << 20) {
      if (!out.write(batch)) await once(out, 'drain')
      batch = ''
    }
  }
  out.end(batch)
  await once(out, 'finish')
  await rename(partial, file)
}

const START_US = Date.parse('2026-11-23T16:00:00Z') * 1000
const iso = (us: number) =>
  `${new Date(Math.floor(us / 1000)).toISOString().slice(0, 19)}.${String(us % 1_000_000).padStart(6, '0')}Z`
const uuid = (i: number, salt: number) =>
  `${(i >>> 0).toString(16).padStart(8, '0')}-${(salt & 0xffff).toString(16).padStart(4, '0')}-4000-8000-${((i * 2654435761) % 2 ** 48).toString(16).padStart(12, '0')}`

export const MANY_CONTROLLER = 'system:serviceaccount:policy-sync:policy-controller'
const CALICO_APISERVER = 'system:serviceaccount:calico-apiserver:calico-apiserver'

export interface ManyChangesLog {
  readonly log: string
  /** Changes in it (each request once; the Calico API server's backing writes are not changes). */
  readonly changes: number
  readonly failed: number
}

/**
 * `changes` patches by one controller over 16 hours, in time order: nine in ten on Kubernetes
 * NetworkPolicies, one in ten on Calico GlobalNetworkPolicies through the aggregated API (the
 * user's request, then the Calico API server's write of the CRD 20-80 ms later, which the join
 * must attach to it); every 50th is refused with 409 Conflict. Lines of about 700 bytes, as
 * kube-apiserver writes them at Metadata level (a little shorter).
 */
export async function ensureManyChangesLog(
  dir: string,
  changes = 8_500_000,
  progress?: (message: string) => void,
): Promise<ManyChangesLog> {
  await mkdir(dir, {recursive: true})
  const label = changes >= 1_000_000 ? `${changes / 1_000_000}M` : String(changes)
  const log = path.join(dir, `many-changes-${label}-${await countLogsVersion()}.log`)
  const failed = Math.floor((changes - 1) / 50) + 1
  if (await exists(log)) return {log, changes, failed}
  progress?.(`generating ${path.basename(log)} (${changes.toLocaleString('en-US')} changes)…`)
  const spanUs = 16 * 3600 * 1_000_000
  const gapUs = Math.floor(spanUs / changes)
  const identity = `"user":{"username":"${MANY_CONTROLLER}","groups":["system:serviceaccounts","system:authenticated"]},"sourceIPs":["10.42.3.17"],"userAgent":"policy-controller/v1.4.2"`
  const lines = function* (): Generator<string> {
    for (let i = 0; i < changes; i++) {
      const t = START_US + i * gapUs + (i % 7) * 97
      const code = i % 50 === 0 ? 409 : 200
      const status = `"responseStatus":{"metadata":{},${code === 409 ? '"status":"Failure","reason":"Conflict",' : ''}"code":${code}}`
      const times = `"requestReceivedTimestamp":"${iso(t - 4_000)}","stageTimestamp":"${iso(t)}"`
      const decision = `"annotations":{"authorization.k8s.io/decision":"allow"}`
      if (i % 10 !== 3) {
        const ns = `team-${i % 200}`
        const name = `allow-${(i >> 3) % 50}`
        yield `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"${uuid(i, 1)}","stage":"ResponseComplete","requestURI":"/apis/networking.k8s.io/v1/namespaces/${ns}/networkpolicies/${name}?fieldManager=policy-controller","verb":"patch",${identity},"objectRef":{"resource":"networkpolicies","namespace":"${ns}","name":"${name}","apiGroup":"networking.k8s.io","apiVersion":"v1"},${status},${times},${decision}}`
        continue
      }
      // The v3 name; the CRD of a default-tier policy carries the tier as a prefix.
      const tier = ['security', 'platform', 'default'][i % 3]!
      // A policy comes round again every 40,000 changes (4.5 minutes): one request per object within the join window.
      const name = `${tier === 'default' ? '' : `${tier}.`}sync-${Math.floor(i / 10) % 4000}`
      yield `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"${uuid(i, 2)}","stage":"ResponseComplete","requestURI":"/apis/projectcalico.org/v3/globalnetworkpolicies/${name}?fieldManager=policy-controller","verb":"patch",${identity},"objectRef":{"resource":"globalnetworkpolicies","name":"${name}","apiGroup":"projectcalico.org","apiVersion":"v3"},${status},${times},${decision}}`
      const crd = tier === 'default' ? `default.${name}` : name
      const backing = t + 20_000 + (i % 61) * 1000
      yield `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"${uuid(i, 3)}","stage":"ResponseComplete","requestURI":"/apis/crd.projectcalico.org/v1/globalnetworkpolicies/${crd}","verb":"update","user":{"username":"${CALICO_APISERVER}","groups":["system:serviceaccounts","system:authenticated"]},"sourceIPs":["10.42.0.9"],"userAgent":"calico-apiserver/v3.29.1","objectRef":{"resource":"globalnetworkpolicies","name":"${crd}","apiGroup":"crd.projectcalico.org","apiVersion":"v1"},${status},"requestReceivedTimestamp":"${iso(backing - 3_000)}","stageTimestamp":"${iso(backing)}"}`
    }
  }
  await writeLines(log, lines())
  return {log, changes, failed}
}

export interface WindowedLog {
  readonly log: string
  readonly since: string
  /** Changes at or after `since`. */
  readonly inWindow: number
}

/** One network policy create every 10 ms, in time order; the window starts 100,000 changes in and holds `inWindow`. */
export async function ensureWindowedLog(
  dir: string,
  inWindow = 1_000_000,
  progress?: (message: string) => void,
): Promise<WindowedLog> {
  await mkdir(dir, {recursive: true})
  const before = 100_000
  const log = path.join(dir, `windowed-${inWindow}-${await countLogsVersion()}.log`)
  const since = iso(START_US + before * 10_000).replace('.000000Z', 'Z')
  if (await exists(log)) return {log, since, inWindow}
  progress?.(`generating ${path.basename(log)}…`)
  await writeLines(
    log,
    (function* () {
      for (let i = 0; i < before + inWindow; i++) {
        yield `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"${uuid(i, 4)}","stage":"ResponseComplete","verb":"create","user":{"username":"alice"},"objectRef":{"resource":"networkpolicies","namespace":"n","name":"p${i}","apiGroup":"networking.k8s.io"},"responseStatus":{"code":201},"stageTimestamp":"${iso(START_US + i * 10_000)}"}`
      }
    })(),
  )
  return {log, since, inWindow}
}

export interface RotatedDirectory {
  readonly dir: string
  readonly files: number
  /** A time inside the last minute: only the active log reaches into the window. */
  readonly since: string
}

/** 130,000 rotated files a minute apart, empty as a just-rotated log can be, and the active log with one change. */
export async function ensureRotatedDirectory(
  cache: string,
  files = 130_000,
  progress?: (message: string) => void,
): Promise<RotatedDirectory> {
  const dir = path.join(cache, `rotated-${files}-${await countLogsVersion()}`)
  const startMs = START_US / 1000
  const lastRotation = startMs + (files - 1) * 60_000
  const since = new Date(lastRotation + 20_000).toISOString().replace('.000Z', 'Z')
  const active = path.join(dir, 'audit.log')
  if (await exists(active)) return {dir, files, since}
  progress?.(`generating ${path.basename(dir)}/ (${files.toLocaleString('en-US')} rotated files)…`)
  await rm(dir, {recursive: true, force: true})
  await mkdir(dir, {recursive: true})
  for (let i = 0; i < files; i++) {
    const name = new Date(startMs + i * 60_000).toISOString().replace(/:/g, '-').replace('Z', '')
    await writeFile(path.join(dir, `audit-${name}.log`), '')
  }
  const line = `{"kind":"Event","apiVersion":"audit.k8s.io/v1","level":"Metadata","auditID":"${uuid(1, 5)}","stage":"ResponseComplete","verb":"create","user":{"username":"alice"},"objectRef":{"resource":"networkpolicies","namespace":"n","name":"p1","apiGroup":"networking.k8s.io"},"responseStatus":{"code":201},"stageTimestamp":"${iso((lastRotation + 30_000) * 1000)}"}`
  await writeFile(active, line + '\n')
  return {dir, files, since}
}
