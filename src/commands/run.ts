import {Args, Flags} from '@oclif/core'

import {TspmCommand} from '../cli/base-command.js'
import {ExitCode, TspmError} from '../model/exit-codes.js'

export default class Run extends TspmCommand {
  static override summary = 'Run a config in the foreground, for containers: app output on stdout and stderr.'
  static override description = `PM2's pm2-runtime: this process becomes the supervisor of this TSPM_HOME in the foreground (no background daemon is ever started) and starts the config (default ./tspm.yaml) as \`tspm start\` does, in depends_on order with the ready checks. Each line of an app's stdout goes to stdout, each line of its stderr to stderr, after the process's name (\`web | \`, \`web:1 | \` for one of several instances); the log files get everything too. tspm's own messages go to stderr as \`[tspm] ...\`. If stdout is not read fast enough, lines are dropped there (and counted in one line), never in the log files.

It answers on its control socket, so \`tspm list\`, \`tspm logs\` and \`tspm restart\` work from \`docker exec\`. SIGTERM or SIGINT stops every app gracefully (stop_signal, kill_timeout) and exits 0. When every app has ended by itself it stops too: exit 1 when one of them crashed beyond max_restarts (errored; the message names it), else 0 (apps that exit with autorestart: false, or were stopped by hand). A supervisor already running for this TSPM_HOME is refused (exit 4).

It does not write dump.json: a container is rebuilt, not resurrected (\`tspm save\` still writes one when asked). Run it under an init that reaps orphaned processes, which Node cannot do: \`docker run --init\`, or tini as the entrypoint.`
  static override args = {
    file: Args.string({description: 'Config file to run (the same as -c FILE).'}),
  }
  static override flags = {
    config: Flags.string({char: 'c', summary: 'Config file to run (default: ./tspm.yaml).'}),
    env: Flags.string({
      summary: "Environment of a PM2 config to use: each process's env_NAME goes over its env.",
      helpValue: 'NAME',
    }),
    strict: Flags.boolean({summary: 'Refuse PM2 keys that tspm ignores, instead of a warning naming them.'}),
  }
  static override examples = [
    {description: 'Run ./tspm.yaml in the foreground.', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'A Dockerfile CMD.', command: 'CMD ["tspm", "run", "-c", "/app/tspm.yaml"]'},
    {description: 'A PM2 ecosystem file.', command: '<%= config.bin %> <%= command.id %> ecosystem.config.js'},
  ]

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Run)
    if (args.file && flags.config)
      throw new TspmError('give the config file either as FILE or with -c, not both', {
        exit: ExitCode.usage,
        code: 'usage',
      })
    const {runInForeground} = await import('../services/run.js')
    await runInForeground(
      this.paths,
      {config: flags.config ?? args.file, env: flags.env, strict: flags.strict},
      this.output,
    )
  }
}
