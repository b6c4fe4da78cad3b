// `kubectl audit help [COMMAND]`: the same help as --help and -h, as cobra-built plugins offer it.
import {Args, loadHelpClass} from '@oclif/core'

import {BaseCommand} from './base.js'
import {unknownCommand} from './usage-errors.js'

export default class Help extends BaseCommand {
  static override summary = 'Show help for kubectl audit or one of its commands (as --help and -h do).'
  static override args = {command: Args.string({description: 'The command to show help for.'})}
  static override examples = ['<%= config.bin %> help policies']

  async run(): Promise<void> {
    const {args} = await this.parse(Help)
    const commands = this.config.commandIDs
    if (args.command !== undefined && !commands.includes(args.command))
      throw unknownCommand(this.config.bin, args.command, commands)
    const HelpClass = await loadHelpClass(this.config)
    await new HelpClass(this.config, this.config.pjson.oclif.helpOptions).showHelp(
      args.command === undefined ? [] : [args.command],
    )
  }
}
