import {Args} from '@oclif/core'

import type {ProcessAction} from '../services/process-action.js'

import {TspmCommand} from './base-command.js'

/** stop, restart and delete: the same shape, one action apart. */
export abstract class ProcessActionCommand extends TspmCommand {
  static override enableJsonFlag = true
  // Several names in one command: `tspm stop api worker`.
  static override strict = false
  static override args = {
    name: Args.string({
      description: 'Name of the process, one of its instances (web:2), or "all"; several may follow.',
      required: true,
    }),
  }

  protected abstract readonly action: ProcessAction

  async run(): Promise<{names: string[]}> {
    // oclif copies a command's own static fields only; these are inherited, so pass them along.
    const {args: argDefinitions, baseFlags, enableJsonFlag, flags} = this.constructor as typeof ProcessActionCommand
    const parsed = await this.parse({args: argDefinitions, baseFlags, enableJsonFlag, flags, strict: false})
    const {actOnProcesses} = await import('../services/process-action.js')
    const wait = (parsed.flags as {wait?: boolean}).wait ?? false
    const targets = (parsed.argv as string[]).filter((word) => !word.startsWith('-'))
    return actOnProcesses(this.paths, {action: this.action, targets, wait}, this.output)
  }
}
