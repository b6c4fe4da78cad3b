// A run as a command hands it to the code below (src/run-context.ts), for tests: warnings are
// kept, cleanups are kept, and interrupt() does what Ctrl-C does, short of exiting.
import type {RunContext} from '../../src/run-context.js'

export interface TestRun extends RunContext {
  readonly warnings: string[]
  /** Aborts the run's signal and runs every registered cleanup, as the interrupt handler does. */
  interrupt(): Promise<void>
}

export function testRun(): TestRun {
  const controller = new AbortController()
  const cleanups: Array<() => Promise<void>> = []
  const warnings: string[] = []
  return {
    signal: controller.signal,
    warnings,
    onCleanup: (cleanup) => cleanups.push(cleanup),
    warn: (line) => warnings.push(line),
    interrupt: async () => {
      controller.abort(new Error('interrupted by SIGINT'))
      await Promise.allSettled(cleanups.map(async (cleanup) => cleanup()))
    },
  }
}
