// The example logs are what their generator writes, byte for byte: nobody edits them by hand, and
// the generator is deterministic.

import assert from 'node:assert/strict'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import path from 'node:path'

import {generateExamples} from '../../examples/generate.js'

describe('examples/generate.ts', () => {
  let dir: string
  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'kubectl-audit-examples-'))
    await generateExamples(dir)
  })
  after(async () => {
    await rm(dir, {recursive: true, force: true})
  })

  for (const log of ['audit.log', 'tiny.log']) {
    it(`regenerates examples/${log} unchanged`, async () => {
      const [committed, regenerated] = await Promise.all([
        readFile(path.join('examples', log)),
        readFile(path.join(dir, log)),
      ])
      assert.ok(committed.length > 0)
      assert.ok(
        committed.equals(regenerated),
        `examples/${log} differs from what examples/generate.ts writes: run \`npx tsx examples/generate.ts\``,
      )
    })
  }
})
