import {Args} from '@oclif/core'

import type {FlushResult} from '../services/flush.js'

import {TspmCommand} from '../cli/base-command.js'

export default class Flush extends TspmCommand {
  static override summary = 'Empty the log files of a process (or of every process).'
  static override description = `Empties the stdout and stderr logs of the app (every instance's), or of one instance (web:2), and removes its rotated files (<file>.1, <file>.2, ...) and their times. With no name, every app's. While the supervisor runs, it empties the files itself and the apps keep writing: every line written after the flush is in the emptied file, from its start. Without a supervisor the files are emptied directly. \`tspm logs --follow\` goes on from the start of an emptied file.`
  static override strict = false
  static override enableJsonFlag = true
  static override args = {
    name: Args.string({
      description: 'Name of the process, or one of its instances (web:2); several may follow. None: every app.',
    }),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %> web',
    {description: 'Empty the logs of every app.', command: '<%= config.bin %> <%= command.id %>'},
  ]

  async run(): Promise<{results: FlushResult[]}> {
    const {argv} = await this.parse(Flush)
    const {flushLogs} = await import('../services/flush.js')
    return flushLogs(this.paths, argv as string[], this.output)
  }
}
