// The flags for reading the audit log from Grafana Loki, their validation into LokiOptions, and
// the choice to read Loki at all (--loki URL, or --source loki), refusing the flags that mean
// another place. Credentials come from the environment only: a secret on the command line is in
// ps and the shell's history.
import {Flags} from '@oclif/core'

import {UserError} from '../errors.js'
import type {LokiOptions} from '../sources/loki.js'
import {DEFAULT_SELECTOR} from '../sources/loki-query.js'
import type {LogInput, LogLocation} from '../sources/open.js'
import {FILE_VALUE} from './help-values.js'
import {storeUrl} from './store-url.js'

const helpGroup = 'LOKI'
/** Loki's requests wait this long for an answer without --request-timeout: no wait is unbounded. */
const DEFAULT_REQUEST_TIMEOUT_MS = 60_000

export const lokiFlags = {
  loki: Flags.string({
    helpValue: 'URL',
    summary:
      'Read the audit log from this Grafana Loki (http://HOST:3100, or its gateway). Credentials: LOKI_USERNAME and LOKI_PASSWORD, or LOKI_BEARER_TOKEN.',
    helpGroup,
  }),
  'loki-selector': Flags.string({
    helpValue: 'SELECTOR',
    summary: `The LogQL stream selector of the audit log's streams. [default: ${DEFAULT_SELECTOR}: the k8s-monitoring chart's audit-log collector, and promtail's usual job]`,
    helpGroup,
  }),
  'loki-tenant': Flags.string({
    helpValue: 'TENANT',
    summary: 'The tenant to read, in a multi-tenant Loki (sent as X-Scope-OrgID).',
    helpGroup,
  }),
  'loki-ca': Flags.string({
    helpValue: FILE_VALUE,
    summary: "The CA certificate (PEM) Loki's certificate must chain to. [default: the system's]",
    helpGroup,
  }),
  'loki-insecure-skip-tls-verify': Flags.boolean({
    summary: "Do not check Loki's certificate: anyone on the way can read the audit log and the credentials.",
    helpGroup,
  }),
  // Sends only the selector and the window: what the push-down saves is measured against it.
  'loki-push-down': Flags.boolean({
    allowNo: true,
    hidden: true,
    summary: 'Filter in Loki (default), or fetch every line of the window.',
    helpGroup,
  }),
}

export interface LokiFlagValues {
  loki?: string
  'loki-selector'?: string
  'loki-tenant'?: string
  'loki-ca'?: string
  'loki-insecure-skip-tls-verify'?: boolean
  'loki-push-down'?: boolean
}

/** The Loki flags given on the command line, as `--name`. */
export function givenLokiFlags(flags: LokiFlagValues): string[] {
  return (Object.keys(lokiFlags) as Array<keyof typeof lokiFlags>)
    .filter((name) => flags[name] !== undefined && flags[name] !== false)
    .map((name) => `--${name}`)
}

/**
 * Loki as where the log is read, when --loki or --source loki asks for it; undefined otherwise.
 * `kube` are the connection flags given, `elsewhere` those for the nodes, the clouds' log services
 * and Elasticsearch: none of them means anything to a Loki given by URL (--request-timeout bounds
 * its requests too).
 * Validates everything, credentials in `env` included; nothing is contacted yet.
 */
