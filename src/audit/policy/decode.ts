// Decodes policy text the way kube-apiserver does: YAML 1.1 (sigs.k8s.io/yaml), first document
// only, JSON field types enforced, field names case-sensitive. Unknown and duplicate fields are
// strict-decoding errors that the loader forgives with a warning (reader.go, 1.26+; earlier
// releases dropped them silently), so they are warnings here too.
import {parseAllDocuments} from 'yaml'

import {hasExcessiveAliasing} from './aliasing.js'
import {type PolicyProblem, policyError, policyWarning} from './problems.js'
import type {GroupResources, Policy, PolicyRule} from './types.js'

export interface DecodedPolicy {
  /** Undefined when the text cannot be decoded into a Policy at all (syntax or type errors). */
  readonly policy?: Policy
  readonly problems: readonly PolicyProblem[]
}

/** go-yaml's words, and what they mean for the apiserver. */
export const EXCESSIVE_ALIASING =
  "YAML error: document contains excessive aliasing (one anchor fanned out through many aliases): the apiserver's YAML decoder refuses it, so kube-apiserver would not start"

const POLICY_FIELDS = ['apiVersion', 'kind', 'metadata', 'rules', 'omitStages', 'omitManagedFields']
const RULE_FIELDS = [
  'level',
  'users',
  'userGroups',
  'verbs',
  'resources',
  'namespaces',
  'nonResourceURLs',
  'omitStages',
  'omitManagedFields',
]
const GROUP_RESOURCES_FIELDS = ['group', 'resources', 'resourceNames']

/** Collects problems while walking the decoded document. */
class Decoder {
  readonly problems: PolicyProblem[] = []
  /** Set by type errors: Go's decoder stops there and the apiserver does not start. */
  failed = false

  typeError(path: string, expected: string, value: unknown): void {
    this.failed = true
    this.problems.push(policyError(path, `cannot decode ${describe(value)} into ${expected}`))
  }

  /** Warns on unknown fields; `consequence` says what ignoring them does, when it matters. */
  checkFields(path: string, object: Record<string, unknown>, known: readonly string[], consequence?: string): void {
    for (const field of Object.keys(object)) {
      if (known.includes(field)) continue
      const hint = known.find((k) => k.toLowerCase() === field.toLowerCase() || k === `${field}s`)
      this.problems.push(
        policyWarning(
          join(path, field),
          `unknown field "${field}", ignored${hint ? ` (did you mean "${hint}"?)` : ''}${consequence ? `: ${consequence}` : ''}`,
        ),
      )
    }
  }

  string(path: string, value: unknown): string {
    if (value === undefined || value === null) return ''
    if (typeof value === 'string') return value
    this.typeError(path, 'a string', value)
    return ''
  }

  strings(path: string, value: unknown): string[] {
    if (value === undefined || value === null) return []
    if (!Array.isArray(value)) {
      this.typeError(path, 'a list of strings', value)
      return []
    }
    return value.map((item, i) => this.string(`${path}[${i}]`, item))
  }

  boolean(path: string, value: unknown): boolean | undefined {
    if (value === undefined || value === null) return undefined
    if (typeof value === 'boolean') return value
    this.typeError(path, 'a boolean', value)
    return undefined
  }

  object(path: string, value: unknown): Record<string, unknown> | undefined {
    if (value === undefined || value === null) return undefined
    if (isPlainObject(value)) return value
    this.typeError(path, 'an object', value)
    return undefined
  }

  list(path: string, value: unknown): unknown[] {
    if (value === undefined || value === null) return []
    if (Array.isArray(value)) return value
    this.typeError(path, 'a list', value)
    return []
  }

  groupResources(path: string, value: unknown): GroupResources {
    const object = this.object(path, value) ?? {}
    const group = this.string(join(path, 'group'), object.group)
    const resources = this.strings(join(path, 'resources'), object.resources)
    // A misspelt `resources` (OpenShift's `resource:`) leaves the entry naming no resource at all.
    const widened =
      resources.length === 0
        ? `this entry then names no resources, so it matches every resource of ${group === '' ? 'the core group' : `the group "${group}"`}`
        : undefined
    this.checkFields(path, object, GROUP_RESOURCES_FIELDS, widened)
    return {group, resources, resourceNames: this.strings(join(path, 'resourceNames'), object.resourceNames)}
  }

