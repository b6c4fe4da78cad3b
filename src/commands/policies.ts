import {Command} from '@oclif/core'

export default class Policies extends Command {
  static override summary = 'Summarize who changed network policies and tiers, from audit logs.'

  async run(): Promise<void> {
    this.log('not implemented yet')
  }
}
