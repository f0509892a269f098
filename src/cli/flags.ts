/** Flags that more than one command takes, defined once so they mean the same everywhere. */
import {Flags} from '@oclif/core'

import {parseLineCount} from './line-count.js'

/** `-u/--user`: the user a boot service runs as (startup, unstartup). */
export const userFlag = Flags.custom<string>({
  char: 'u',
  summary: 'User the service runs as (default: SUDO_USER under sudo, else you).',
})

/** `--wait` (the default) / `--no-wait`: whether start and restart wait until the processes are online. */
export const waitFlag = Flags.boolean({
  summary: 'Wait until each process is online (its ready check passed) or has failed; --no-wait returns at once.',
  default: true,
  allowNo: true,
})

/** `-n/--lines`: how many lines; `-n` means this and nothing else in tspm, as in tail(1). */
export const linesFlag = Flags.custom<number>({
  char: 'n',
  async parse(input) {
    const count = parseLineCount(input)
    if (count === undefined) throw new Error(`expected a whole number of 0 or more, got ${JSON.stringify(input)}`)
    return count
  },
})