export function lokiInput(
  flags: LokiFlagValues & {source?: LogLocation},
  requestTimeoutMs: number,
  given: {kube: readonly string[]; elsewhere: readonly string[]},
  env: NodeJS.ProcessEnv = process.env,
): LogInput | undefined {
  const lokiOnly = givenLokiFlags(flags).filter((f) => f !== '--loki')
  const asked = flags.loki !== undefined || flags.source === 'loki'
  if (!asked) {
    if (lokiOnly.length > 0)
      throw new UserError(`${lokiOnly.join(', ')} ${lokiOnly.length === 1 ? 'is' : 'are'} for reading Loki`, {
        hint: "give Loki's URL with --loki URL, or drop them",
      })
    return undefined
  }
  if (flags.loki === undefined)
    throw new UserError('--source loki needs the URL of the Loki to read', {
      hint: 'give it with --loki URL, e.g. --loki http://localhost:3100',
    })
  if (flags.source !== undefined && flags.source !== 'loki')
    throw new UserError(`--loki reads Loki, which --source ${flags.source} does not`, {
      hint: 'drop --source, or --loki',
    })
  const others = [...given.kube.filter((f) => f !== '--request-timeout'), ...given.elsewhere]
  if (others.length > 0) {
    throw new UserError(
      `${others.join(', ')} ${others.length === 1 ? 'is' : 'are'} for reading the log elsewhere, which --loki replaces`,
      {hint: `drop ${others.join(' ')}`},
    )
  }
  const selector = (flags['loki-selector'] ?? DEFAULT_SELECTOR).trim()
  if (!/^\{.*\}/s.test(selector)) {
    throw new UserError(`--loki-selector ${flags['loki-selector']} is not a LogQL stream selector`, {
      hint: 'write the labels in braces, e.g. --loki-selector \'{job="kube-apiserver-audit", cluster="prod"}\'',
    })
  }
  const tenant = flags['loki-tenant']?.trim()
  if (tenant !== undefined && !/^[A-Za-z0-9!_.*'()|-]{1,450}$/.test(tenant)) {
    throw new UserError(`--loki-tenant "${flags['loki-tenant']}" is not a Loki tenant ID`, {
      hint: "letters, digits and !-_.*'() (several tenants joined by |, where Loki allows multi-tenant queries)",
    })
  }
  if (flags['loki-ca'] !== undefined && flags['loki-insecure-skip-tls-verify']) {
    throw new UserError('--loki-ca and --loki-insecure-skip-tls-verify cannot be used together', {
      hint: "check Loki's certificate with its CA, or skip the check, not both",
    })
  }
  if (flags['loki-ca']?.trim() === '')
    throw new UserError('--loki-ca is empty', {hint: 'give a PEM file, or leave --loki-ca out'})
  const {credentials, from} = credentialsFromEnv(env)
  const loki: LokiOptions = {
    url: lokiUrl(flags.loki),
    selector,
    ...(tenant ? {tenant} : {}),
    credentials,
    credentialsFrom: from,
    ...(flags['loki-ca'] ? {caFile: flags['loki-ca']} : {}),
    insecure: flags['loki-insecure-skip-tls-verify'] ?? false,
    requestTimeoutMs: requestTimeoutMs > 0 ? requestTimeoutMs : DEFAULT_REQUEST_TIMEOUT_MS,
    pushDown: flags['loki-push-down'] ?? true,
  }
  return {from: 'loki', loki}
}

/** A base URL with its scheme and without credentials, a query or the API's own path. */
function lokiUrl(text: string): string {
  const url = storeUrl(text, {
    flag: '--loki',
    scheme: 'http://',
    hostPort: 'HOST:3100',
    whose: "Loki's",
    credentialVars: 'LOKI_USERNAME and LOKI_PASSWORD (or LOKI_BEARER_TOKEN)',
  })
  const api = url.pathname.indexOf('/loki/api/')
  if (api !== -1)
    throw new UserError(`--loki "${text}" names an API path`, {
      hint: `give the base URL the API is under: --loki ${url.origin}${url.pathname.slice(0, api)}`,
    })
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

/** LOKI_USERNAME and LOKI_PASSWORD, or LOKI_BEARER_TOKEN; none at all is fine (a Loki without auth). */
function credentialsFromEnv(env: NodeJS.ProcessEnv): Pick<LokiOptions, 'credentials'> & {from: string | null} {
  const username = env.LOKI_USERNAME || undefined
  const password = env.LOKI_PASSWORD || undefined
  const token = env.LOKI_BEARER_TOKEN || undefined
  const hint = 'set LOKI_USERNAME and LOKI_PASSWORD, or LOKI_BEARER_TOKEN alone'
  if (token !== undefined && (username !== undefined || password !== undefined))
    throw new UserError(
      'LOKI_BEARER_TOKEN and LOKI_USERNAME or LOKI_PASSWORD are both set: set one way of signing in',
      {hint},
    )
  if (token !== undefined) return {credentials: {kind: 'bearer', token}, from: 'LOKI_BEARER_TOKEN'}
  if (username !== undefined && password === undefined)
    throw new UserError('LOKI_USERNAME is set without LOKI_PASSWORD', {hint})
  if (password !== undefined && username === undefined)
    throw new UserError('LOKI_PASSWORD is set without LOKI_USERNAME', {hint})
  if (username !== undefined)
    return {credentials: {kind: 'basic', username, password: password!}, from: 'LOKI_USERNAME and LOKI_PASSWORD'}
  return {credentials: null, from: null}
}
