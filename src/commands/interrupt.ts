// Ctrl-C and SIGTERM, handled once at the top of a run as kubectl's interrupt handler does: the
// first signal aborts the run's AbortSignal, lets the registered cleanups finish (deleting reader
// pods), and exits 130 (SIGINT) or 143 (SIGTERM); a second one ends the process at once.

const EXIT_CODES = {SIGINT: 130, SIGTERM: 143} as const
export type InterruptSignal = keyof typeof EXIT_CODES

/** Where signals come from: the process, or a stand-in in tests. */
export interface SignalSource {
  once(event: InterruptSignal, listener: (signal: InterruptSignal) => void): unknown
  removeListener(event: InterruptSignal, listener: (signal: InterruptSignal) => void): unknown
}

export class Interrupt {
  private readonly controller = new AbortController()
  private readonly cleanups: Array<() => Promise<void>> = []
  private listening = false
  private finishing: ((signal: InterruptSignal) => void) | undefined

  constructor(
    private readonly signals: SignalSource = process,
    private readonly exit: (code: number) => void = (code) => process.exit(code),
  ) {}

  /** Aborted by the first signal, with an Error naming it as the reason. */
  get signal(): AbortSignal {
    return this.controller.signal
  }

  get interrupted(): boolean {
    return this.controller.signal.aborted
  }

  listen(): void {
    if (this.listening) return
    this.listening = true
    for (const name of Object.keys(EXIT_CODES) as InterruptSignal[]) this.signals.once(name, this.onSignal)
  }

  /** The run is over: signals get their default handling again. */
  stop(): void {
    if (!this.listening) return
    this.listening = false
    for (const name of Object.keys(EXIT_CODES) as InterruptSignal[]) this.signals.removeListener(name, this.onSignal)
  }

  /** Runs `cleanup` before the exit if the run is interrupted; a failing cleanup does not stop the others. */
  onCleanup(cleanup: () => Promise<void>): void {
    this.cleanups.push(cleanup)
  }

  /**
   * From now on the first signal ends the run's work, not the process: the run's signal is aborted,
   * `stopped` is told which signal it was, and the run finishes by itself and cleans up (a watch
   * prints what it saw). A second signal still ends the process at once.
   */
  finishOnSignal(stopped: (signal: InterruptSignal) => void): void {
    this.finishing = stopped
  }

  /** The run finishes by itself after a signal (finishOnSignal). */
  get finishesOnSignal(): boolean {
    return this.finishing !== undefined
  }

  /** Never settles: for an interrupted run to wait in, while the cleanups finish and the process exits. */
  untilExit(): Promise<never> {
    return new Promise(() => {})
  }

  private readonly onSignal = (signal: InterruptSignal) => {
    // A second signal finds the default handler back, which ends the process at once.
    this.stop()
    this.controller.abort(new Error(`interrupted by ${signal}`))
    if (this.finishing) return this.finishing(signal)
    void Promise.allSettled(this.cleanups.map(async (cleanup) => cleanup())).then(() => this.exit(EXIT_CODES[signal]))
  }
}
