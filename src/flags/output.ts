// Output flags shared by the commands: -o and --color.
import {Flags} from '@oclif/core'

import type {ColorMode} from '../render/color-mode.js'

export const OUTPUT_FORMATS = ['table', 'wide', 'json', 'yaml'] as const
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]

export const outputFlags = {
  output: Flags.option({char: 'o', options: OUTPUT_FORMATS, default: 'table', summary: 'Output format.'})(),
  color: Flags.option({
    options: ['auto', 'always', 'never'] as const,
    default: 'auto',
    summary: 'Colour in table output (NO_COLOR is honoured with auto).',
  })(),
}

export interface OutputFlagValues {
  output: OutputFormat
  color: ColorMode
}
