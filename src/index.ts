// The command map oclif loads (explicit strategy): also what a bundle exports.
import Doctor from './commands/doctor.js'
import Help from './commands/help.js'
import History from './commands/history.js'
import Policies from './commands/policies.js'

export const COMMANDS = {
  doctor: Doctor,
  help: Help,
  history: History,
  policies: Policies,
}
