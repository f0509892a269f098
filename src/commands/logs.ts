import {Args, Flags} from '@oclif/core'

import {TspmCommand} from '../cli/base-command.js'
import {linesFlag} from '../cli/flags.js'

export default class Logs extends TspmCommand {
  static override summary =
    'Show the output of processes: the last lines of their logs, in the order they arrived, or follow them.'
  static override description = `Reads the log files directly (no supervisor needed): $TSPM_HOME/logs/<name>-out.log and <name>-err.log (or the app's out_file and error_file), with every instance's. With no name, every app's. The lines of all the files come in the order they arrived (the supervisor keeps each line's arrival time beside the log, in a .<file>.times file), each after a label: "web | " for stdout, "web err | " for stderr, "web:1 | " for an instance of an app that has several. One file (one app of one instance with --out or --err) comes bare, ready for a pipe.

--lines counts per file, as in PM2: "-n 100" shows up to 100 lines of each file. --timestamp puts each line's arrival time in front of it (ISO 8601, local time; a blank where the file has no time for a line, as for logs written before tspm kept times). --json prints one JSON object per line (NDJSON) instead of the usual envelope, also while following: {"app", "instance", "stream", "time", "text"}, "time" an ISO string or null. --follow keeps printing the lines as they come, across log rotations (no line lost or shown twice) and \`tspm flush\`, until Ctrl-C.`
  static override strict = false
  static override enableJsonFlag = true
  static override args = {
    name: Args.string({
      description: 'Name of the process, or one of its instances (web:2); several may follow. None: every app.',
    }),
  }
  static override flags = {
    lines: linesFlag({summary: 'How many lines to show from the end of each file.', default: 20}),
    follow: Flags.boolean({char: 'f', summary: 'Keep printing new lines as they are written.'}),
    out: Flags.boolean({summary: 'Only standard output.', exclusive: ['err']}),
    err: Flags.boolean({summary: 'Only standard error.', exclusive: ['out']}),
    timestamp: Flags.boolean({summary: "Put each line's arrival time in front of it."}),
  }
  static override examples = [
    {
      description: 'The last lines of every app, in the order they arrived.',
      command: '<%= config.bin %> <%= command.id %>',
    },
    '<%= config.bin %> <%= command.id %> web',
    {description: 'The last 100 lines of stderr.', command: '<%= config.bin %> <%= command.id %> web --err -n 100'},
    {
      description: 'Follow two apps, with the time of each line.',
      command: '<%= config.bin %> <%= command.id %> web worker --follow --timestamp',
    },
    {
      description: 'One JSON object per line, for a program.',
      command: '<%= config.bin %> <%= command.id %> web --json -n 1000',
    },
  ]

  async run(): Promise<undefined | {files: string[]}> {
    const {argv, flags} = await this.parse(Logs)
    const {showLogs} = await import('../services/logs.js')
    return showLogs(
      this.paths,
      {
        names: argv as string[],
        lines: flags.lines,
        follow: flags.follow,
        stream: flags.out ? 'out' : flags.err ? 'err' : undefined,
        timestamp: flags.timestamp,
        json: this.jsonEnabled(),
      },
      this.output,
    )
  }
}
