import {Args, Flags} from '@oclif/core'

import {TspmCommand} from '../cli/base-command.js'

export default class Signal extends TspmCommand {
  static override summary = "Send a signal to a process (PM2's sendSignal), or with --group to its whole process group."
  static override description = `The signal goes to the app's own process (every instance of it, or one: web:2); --group sends it to every process of its group, its children included. tspm does not treat what follows specially: a process that exits on the signal is restarted as after any exit (use \`tspm stop\` to stop it). SIGUSR2, SIGHUP and the like are how many servers reload their settings or reopen their logs.`
  static override enableJsonFlag = true
  static override args = {
    signal: Args.string({description: 'A signal name (SIGUSR2, USR2) or number (12).', required: true}),
    name: Args.string({
      description: 'Name of the process, one of its instances (web:2), its number, or "all".',
      required: true,
    }),
  }
  static override flags = {
    group: Flags.boolean({summary: 'Send it to the whole process group (the app and its children).'}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> SIGUSR2 web',
    {
      description: 'To the app and the workers it forked.',
      command: '<%= config.bin %> <%= command.id %> SIGHUP web --group',
    },
  ]

  async run(): Promise<{names: string[]; signal: string}> {
    const {args, flags} = await this.parse(Signal)
    const {signalProcesses} = await import('../services/signal.js')
    return signalProcesses(this.paths, {signal: args.signal, target: args.name, group: flags.group}, this.output)
  }
}
