// The chalk instance for table output, coloured as --color, NO_COLOR and the terminal say.
import {Chalk, type ChalkInstance} from 'chalk'

import {colorEnabled, type ColorMode} from './color-mode.js'

export type {ColorMode} from './color-mode.js'

export function makeChalk(
  mode: ColorMode,
  stream: {isTTY?: boolean} = process.stdout,
  env: NodeJS.ProcessEnv = process.env,
): ChalkInstance {
  return new Chalk({level: colorEnabled(mode, stream, env) ? 1 : 0})
}
