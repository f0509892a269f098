import {Args, Flags} from '@oclif/core'

import {TspmCommand} from '../base-command.js'
import {connectOrSpawn} from '../client/connect.js'
import {ExitCode, TspmError} from '../exit-codes.js'
import type {ProcessSpec} from '../process-spec.js'
import type {StartResponse} from '../supervisor/api-types.js'

export default class Start extends TspmCommand {
  static override summary = 'Start the processes of a config file, or one script, on the background supervisor.'
  static override description = `Reads tspm.yaml (or the file given with -c), checks every entry, and starts them all on the supervisor of this TSPM_HOME; when no supervisor answers, one is started in the background. If any entry is invalid nothing is started, and each problem is shown with its file, line and column.

Give a SCRIPT instead of a config file to run one process; everything after -- is passed to it. A name that already runs is reported, never started twice.`
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
    name: Flags.string({
      char: 'n',
      summary: 'Name of the process started from SCRIPT (default: the script file name).',
    }),
    interpreter: Flags.string({
      summary: 'Program that runs SCRIPT, such as python3 (default: node for .js files, else none).',
    }),
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
    if (args.script && flags.config)
      throw new TspmError('give either SCRIPT or -c FILE, not both', {exit: ExitCode.usage, code: 'usage'})
    // A new supervisor boots in its own process while this one reads the config (both take about
    // 0.1 s); after a bad config it is stopped again unless another command gave it work meanwhile.
    const connecting = connectOrSpawn(this.paths)
    connecting.catch(() => {})
    let specs: ProcessSpec[]
    try {
      const {loadConfigFile, specForScript} = await import('../config/load-config.js')
      specs = args.script
        ? [
            specForScript(args.script, {
              name: flags.name,
              args: (argv as string[]).slice(1),
              cwd: process.cwd(),
              interpreter: flags.interpreter,
            }),
          ]
        : await loadConfigFile(flags.config ?? 'tspm.yaml')
    } catch (error) {
      const {client, spawned} = await connecting.catch(() => ({client: undefined, spawned: false}))
      if (spawned) await client!.shutdownIfIdle().catch(() => false)
      throw error
    }

    const {client, spawned} = await connecting
    if (spawned) this.note(`started the supervisor for TSPM_HOME=${this.paths.home}`)
    const response = await client.start(specs.map((spec) => ({spec, desired: 'online'})))
    const failed = response.results.filter((result) => result.outcome === 'failed')
    if (!this.jsonEnabled()) {
      for (const result of response.results) {
        if (result.outcome === 'started') this.log(`started ${result.name}`)
        else if (result.outcome === 'already-running')
          this.log(`${result.name} is already running; not started again (use \`tspm restart ${result.name}\`)`)
      }
    }
    if (failed.length > 0) {
      throw new TspmError(failed.map((result) => result.error ?? `${result.name}: failed to start`).join('\n'), {
        code: 'start_failed',
      })
    }
    return response
  }
}
