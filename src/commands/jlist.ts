import type {Config} from '@oclif/core'

import List from './list.js'

/** PM2's `pm2 jlist`, for hands used to it: the same as `tspm list --json`. */
export default class Jlist extends List {
  static override hidden = true
  static override summary = "PM2's jlist: the same as `tspm list --json`."
  static override description = 'Kept for hands used to PM2; `tspm list --json` is the tspm spelling.'
  static override hiddenAliases = []
  static override examples = [{description: 'The table as JSON.', command: '<%= config.bin %> <%= command.id %>'}]

  constructor(argv: string[], config: Config) {
    super(argv.includes('--json') ? argv : [...argv, '--json'], config)
  }
}
