import {Args} from '@oclif/core'

import type {Description} from '../services/describe.js'

import {TspmCommand} from '../cli/base-command.js'

export default class Describe extends TspmCommand {
  static override summary =
    'Everything about one process: its definition, what each instance is doing, and its log files.'
  static override description = `The definition (script, args, cwd, interpreter, the config file it came from, env as configured; an env_file is shown by its path only, its values never), the state of each instance (status, pid, uptime, restarts and the reason of the last, the last exit and error, the last ready and health results), and the log file paths. \`tspm show\` and \`tspm info\` are the same command, as in PM2.`
  static override aliases = ['show', 'info']
  static override enableJsonFlag = true
  static override args = {
    name: Args.string({
      description: 'Name of the process, one of its instances (web:2), or its number.',
      required: true,
    }),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> web',
    '<%= config.bin %> <%= command.id %> web --json',
  ]

  async run(): Promise<Description> {
    const {args} = await this.parse(Describe)
    const {describeProcess} = await import('../services/describe.js')
    return describeProcess(this.paths, args.name, this.output)
  }
}
