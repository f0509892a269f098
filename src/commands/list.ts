import type {ProcessInfo} from '../model/api.js'

import {TspmCommand} from '../cli/base-command.js'

export default class List extends TspmCommand {
  static override summary = 'List the managed processes with their status, restarts, uptime, cpu and memory.'
  static override description = `Asks the supervisor of this TSPM_HOME for its process table. Statuses: waiting (for what it depends on), queued (held until a start-up slot is free), starting (running, its ready check not passed yet), online (ready), stopping, stopped, waiting-restart (crashed, restarting after its backoff delay) and errored (crashed max_restarts times in a row, or cannot start; restart it by hand).

Never starts a supervisor. When none answers it exits 3 (\`not_running\`); if apps of this TSPM_HOME still run without one (their supervisor was killed), they are listed as \`orphan\` (\`tspm kill\` stops them). The id column is each process's number (\`tspm stop 3\`), kept for this home by save and resurrect. With --json, the result is an array of objects with name, id, number, instance, pid, status, restarts, uptime_ms, cpu (percent of one core), memory (bytes), log_bytes_dropped and more. \`tspm ls\` is the same command.`
  static override hiddenAliases = ['ls']
  static override enableJsonFlag = true
  static override examples = [
    {description: 'Show the table.', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Machine-readable, one object per process.', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  async run(): Promise<ProcessInfo[]> {
    await this.parse(List)
    const {listProcesses} = await import('../services/process-list.js')
    return listProcesses(this.paths, this.output)
  }
}
