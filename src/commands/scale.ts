import {Args} from '@oclif/core'

import type {Settled} from '../services/wait-online.js'

import {TspmCommand} from '../cli/base-command.js'
import {waitFlag} from '../cli/flags.js'

export default class Scale extends TspmCommand {
  static override summary = 'Run N instances of an app: start new ones, or stop the highest-numbered first.'
  static override description = `New instances start as the app's others do (its ready check, its listen sockets), and the command waits until each is online or has failed, as \`tspm start\` does (--no-wait returns at once); extra ones are stopped gracefully, the highest numbers first. \`tspm save\` records the new number.`
  static override enableJsonFlag = true
  static override args = {
    name: Args.string({description: 'Name of the app.', required: true}),
    instances: Args.string({description: 'How many instances to run (1 to 1024).', required: true}),
  }
  static override flags = {wait: waitFlag}
  static override examples = ['<%= config.bin %> <%= command.id %> web 4']

  async run(): Promise<{names: string[]; settled?: Settled[]}> {
    const {args, flags} = await this.parse(Scale)
    const {scaleProcess} = await import('../services/scale.js')
    return scaleProcess(this.paths, {target: args.name, instances: args.instances, wait: flags.wait}, this.output)
  }
}
