// The command map oclif loads (explicit strategy): also what a bundle exports.
import Doctor from './commands/doctor.js'
import Policies from './commands/policies.js'

export const COMMANDS = {
  doctor: Doctor,
  policies: Policies,
}
