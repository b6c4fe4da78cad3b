// The probe's section of doctor's table: one row per dry-run create, with where each of its audit
// events was found, at what level, with which stages and bodies, and how long after the write.
import type {ChalkInstance} from 'chalk'

import {resourceKey} from '../doctor/describe.js'
import type {ProbeReport, ProbeResultReport} from '../doctor/probe-report.js'
import {type CellStyle, tableSpec, type TableSpec} from './table.js'

export interface ProbeSection {
  /** Lines above the table: what was sent, as whom, where it was looked for. */
  readonly heading: string
  readonly table?: {readonly spec: TableSpec; readonly style: CellStyle}
  /** Dim lines below the table. */
  readonly legend: readonly string[]
}

type Outcome = 'full' | 'partial' | 'missing' | 'refused'

export function probeSection(probe: ProbeReport, chalk: ChalkInstance): ProbeSection {
  const as = probe.user ? ` as ${probe.user}` : ''
  if (probe.unreadable !== null) return {heading: `Probe: nothing sent: ${probe.unreadable}`, legend: []}
  if (probe.results.length === 0)
    return {heading: `Probe: nothing sent${probe.notes.length > 0 ? `: ${probe.notes.join('; ')}` : ''}`, legend: []}
  const where = probe.sources.length === 1 ? probe.sources[0]! : `${probe.sources.length} sources`
  const heading = `Probe: dry-run creates (nothing stored)${as}, namespaced ones in ${probe.namespace}; looked for in ${where} for up to ${probe.timeoutSeconds}s`
  const rows: string[][] = []
  const outcomes: Array<Outcome | undefined> = []
  for (const result of probe.results) {
    const outcome = outcomeOf(result)
    const lines = detailLines(result, probe)
    lines.forEach((line, i) => {
      rows.push(i === 0 ? [resourceKey(result), resultText(result), line] : ['', '', line])
      outcomes.push(i === 0 ? outcome : undefined)
    })
  }
  const colour: Record<Outcome, (s: string) => string> = {
    full: chalk.green,
    partial: chalk.yellow,
    refused: chalk.yellow,
    missing: chalk.red,
  }
  const legend = probe.results.some((r) => r.purpose === 'backing-crd')
    ? [
        'crd.projectcalico.org rows: the write the Calico API server makes behind an aggregated request, sent straight to the CRD, since a dry run through the Calico API server stores nothing and so makes no backing write',
      ]
    : []
  return {
    heading,
    table: {
      spec: tableSpec([{header: 'PROBE'}, {header: 'RESULT'}, {header: 'DETAIL', wrap: true}], rows),
      style: (row, col, text) => {
        const outcome = outcomes[row]
        return col === 1 && outcome ? colour[outcome](text) : text
      },
    },
    legend,
  }
}

function outcomeOf(result: ProbeResultReport): Outcome {
  if (!result.accepted) return 'refused'
  const kube = result.records.find((r) => r.recorder === 'kube-apiserver')
  if (!kube) return 'missing'
  return kube.responseBody || result.records.some((r) => r.responseBody) ? 'full' : 'partial'
}

function resultText(result: ProbeResultReport): string {
  if (!result.accepted) return `refused ${result.code}${result.recorded ? ', recorded' : ''}`
  return result.recorded ? 'recorded' : 'not seen'
}

function detailLines(result: ProbeResultReport, probe: ProbeReport): string[] {
  const lines: string[] = []
  if (!result.accepted) lines.push(result.refusal || `HTTP ${result.code}`)
  for (const record of result.records) {
    const by = record.recorder === 'calico-apiserver' ? 'by the Calico API server: ' : ''
    const bodies =
      record.requestBody && record.responseBody
        ? 'request and response bodies'
        : record.requestBody
          ? 'request body only'
          : record.responseBody
            ? 'response body only'
            : 'no bodies'
    // With one source, the heading names it.
    const where = probe.sources.length === 1 && record.source === probe.sources[0] ? '' : `, in ${record.source}`
    // GKE's entries keep neither level nor stage, and perhaps not the Audit-ID sent.
    const told =
      record.level === null || record.stages === null
        ? 'level and stages not kept by the store'
        : `${record.level}, ${record.stages.join(', ')}`
    const matched = record.matchedBy === 'object' ? ', matched by its name (the store keeps another ID)' : ''
    lines.push(`${by}${told}, ${bodies}, ${seconds(record.foundAfterMs)} after the write${where}${matched}`)
  }
  if (result.accepted && result.records.length === 0)
    lines.push(
      `audit ID ${result.auditID} not found in ${probe.timeoutSeconds}s${probe.slowServices.length > 0 ? ` (${probe.slowServices.join(' and ')} can take minutes: try --probe-timeout 5m)` : ''}`,
    )
  return lines
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)}s` : `${Math.round(ms / 1000)}s`
}
