// Output flags shared by the commands: -o and --color.
import {Flags} from '@oclif/core'

export const outputFlags = {
  output: Flags.option({char: 'o', options: ['table', 'wide', 'json', 'yaml'] as const, default: 'table', summary: 'Output format.'})(),
  color: Flags.option({options: ['auto', 'always', 'never'] as const, default: 'auto', summary: 'Colour in table output (NO_COLOR is honoured with auto).'})(),
}
