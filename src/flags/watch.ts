// --watch and --watch-interval: following the logs after reading them, checked before any work.
import {Flags} from '@oclif/core'

import {UserError} from '../errors.js'
import {DURATION_FORM, parseDuration} from './duration.js'

/** No log is looked at more often: on a cluster, each look is a request to each node. */
export const MIN_WATCH_INTERVAL_MS = 1000
const DEFAULT_WATCH_INTERVAL = '1s'

export const watchFlags = {
  watch: Flags.boolean({
    char: 'w',
    summary:
      "After reading the log, keep following it (files by name through rotation, stdin to its end, every control-plane node's log; a log store is asked again each interval) and print each new change as it lands (with what it did: history always, policies with --diff or --opens), until Ctrl-C; then the summary of what was seen.",
    helpGroup: 'WATCH',
  }),
  'watch-interval': Flags.string({
    summary: `How often each followed log is looked at for new lines, at least 1s (a log store: at least what its quota allows, 5s for CloudWatch Logs, 10s for Cloud Logging and Log Analytics). [default: ${DEFAULT_WATCH_INTERVAL}]`,
    helpGroup: 'WATCH',
  }),
}

export interface WatchFlagValues {
  watch?: boolean
  'watch-interval'?: string
  'until-time'?: string
}

export interface WatchOptions {
  intervalMs: number
}

/** What --watch asks for, or null without it. */
export function watchOptions(flags: WatchFlagValues): WatchOptions | null {
  const interval = flags['watch-interval']
  if (!flags.watch) {
    if (interval !== undefined)
      throw new UserError('--watch-interval is for --watch', {
        hint: 'add --watch (-w) to follow the log, or drop --watch-interval',
      })
    return null
  }
  if (flags['until-time'] !== undefined)
    throw new UserError('--watch follows the log from now on, so it has no --until-time', {
      hint: 'drop --until-time, or drop --watch to read a window in the past',
    })
  const text = interval ?? DEFAULT_WATCH_INTERVAL
  const intervalMs = parseDuration(text)
  if (intervalMs === undefined)
    throw new UserError(`--watch-interval "${text}" is not a duration`, {hint: `use ${DURATION_FORM}`})
  if (intervalMs < MIN_WATCH_INTERVAL_MS)
    throw new UserError(`--watch-interval ${text} is too short: each followed log is looked at once a second at most`, {
      hint: 'use 1s or more',
    })
  return {intervalMs}
}
