// The Loki flags compiled into where policies reads, row by row: --loki URL (or --source loki)
// with its selector, tenant, CA and credentials from the environment, and the flags that mean
// another place refused, each with one line and a hint, before anything is contacted.
import assert from 'node:assert/strict'

import {Parser} from '@oclif/core'

import Policies from '../../src/commands/policies.js'
import {UserError} from '../../src/errors.js'
import {type PoliciesFlagValues, type PoliciesOptions, policiesOptions} from '../../src/flags/policies.js'
import type {LokiOptions} from '../../src/sources/loki.js'
import {DEFAULT_SELECTOR} from '../../src/sources/loki-query.js'

const NOW = Date.parse('2026-11-25T12:00:00Z')
const ENV = ['LOKI_USERNAME', 'LOKI_PASSWORD', 'LOKI_BEARER_TOKEN'] as const

async function compile(
  argv: string[],
  env: Partial<Record<(typeof ENV)[number], string>> = {},
): Promise<PoliciesOptions> {
  const saved = ENV.map((name) => [name, process.env[name]] as const)
  for (const name of ENV) delete process.env[name]
  Object.assign(process.env, env)
  try {
    const {flags} = await Parser.parse(argv, {flags: Policies.flags, args: {}, strict: true})
    return policiesOptions(flags as PoliciesFlagValues, NOW)
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  }
}

const BASE: LokiOptions = {
  url: 'http://localhost:3100',
  selector: DEFAULT_SELECTOR,
  credentials: null,
  credentialsFrom: null,
  insecure: false,
  requestTimeoutMs: 60_000,
  pushDown: true,
}

describe('Loki options', () => {
  // [command line, environment, the Loki options]
  const rows: Array<[string[], Partial<Record<(typeof ENV)[number], string>>, LokiOptions]> = [
    [['--loki', 'http://localhost:3100'], {}, BASE],
    [['--loki', 'http://localhost:3100/', '--source', 'loki'], {}, BASE],
    [['--loki', 'https://loki.example.com/prefix/'], {}, {...BASE, url: 'https://loki.example.com/prefix'}],
    [
      ['--loki', 'http://localhost:3100', '--loki-selector', ' {job="audit", cluster="prod"} '],
      {},
      {...BASE, selector: '{job="audit", cluster="prod"}'},
    ],
    [['--loki', 'http://localhost:3100', '--loki-tenant', 'team-a|team-b'], {}, {...BASE, tenant: 'team-a|team-b'}],
    [['--loki', 'http://localhost:3100', '--loki-ca', 'ca.pem'], {}, {...BASE, caFile: 'ca.pem'}],
    [['--loki', 'http://localhost:3100', '--loki-insecure-skip-tls-verify'], {}, {...BASE, insecure: true}],
    [['--loki', 'http://localhost:3100', '--request-timeout', '2m'], {}, {...BASE, requestTimeoutMs: 120_000}],
    [
      ['--loki', 'http://localhost:3100'],
      {LOKI_USERNAME: '123456', LOKI_PASSWORD: 'glc_x'},
      {
        ...BASE,
        credentials: {kind: 'basic', username: '123456', password: 'glc_x'},
        credentialsFrom: 'LOKI_USERNAME and LOKI_PASSWORD',
      },
    ],
    [
      ['--loki', 'http://localhost:3100'],
      {LOKI_BEARER_TOKEN: 'abc'},
      {...BASE, credentials: {kind: 'bearer', token: 'abc'}, credentialsFrom: 'LOKI_BEARER_TOKEN'},
    ],
  ]
  for (const [argv, env, loki] of rows) {
    it(`${argv.join(' ')}${Object.keys(env).length > 0 ? ` with ${Object.keys(env).join(', ')}` : ''}`, async () => {
      const options = await compile(argv, env)
      assert.deepEqual(options.input, {from: 'loki', loki})
    })
  }

  it('leaves the cluster to be read when no Loki flag is given', async () => {
    assert.equal((await compile([])).input.from, 'cluster')
  })

  // [command line, environment, error, hint]
  const refused: Array<[string[], Partial<Record<(typeof ENV)[number], string>>, RegExp, RegExp]> = [
    [['--source', 'loki'], {}, /^--source loki needs the URL of the Loki to read$/, /--loki URL/],
    [['--loki-selector', '{job="x"}'], {}, /^--loki-selector is for reading Loki$/, /--loki URL/],
    [
      ['--loki', 'http://localhost:3100', '--source', 'nodes'],
      {},
      /^--loki reads Loki, which --source nodes does not$/,
      /drop --source, or --loki/,
    ],
    [
      ['--loki', 'http://localhost:3100', '--node', 'cp-1', '--context', 'prod'],
      {},
      /^--context, --node are for reading the log elsewhere, which --loki replaces$/,
      /^drop --context --node$/,
    ],
    [
      ['--loki', 'http://localhost:3100', '--region', 'eu-west-1'],
      {},
      /^--region is for reading the log elsewhere, which --loki replaces$/,
      /drop --region/,
    ],
    [
      ['-f', 'a.log', '--loki', 'http://localhost:3100'],
      {},
      /^--loki is for reading the logs from the cluster, which -f replaces$/,
      /drop --loki/,
    ],
    [['--loki', 'localhost:3100'], {}, /^--loki "localhost:3100" is not an http\(s\) URL$/, /http:\/\/localhost:3100/],
    [
      ['--loki', 'http://admin:pw@localhost:3100'],
      {},
      /^--loki has credentials in it/,
      /LOKI_USERNAME and LOKI_PASSWORD/,
    ],
    [
      ['--loki', 'http://localhost:3100/loki/api/v1/query_range'],
      {},
      /names an API path$/,
      /--loki http:\/\/localhost:3100$/,
    ],
    [
      ['--loki', 'http://localhost:3100', '--loki-selector', 'job="audit"'],
      {},
      /is not a LogQL stream selector$/,
      /in braces/,
    ],
    [
      ['--loki', 'http://localhost:3100', '--loki-tenant', 'team a'],
      {},
      /^--loki-tenant "team a" is not a Loki tenant ID$/,
      /letters, digits/,
    ],
    [
      ['--loki', 'http://localhost:3100', '--loki-ca', 'ca.pem', '--loki-insecure-skip-tls-verify'],
      {},
      /cannot be used together$/,
      /not both/,
    ],
    [
      ['--loki', 'http://localhost:3100'],
      {LOKI_USERNAME: 'u'},
      /^LOKI_USERNAME is set without LOKI_PASSWORD$/,
      /LOKI_BEARER_TOKEN alone/,
    ],
    [
      ['--loki', 'http://localhost:3100'],
      {LOKI_BEARER_TOKEN: 't', LOKI_PASSWORD: 'p'},
      /both set: set one way of signing in$/,
      /LOKI_BEARER_TOKEN alone/,
    ],
  ]
  for (const [argv, env, message, hint] of refused) {
    it(`refuses ${argv.join(' ')}${Object.keys(env).length > 0 ? ` with ${Object.keys(env).join(', ')}` : ''}`, async () => {
      const error = await compile(argv, env).then(
        () => undefined,
        (e: unknown) => e,
      )
      assert.ok(error instanceof UserError, String(error))
      assert.match(error.message, message)
      assert.match(error.hint ?? '', hint)
    })
  }
})
