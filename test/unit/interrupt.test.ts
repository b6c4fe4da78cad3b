// The run's interrupt handler: the first SIGINT or SIGTERM aborts the run, lets every cleanup
// finish, then exits 130 or 143; a second signal is left to the default handler.
import assert from 'node:assert/strict'
import {EventEmitter} from 'node:events'

import {Interrupt, type InterruptSignal} from '../../src/commands/interrupt.js'

describe('interrupt', () => {
  /** A process stand-in: signals are emitted by hand, exits are recorded. */
  const setup = () => {
    const signals = new EventEmitter()
    const exits: number[] = []
    const interrupt = new Interrupt(signals, (code) => exits.push(code))
    const exited = () =>
      new Promise<void>((resolve) => {
        const poll = () => (exits.length > 0 ? resolve() : setImmediate(poll))
        poll()
      })
    return {signals, exits, interrupt, exited}
  }

  for (const [signal, code] of [
    ['SIGINT', 130],
    ['SIGTERM', 143],
  ] as Array<[InterruptSignal, number]>) {
    it(`${signal}: aborts the run, waits for the cleanups, then exits ${code}`, async () => {
      const {signals, exits, interrupt, exited} = setup()
      interrupt.listen()
      const events: string[] = []
      let finish!: () => void
      interrupt.onCleanup(
        () =>
          new Promise<void>((resolve) => {
            finish = () => {
              events.push('slow cleanup done')
              resolve()
            }
          }),
      )
      interrupt.onCleanup(async () => {
        throw new Error('a failing cleanup does not stop the others')
      })
      interrupt.onCleanup(async () => {
        events.push(`quick cleanup, signal aborted: ${interrupt.signal.aborted}`)
      })
      signals.emit(signal, signal)
      assert.ok(interrupt.interrupted)
      assert.equal((interrupt.signal.reason as Error).message, `interrupted by ${signal}`)
      await new Promise((resolve) => setImmediate(resolve))
      assert.deepEqual(exits, [], 'exited before a cleanup finished')
      finish()
      await exited()
      assert.deepEqual(exits, [code])
      assert.deepEqual(events, ['quick cleanup, signal aborted: true', 'slow cleanup done'])
    })
  }

  it('leaves a second signal to the default handler, which ends the process at once', () => {
    const {signals, interrupt} = setup()
    interrupt.listen()
    assert.equal(signals.listenerCount('SIGINT'), 1)
    signals.emit('SIGINT', 'SIGINT')
    assert.equal(signals.listenerCount('SIGINT'), 0)
    assert.equal(signals.listenerCount('SIGTERM'), 0)
  })

  it('hands signals back when the run is over', async () => {
    const {signals, exits, interrupt} = setup()
    interrupt.listen()
    interrupt.listen()
    assert.equal(signals.listenerCount('SIGTERM'), 1)
    interrupt.stop()
    assert.equal(signals.listenerCount('SIGINT'), 0)
    assert.equal(signals.listenerCount('SIGTERM'), 0)
    assert.ok(!interrupt.interrupted)
    assert.deepEqual(exits, [])
  })

  it('lets a run that finishes by itself (a watch) end its work on the first signal, without exiting or running the cleanups', async () => {
    const {signals, exits, interrupt} = setup()
    interrupt.listen()
    const stopped: InterruptSignal[] = []
    let cleaned = false
    interrupt.onCleanup(async () => {
      cleaned = true
    })
    assert.ok(!interrupt.finishesOnSignal)
    interrupt.finishOnSignal((signal) => stopped.push(signal))
    assert.ok(interrupt.finishesOnSignal)
    signals.emit('SIGTERM', 'SIGTERM')
    await new Promise((resolve) => setImmediate(resolve))
    assert.ok(interrupt.signal.aborted)
    assert.deepEqual(stopped, ['SIGTERM'])
    assert.deepEqual(exits, [])
    assert.ok(!cleaned, 'the run cleans up itself as it finishes')
    // A second signal finds the default handler, as before.
    assert.equal(signals.listenerCount('SIGINT'), 0)
  })
})
