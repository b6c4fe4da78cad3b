// The README's examples are what the current code prints: scripts/readme-examples.ts regenerates
// them (npm run readme), and this fails when the README differs from what it would write.
import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'

import {README, regenerate} from '../../scripts/readme-examples.js'

describe('README examples', function () {
  // Every example runs twice, some against loopback cloud services and fake clusters and stores (doctor --probe among them).
  this.timeout(180_000)

  it('are what the current code prints (npm run readme regenerates them)', async () => {
    const readme = readFileSync(README, 'utf8')
    assert.ok((readme.match(/^<!-- example: /gm) ?? []).length >= 4, 'the README has its examples')
    assert.equal(await regenerate(readme), readme, 'README.md is out of date: run npm run readme')
    // An example edited by hand is rewritten, so the comparison above catches it.
    const edited = readme.replace(/\b[\d,]+ events read/, (count) =>
      count.startsWith('6,015 ') ? '6,016 events read' : '6,015 events read',
    )
    assert.notEqual(edited, readme)
    assert.equal(await regenerate(edited), readme)
  })
})
