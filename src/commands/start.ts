import {Args, Flags} from '@oclif/core'

import type {StartResponse} from '../model/api.js'

import {TspmCommand} from '../cli/base-command.js'
import {waitFlag} from '../cli/flags.js'

export default class Start extends TspmCommand {
  static override summary = 'Start the processes of a config file, or one script, on the background supervisor.'
  static override description = `Reads tspm.yaml (or the file given with -c), checks every entry, and starts them all on the supervisor of this TSPM_HOME; when no supervisor answers, one is started in the background. If any entry is invalid nothing is started, and each problem is shown with its file, line and column.

Give a SCRIPT instead of a config file to run one process; everything after -- is passed to it. A name that already runs is reported, never started twice.

Processes start in the order their depends_on says (each once what it depends on is online), and the command waits until every process it started is online (its ready check passed) or has failed, with a live view on a terminal; it exits 1 naming each process that did not come online and why. --no-wait returns as soon as the supervisor has them.`
  static override enableJsonFlag = true
  // Everything after `--` belongs to the script.
  static override strict = false
  static override args = {
    script: Args.string({description: 'A script or command to run as one process, instead of a config file.'}),
  }
  static override flags = {
    config: Flags.string({
      char: 'c',
      summary: 'Config file to start (default: ./tspm.yaml).',
      exclusive: ['name', 'interpreter'],
    }),
    name: Flags.string({summary: 'Name of the process started from SCRIPT (default: the script file name).'}),
    interpreter: Flags.string({
      summary: 'Program that runs SCRIPT, such as python3 (default: node for .js files, else none).',
    }),
    wait: waitFlag,
  }
  static override examples = [
    {description: 'Start everything in ./tspm.yaml.', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Start the processes of another file.',
      command: '<%= config.bin %> <%= command.id %> -c production.yaml',
    },
    {
      description: 'Run one script with arguments.',
      command: '<%= config.bin %> <%= command.id %> server.js --name api -- --port 3000',
    },
  ]

  async run(): Promise<StartResponse> {
    const {args, argv, flags} = await this.parse(Start)
    const {startProcesses} = await import('../services/start.js')
    return startProcesses(
      this.paths,
      {
        script: args.script,
        scriptArgs: (argv as string[]).slice(1),
        config: flags.config,
        name: flags.name,
        interpreter: flags.interpreter,
        wait: flags.wait,
      },
      this.output,
    )
  }
}
