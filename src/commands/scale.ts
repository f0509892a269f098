import {Args} from '@oclif/core'

import {TspmCommand} from '../cli/base-command.js'

export default class Scale extends TspmCommand {
  static override summary = 'Run N instances of an app: start new ones, or stop the highest-numbered first.'
  static override description = `New instances start as the app's others do (its ready check, its listen sockets); extra ones are stopped gracefully, the highest numbers first. \`tspm save\` records the new number.`
  static override enableJsonFlag = true
  static override args = {
    name: Args.string({description: 'Name of the app.', required: true}),
    instances: Args.integer({description: 'How many instances to run (1 to 1024).', required: true, min: 1, max: 1024}),
  }
  static override examples = ['<%= config.bin %> <%= command.id %> web 4']

  async run(): Promise<{names: string[]}> {
    const {args} = await this.parse(Scale)
    const {scaleProcess} = await import('../services/scale.js')
    return scaleProcess(this.paths, {target: args.name, instances: args.instances}, this.output)
  }
}
