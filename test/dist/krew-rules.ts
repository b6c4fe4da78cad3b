// krew's rules for a plugin manifest, restated from its validator (internal/index/validation,
// cmd/validate-krew-manifest) and from what krew-index reviewers ask, so plugin.yaml is checked by
// code that shares nothing with the generator.
import {posix} from 'node:path'

interface Requirement {
  key?: string
  operator?: string
  values?: string[]
}

export interface KrewSelector {
  matchLabels?: Record<string, string>
  matchExpressions?: Requirement[]
}

export interface KrewPlatform {
  selector?: KrewSelector
  uri?: string
  sha256?: string
  bin?: string
  files?: {from?: string; to?: string}[]
}

export interface KrewPlugin {
  apiVersion?: string
  kind?: string
  metadata?: {name?: string}
  spec?: {
    version?: string
    homepage?: string
    shortDescription?: string
    description?: string
    caveats?: string
    platforms?: KrewPlatform[]
  }
}

// What validate-krew-manifest checks every selector against.
export const SUPPORTED_PLATFORMS: readonly {os: string; arch: string}[] = [
  ...['386', 'amd64', 'arm64'].map((arch) => ({os: 'windows', arch})),
  ...['386', 'amd64', 'arm', 'arm64', 'ppc64le'].map((arch) => ({os: 'linux', arch})),
  ...['386', 'amd64', 'arm64'].map((arch) => ({os: 'darwin', arch})),
]

const WINDOWS_RESERVED = /^(con|prn|aux|nul|com[1-9]|lpt[1-9])$/i
// k8s.io/apimachinery ParseSemantic, after krew strips the mandatory leading v.
const SEMVER = /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$/

/** Label-selector semantics (matchLabels and matchExpressions all hold) on the labels os and arch. */
export function selectorMatches(selector: KrewSelector, labels: Record<string, string>): boolean {
  const labelsHold = Object.entries(selector.matchLabels ?? {}).every(([key, value]) => labels[key] === value)
  const expressionsHold = (selector.matchExpressions ?? []).every(({key = '', operator, values = []}) => {
    switch (operator) {
      case 'In':
        return key in labels && values.includes(labels[key]!)
      case 'NotIn':
        return !(key in labels) || !values.includes(labels[key]!)
      case 'Exists':
        return key in labels
      case 'DoesNotExist':
        return !(key in labels)
      default:
        return false
    }
  })
  return labelsHold && expressionsHold
}

function selectorErrors(selector: KrewSelector | undefined, where: string): string[] {
  if (!selector) return [`${where}: selector is required`]
  const labels = selector.matchLabels
  const expressions = selector.matchExpressions
  if (labels !== undefined && Object.keys(labels).length === 0) return [`${where}: matchLabels is empty`]
  if (expressions !== undefined && expressions.length === 0) return [`${where}: matchExpressions is empty`]
  const keys = [...Object.keys(labels ?? {}), ...(expressions ?? []).map((requirement) => requirement.key ?? '')]
  if (keys.length === 0) return [`${where}: selector is empty`]
  const foreign = keys.filter((key) => key !== 'os' && key !== 'arch')
  return foreign.length > 0 ? [`${where}: selector keys other than os/arch: ${foreign.join(', ')}`] : []
}

function platformErrors(platform: KrewPlatform, index: number): string[] {
  const where = `platforms[${index}]`
  const errors = selectorErrors(platform.selector, where)
  if (!platform.uri) errors.push(`${where}: uri is required`)
  if (!/^[a-f0-9]{64}$/.test(platform.sha256 ?? '')) errors.push(`${where}: sha256 must be 64 lowercase hex digits`)
  if (!platform.bin) {
    errors.push(`${where}: bin is required`)
  } else {
    const installed = posix.normalize(posix.join('/install', platform.bin.replaceAll('\\', '/')))
    if (!installed.startsWith('/install/')) errors.push(`${where}: bin ${platform.bin} is outside the install directory`)
  }
  if (platform.files !== undefined) {
    if (platform.files.length === 0) errors.push(`${where}: files, when given, must not be empty`)
    for (const file of platform.files) if (!file.from || !file.to) errors.push(`${where}: every file needs from and to`)
  }
  if (platform.selector && !SUPPORTED_PLATFORMS.some((labels) => selectorMatches(platform.selector!, labels))) {
    errors.push(`${where}: selector matches no os/arch krew supports`)
  }
  return errors
}

/** Every rule the manifest breaks, as one line each; empty when krew would accept it. */
export function krewManifestErrors(plugin: KrewPlugin, expectedName: string): string[] {
  const errors: string[] = []
  if (plugin.apiVersion !== 'krew.googlecontainertools.github.com/v1alpha2') errors.push('apiVersion is not krew.googlecontainertools.github.com/v1alpha2')
  if (plugin.kind !== 'Plugin') errors.push('kind is not Plugin')
  const name = plugin.metadata?.name ?? ''
  if (!/^[\w-]+$/.test(name) || WINDOWS_RESERVED.test(name)) errors.push(`name ${JSON.stringify(name)} is not a valid plugin name`)
  if (name !== expectedName) errors.push(`name ${JSON.stringify(name)} is not ${expectedName}`)

  const spec = plugin.spec ?? {}
  if (!SEMVER.test(spec.version ?? '')) errors.push(`version ${JSON.stringify(spec.version)} is not v-prefixed semver`)
  const short = spec.shortDescription ?? ''
  if (!short) errors.push('shortDescription is required')
  if (/[\r\n]/.test(short)) errors.push('shortDescription must be a single line')
  if (short.length > 50) errors.push(`shortDescription is ${short.length} characters, reviewers ask for at most 50`)
  if (!spec.description) errors.push('description is required')
  for (const [field, text] of [['description', spec.description], ['caveats', spec.caveats]] as const) {
    const long = (text ?? '').split('\n').filter((line) => line.length > 80)
    if (long.length > 0) errors.push(`${field} has ${long.length} line(s) over 80 characters`)
  }

  const platforms = spec.platforms ?? []
  if (platforms.length === 0) errors.push('platforms must not be empty')
  platforms.forEach((platform, index) => errors.push(...platformErrors(platform, index)))
  for (const labels of SUPPORTED_PLATFORMS) {
    const matching = platforms.filter((platform) => platform.selector && selectorMatches(platform.selector, labels))
    if (matching.length > 1) errors.push(`${labels.os}/${labels.arch} is matched by ${matching.length} platforms`)
  }
  return errors
}

// krew-index CI's rule: one installed file must have one of these names, in any case.
const LICENSE_FILE_NAMES = new Set(['license', 'license.txt', 'license.md', 'licenses', 'licenses.txt', 'licenses.md', 'copying', 'copying.txt'])

export function isLicenseFile(name: string): boolean {
  return LICENSE_FILE_NAMES.has(posix.basename(name).toLowerCase())
}
