// Errors the user can act on: one line of cause, an optional hint, exit code 2 ("could not run").

export class UserError extends Error {
  readonly exitCode: number
  readonly hint?: string

  constructor(message: string, options: {hint?: string; exitCode?: number; cause?: unknown} = {}) {
    super(message, {cause: options.cause})
    this.name = 'UserError'
    this.hint = options.hint
    this.exitCode = options.exitCode ?? 2
  }
}
