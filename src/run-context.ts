// What a command hands the code that works for it (sources, cluster, doctor): the run's one
// cancellation, a place for the cleanups an interrupted run finishes before it exits, and where
// warnings go. The command owns all three (src/commands/interrupt.ts); nothing below it installs
// signal handlers, exits the process or writes to stderr.

export interface RunContext {
  /** Aborted on Ctrl-C or SIGTERM: stop reading and stop waiting for answers. */
  readonly signal: AbortSignal
  /** Registers work an interrupted run must finish before it exits (deleting reader pods). */
  onCleanup(cleanup: () => Promise<void>): void
  /** One line for the user, as written (whoever prints it makes it safe for the terminal). */
  warn(line: string): void
}
