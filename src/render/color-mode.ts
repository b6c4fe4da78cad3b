// Whether output is coloured: --color auto|always|never, NO_COLOR, and a terminal. Kept free of
// imports: bin/run.js settles the colour of oclif's own output with it before oclif loads.

export type ColorMode = 'auto' | 'always' | 'never'

const MODES: readonly string[] = ['auto', 'always', 'never']

/** Colour is on only for a terminal, unless --color says otherwise; NO_COLOR always wins for auto. */
export function colorEnabled(mode: ColorMode, stream: {isTTY?: boolean}, env: NodeJS.ProcessEnv): boolean {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== ''
  return mode === 'always' || (mode === 'auto' && !noColor && stream.isTTY === true)
}

/**
 * The --color given on a command line (the last one; `--color X` or `--color=X`), `auto` when its
 * value is not one we know, undefined when there is none.
 */
export function colorModeInArgv(argv: readonly string[]): ColorMode | undefined {
  let mode: ColorMode | undefined
  for (let i = 0; i < argv.length && argv[i] !== '--'; i++) {
    const value =
      argv[i] === '--color'
        ? argv[i + 1]
        : argv[i].startsWith('--color=')
          ? argv[i].slice('--color='.length)
          : undefined
    if (argv[i] === '--color' || value !== undefined)
      mode = value !== undefined && MODES.includes(value) ? (value as ColorMode) : 'auto'
  }
  return mode
}

/**
 * oclif colours its help and errors with ansis, which reads the command line itself and takes the
 * `--color` of `--color never` for a bare `--color`: colour forced on, even into a pipe. When our
 * --color says no colour, FORCE_COLOR=0 (which ansis, chalk and supports-color all honour) says it
 * to them. Call before @oclif/core is loaded: ansis decides when it loads.
 */
export function settleLibraryColor(argv: readonly string[], env: NodeJS.ProcessEnv, stream: {isTTY?: boolean}): void {
  const mode = colorModeInArgv(argv)
  if (mode !== undefined && !colorEnabled(mode, stream, env)) env.FORCE_COLOR = '0'
}
