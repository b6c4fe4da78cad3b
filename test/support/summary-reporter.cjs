// mocha's spec output plus the closing line CI reads: "N passed, N failed[, N skipped]".
'use strict'
const Mocha = require('mocha')

const {EVENT_RUN_END} = Mocha.Runner.constants

class SummaryReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options)
    runner.once(EVENT_RUN_END, () => {
      // After Spec's own epilogue, so the count is the very last line.
      process.nextTick(() => {
        const {passes, failures, pending} = this.stats
        const skipped = pending > 0 ? `, ${pending} skipped` : ''
        process.stdout.write(`${passes} passed, ${failures} failed${skipped}\n`)
      })
    })
  }
}

module.exports = SummaryReporter
