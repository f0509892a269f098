import {Args} from '@oclif/core'

import {TspmCommand} from './base-command.js'
import {connectExisting} from './client/connect.js'

/** stop, restart and delete: the same shape, one action name apart. */
export abstract class ProcessActionCommand extends TspmCommand {
  static override enableJsonFlag = true
  static override args = {
    name: Args.string({description: 'Name of the process, or "all".', required: true}),
  }

  protected abstract readonly action: 'delete' | 'restart' | 'stop'
  protected abstract readonly pastTense: string

  async run(): Promise<{names: string[]}> {
    // oclif copies a command's own static fields only; these are inherited, so pass them along.
    const {args: argDefinitions, baseFlags, enableJsonFlag, flags} = this.constructor as typeof ProcessActionCommand
    const {args} = await this.parse({args: argDefinitions, baseFlags, enableJsonFlag, flags})
    const client = await connectExisting(this.paths)
    const names = await client.act(this.action, args.name)
    if (!this.jsonEnabled()) this.log(names.length > 0 ? `${this.pastTense} ${names.join(', ')}` : 'no processes')
    return {names}
  }
}
