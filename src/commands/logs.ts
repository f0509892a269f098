import {Args, Flags} from '@oclif/core'

import {TspmCommand} from '../cli/base-command.js'
import {linesFlag} from '../cli/flags.js'

export default class Logs extends TspmCommand {
  static override summary = "Show a process's output: the last lines of its stdout and stderr logs, or follow them."
  static override description = `Reads $TSPM_HOME/logs/<name>-out.log and <name>-err.log directly (no supervisor needed). With both streams, each file's lines come under a header naming it; with --out or --err the lines come bare, ready for a pipe. --follow keeps printing what is appended, across log rotations, until Ctrl-C.`
  static override args = {
    name: Args.string({description: 'Name of the process.', required: true}),
  }
  static override flags = {
    lines: linesFlag({summary: 'How many lines to show from the end of each log.', default: 20}),
    follow: Flags.boolean({char: 'f', summary: 'Keep printing new lines as they are written.'}),
    out: Flags.boolean({summary: 'Only standard output.', exclusive: ['err']}),
    err: Flags.boolean({summary: 'Only standard error.', exclusive: ['out']}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> web',
    {description: 'The last 100 lines of stderr.', command: '<%= config.bin %> <%= command.id %> web --err -n 100'},
    {description: 'Follow both streams.', command: '<%= config.bin %> <%= command.id %> web --follow'},
  ]

  async run(): Promise<{files: string[]}> {
    const {args, flags} = await this.parse(Logs)
    const {showLogs} = await import('../services/logs.js')
    const stream = flags.out ? 'out' : flags.err ? 'err' : undefined
    return showLogs(this.paths, {name: args.name, lines: flags.lines, follow: flags.follow, stream}, this.output)
  }
}