  rule(path: string, value: unknown): PolicyRule {
    const object = this.object(path, value) ?? {}
    this.checkFields(path, object, RULE_FIELDS)
    const omitManagedFields = this.boolean(join(path, 'omitManagedFields'), object.omitManagedFields)
    return {
      level: this.string(join(path, 'level'), object.level),
      users: this.strings(join(path, 'users'), object.users),
      userGroups: this.strings(join(path, 'userGroups'), object.userGroups),
      verbs: this.strings(join(path, 'verbs'), object.verbs),
      resources: this.list(join(path, 'resources'), object.resources).map((gr, i) =>
        this.groupResources(`${path}.resources[${i}]`, gr),
      ),
      namespaces: this.strings(join(path, 'namespaces'), object.namespaces),
      nonResourceURLs: this.strings(join(path, 'nonResourceURLs'), object.nonResourceURLs),
      omitStages: this.strings(join(path, 'omitStages'), object.omitStages),
      ...(omitManagedFields === undefined ? {} : {omitManagedFields}),
    }
  }

  policy(value: unknown): Policy | undefined {
    if (!isPlainObject(value)) {
      this.failed = true
      this.problems.push(
        policyError('', `the file is not a Policy object (found ${describe(value)}): "Object 'Kind' is missing"`),
      )
      return undefined
    }
    this.checkFields('', value, POLICY_FIELDS)
    this.object('metadata', value.metadata)
    return {
      apiVersion: this.string('apiVersion', value.apiVersion),
      kind: this.string('kind', value.kind),
      rules: this.list('rules', value.rules).map((rule, i) => this.rule(`rules[${i}]`, rule)),
      omitStages: this.strings('omitStages', value.omitStages),
      omitManagedFields: this.boolean('omitManagedFields', value.omitManagedFields) ?? false,
    }
  }
}

export function decodePolicy(text: string): DecodedPolicy {
  const documents = parseAllDocuments(text, {version: '1.1', uniqueKeys: true})
  if (!Array.isArray(documents) || documents.length === 0) {
    return {problems: [policyError('', 'the file is empty: "Object \'Kind\' is missing"')]}
  }
  const [first] = documents
  const problems: PolicyProblem[] = []
  for (const error of first.errors) {
    if (error.code === 'DUPLICATE_KEY') {
      const line = error.linePos?.[0]?.line
      problems.push(policyWarning('', `duplicate field${line ? ` at line ${line}` : ''}: the later value is used`))
    } else {
      return {problems: [policyError('', `YAML syntax error: ${firstLine(error.message)}`)]}
    }
  }
  if (documents.length > 1) {
    problems.push(policyWarning('', `the file has ${documents.length} YAML documents: only the first is read`))
  }
  // An alias bomb (one anchor fanned out through many aliases) is refused before it is expanded.
  if (hasExcessiveAliasing(first)) return {problems: [policyError('', EXCESSIVE_ALIASING)]}
  let value: unknown
  try {
    // The aliasing rule above is the apiserver's own; the library's cruder limit would refuse more.
    value = first.toJS({maxAliasCount: -1})
  } catch (error) {
    // An alias without its anchor: the apiserver's YAML reader refuses it too.
    return {problems: [policyError('', `YAML error: ${firstLine((error as Error).message)}`)]}
  }
  const decoder = new Decoder()
  const policy = decoder.policy(value)
  for (const problem of decoder.problems) problems.push(problem)
  return decoder.failed ? {problems} : {policy, problems}
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date)
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  if (value instanceof Date) return 'a timestamp'
  if (typeof value === 'object') return 'an object'
  return `${typeof value} ${JSON.stringify(value)}`
}

function join(path: string, field: string): string {
  return path === '' ? field : `${path}.${field}`
}

function firstLine(text: string): string {
  return text.split('\n', 1)[0]
}
