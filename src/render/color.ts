// Colour is on only for a terminal, unless --color says otherwise; NO_COLOR always wins for auto.
import {Chalk, type ChalkInstance} from 'chalk'

export type ColorMode = 'auto' | 'always' | 'never'

export function makeChalk(mode: ColorMode, stream: {isTTY?: boolean} = process.stdout, env: NodeJS.ProcessEnv = process.env): ChalkInstance {
  const noColor = env.NO_COLOR !== undefined && env.NO_COLOR !== ''
  const on = mode === 'always' || (mode === 'auto' && !noColor && stream.isTTY === true)
  return new Chalk({level: on ? 1 : 0})
}
