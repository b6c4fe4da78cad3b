import {Command} from '@oclif/core'

export default class Doctor extends Command {
  static override summary = 'Check that the control plane records network policy and tier changes.'

  async run(): Promise<void> {
    this.log('not implemented yet')
  }
}
