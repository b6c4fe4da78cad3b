// Google's credentials where there are none: one line that says so, and nothing from the auth
// library. Run in a child process of its own (the library remembers, per process, whether a
// metadata server answered), whose metadata address answers as a proxy does (403 to everything):
// google-auth-library's lookup then fails in a way it does not expect, and calls
// process.emitWarning, which Node prints as `(node:PID) MetadataLookupWarning: …`.
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {ROOT} from '../support/cli.js'
import {FakeCloudLogging} from '../support/fake-cloud-logging.js'
import {fakeGoogleEnv} from '../support/gke-scenario.js'

const LOOKUP = `
import {googleCredentials} from './src/sources/cloud-logging.ts'
try {
  await googleCredentials()
} catch (error) {
  process.stderr.write('error: ' + error.message + '\\n')
}
// Warnings are printed on a later tick: give them time.
await new Promise((resolve) => setTimeout(resolve, 300))
`

describe('Google credentials, none to be had', function () {
  this.timeout(30_000)
  let fake: FakeCloudLogging
  let home: string
  beforeEach(async () => {
    fake = await new FakeCloudLogging({metadataProxy: true}).start()
    home = mkdtempSync(join(tmpdir(), 'google-home-'))
  })
  afterEach(async () => {
    await fake.stop()
    rmSync(home, {recursive: true, force: true})
  })

  it('one line of our own, no MetadataLookupWarning from the auth library', async () => {
    const stderr = await new Promise<string>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', LOOKUP], {
        cwd: ROOT,
        env: {...process.env, ...fakeGoogleEnv(home, fake)},
        stdio: ['ignore', 'ignore', 'pipe'],
      })
      const chunks: Buffer[] = []
      child.stderr.on('data', (chunk: Buffer) => chunks.push(chunk))
      child.on('error', reject)
      child.on('close', () => resolve(Buffer.concat(chunks).toString()))
    })
    assert.equal(
      stderr,
      "error: no Google credentials to read Cloud Logging with (none in GOOGLE_APPLICATION_CREDENTIALS, in gcloud's application-default file, or from a metadata server)\n",
    )
  })
})
