import {Args, Flags} from '@oclif/core'

import type {StartResponse} from '../model/api.js'

import {TspmCommand} from '../cli/base-command.js'
import {waitFlag} from '../cli/flags.js'

export default class Start extends TspmCommand {
  static override summary =
    'Start the processes of a config file (tspm.yaml, JSON, or a PM2 ecosystem file), or one script.'
  static override description = `Reads tspm.yaml (or the file given with -c, or as FILE: a .yaml, .yml or .json file, or a PM2 ecosystem module such as ecosystem.config.js), checks every entry, and starts them all on the supervisor of this TSPM_HOME; when no supervisor answers, one is started in the background. The list is \`processes:\` or PM2's \`apps:\`. If any entry is invalid nothing is started, and each problem is shown with its file, line and column. PM2 keys that mean nothing to tspm are named in one warning and ignored (--strict refuses them); --env NAME puts each process's env_NAME over its env.

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
    env: Flags.string({
      summary: "Environment of a PM2 config to use: each process's env_NAME goes over its env.",
      helpValue: 'NAME',
    }),
    strict: Flags.boolean({summary: 'Refuse PM2 keys that tspm ignores, instead of a warning naming them.'}),
    wait: waitFlag,
  }
  static override examples = [
    {description: 'Start everything in ./tspm.yaml.', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Start the processes of another file.',
      command: '<%= config.bin %> <%= command.id %> -c production.yaml',
    },
    {
      description: 'A PM2 ecosystem file, with its env_production.',
      command: '<%= config.bin %> <%= command.id %> ecosystem.config.js --env production',
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
        env: flags.env,
        strict: flags.strict,
        wait: flags.wait,
      },
      this.output,
    )
  }
}
