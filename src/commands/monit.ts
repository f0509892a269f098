import {TspmCommand} from '../cli/base-command.js'

export default class Monit extends TspmCommand {
  static override summary =
    "Watch the processes live: status, cpu and memory over the last minute, restarts, uptime, and the selected one's last log lines."
  static override description = `A full-screen view of this TSPM_HOME's supervisor, refreshed every second: one row per process (one per instance), with its status, cpu (percent of one core) and memory, each with a sparkline of the last minute, its restarts and uptime; under the rows, the selected process's pid, health and last error, and the last lines of its logs.

Keys: up/down or k/j move (PgUp/PgDn, Home/End, g/G), r restarts the selected process and s stops it (each asks for y first), S starts a stopped one, q or Ctrl-C quits. The terminal is given back as it was on quitting, on SIGTERM and when the connection drops (SIGHUP).

Needs a terminal (in scripts use \`tspm list --json\`) and a running supervisor (exit 3, \`not_running\`, as \`tspm list\`); a supervisor that stops while monit runs is shown as not answering until it is back. Fits 80x24; colours unless NO_COLOR is set.`
  static override examples = ['<%= config.bin %> <%= command.id %>']

  async run(): Promise<void> {
    await this.parse(Monit)
    const {monitorProcesses} = await import('../services/monit.js')
    await monitorProcesses(this.paths)
  }
}
