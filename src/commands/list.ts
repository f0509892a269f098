import {TspmCommand} from '../base-command.js'
import {showProcessList} from '../list-view.js'
import type {ProcessInfo} from '../supervisor/api-types.js'

export default class List extends TspmCommand {
  static override summary = 'List the managed processes with their status, restarts, uptime, cpu and memory.'
  static override description = `Asks the supervisor of this TSPM_HOME for its process table. Statuses: launching, online, stopping, stopped, waiting-restart (crashed, restarting after its backoff delay) and errored (crashed max_restarts times in a row; restart it by hand).

Never starts a supervisor: when none is running the list is empty. With --json, an array of objects with name, pid, status, restarts, uptime_ms, cpu (percent of one core), memory (bytes) and more.`
  static override aliases = ['ls']
  static override enableJsonFlag = true
  static override examples = [
    {description: 'Show the table.', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Machine-readable, one object per process.', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  async run(): Promise<ProcessInfo[]> {
    await this.parse(List)
    return showProcessList(this.paths, this.jsonEnabled(), {
      log: (text) => this.log(text),
      note: (text) => this.note(text),
    })
  }
}
