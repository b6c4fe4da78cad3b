// What a change did, as lines under its row in a table: what the log could not tell, the unified
// diff of the object (or the patch that was sent), the rule summary and what the change opens,
// coloured as git diff colours a diff. Every line comes from the log: each is sanitized.
import type {ChalkInstance} from 'chalk'

import {type ChangeVersions, shownObject} from '../audit/what-changed/change-versions.js'
import {type DiffLine, diffVersions, objectYaml} from '../audit/what-changed/yaml-diff.js'
import {NOTES, type WhatChanged} from '../audit/what-changed/versions.js'
import {sanitize} from './sanitize.js'
import {textWidth} from './text-width.js'
import {wrapText} from './wrap.js'

export interface ChangeDetailView {
  chalk: ChalkInstance
  /** The terminal's columns: longer lines wrap. Undefined: every line whole. */
  width?: number
  /** The diff (or patch) and the rule summary; without it, only what the change opens. */
  diff: boolean
  showAllFields: boolean
}

/** Under a table row. */
const INDENT = '    '

/** The lines shown under a change; empty when there is nothing to show. */
export async function changeDetailLines(
  change: WhatChanged,
  versions: ChangeVersions,
  view: ChangeDetailView,
): Promise<string[]> {
  const {chalk} = view
  const lines: Array<[string, (text: string) => string]> = []
  const add = (text: string, style: (text: string) => string = (t) => t) => {
    for (const line of text.split('\n')) lines.push([line, style])
  }
  if (view.diff) {
    for (const note of versions.notes) add(`# ${note}`, chalk.dim)
    if (versions.patch) {
      add(`patch (${versions.patch.type}):`, chalk.bold)
      for (const line of (await bodyYaml(versions.patch.body)).split('\n')) add(`  ${line}`)
    } else {
      const diff = await objectDiff(change, view.showAllFields)
      for (const line of diff ?? []) add(line.text, DIFF_STYLE[line.kind](chalk))
      if (diff?.length === 0)
        add(
          `# no change${view.showAllFields ? '' : ' in the fields shown (--show-all-fields shows every field)'}`,
          chalk.dim,
        )
    }
    if (versions.rules !== null && versions.rules.length > 0) {
      add('rules:', chalk.bold)
      for (const rule of versions.rules) add(`  ${rule}`, RULE_STYLE[rule[0]!]?.(chalk))
    }
  }
  if (versions.opens.length > 0) {
    add('opens:', (t) => chalk.bold(chalk.red(t)))
    for (const finding of versions.opens)
      add(`  ! ${finding.message}${finding.rule ? `: ${finding.rule}` : ''}`, chalk.red)
  }
  const wrapAt = view.width === undefined ? undefined : Math.max(MIN_WIDTH, view.width - INDENT.length)
  return lines.flatMap(([text, style]) => {
    const safe = sanitize(text)
    return (wrapAt === undefined ? [safe] : fitLine(safe, wrapAt)).map((piece) => INDENT + style(piece))
  })
}

/** Narrower than this, a line is wrapped at this width anyway. */
const MIN_WIDTH = 20

/**
 * A line in pieces no wider than `width`, each after the first indented under the text of the
 * first: a diff line keeps its `+` or `-` (its colour says the same), a rule line its indent.
 */
function fitLine(line: string, width: number): string[] {
  if (textWidth(line) <= width) return [line]
  const lead = /^\s*[-+~!#]?\s*/.exec(line)![0]
  const marker = /^[-+]/.test(lead) ? lead[0] : ' '
  const hanging = `${marker}${' '.repeat(Math.max(lead.length - 1, 0))}  `
  if (hanging.length + MIN_WIDTH / 2 > width) return wrapText(line, width)
  const [first, ...rest] = wrapText(line.slice(lead.length), width - hanging.length)
  const firstLine = lead + first
  // The first piece was wrapped at the hanging width; the lead is never wider than that.
  return [firstLine, ...rest.map((piece) => hanging + piece)]
}

/**
 * The unified diff of what the change did to the object: the new version whole when the one
 * before is not in the log; undefined for a write that stored nothing, or whose object after it is
 * not in the log (the notes say why).
 */
async function objectDiff(change: WhatChanged, showAllFields: boolean): Promise<DiffLine[] | undefined> {
  if (!change.stored && !change.notes.includes(NOTES.outcomeUnknown)) return undefined
  if (change.after.state === 'unknown' || (change.after.state === 'none' && change.before.state === 'unknown'))
    return undefined
  return diffVersions(shownObject(change.before, true), shownObject(change.after, true), {showAllFields})
}

async function bodyYaml(body: unknown): Promise<string> {
  // A JSON patch is a list: YAML of it as of any object.
  const text = await objectYaml(body as Record<string, unknown>)
  return text.endsWith('\n') ? text.slice(0, -1) : text
}

const DIFF_STYLE: Record<DiffLine['kind'], (chalk: ChalkInstance) => (text: string) => string> = {
  hunk: (chalk) => chalk.cyan,
  added: (chalk) => chalk.green,
  removed: (chalk) => chalk.red,
  context: () => (text) => text,
}

const RULE_STYLE: Record<string, (chalk: ChalkInstance) => (text: string) => string> = {
  '+': (chalk) => chalk.green,
  '-': (chalk) => chalk.red,
  '~': (chalk) => chalk.yellow,
}
