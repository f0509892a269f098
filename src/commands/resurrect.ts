import {TspmCommand} from '../base-command.js'
import {SupervisorClient} from '../client/supervisor-client.js'

export default class Resurrect extends TspmCommand {
  static override summary = 'Bring back the saved processes, running as the supervisor in the foreground.'
  static override description = `Reads $TSPM_HOME/dump.json and becomes the supervisor in the foreground: every saved process starts in its saved state (stopped ones stay stopped), and it keeps running until SIGTERM or SIGINT, then stops every app gracefully and exits 0. This is what the boot service (\`tspm startup\`) runs; its own messages go to stdout and stderr (the journal), app output only to the log files.

Before starting anything it stops what a killed supervisor may have left running, so nothing runs twice. When a supervisor already runs for this TSPM_HOME, only the saved processes that are not running are started in it, and resurrect exits. A dump.json that does not read back is reported and left untouched, and dump.json.bak is used. With no dump.json it runs as an empty supervisor.`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {description: 'Resurrect another home.', command: 'TSPM_HOME=/var/lib/tspm <%= config.bin %> <%= command.id %>'},
  ]

  async run(): Promise<void> {
    await this.parse(Resurrect)
    const {paths} = this
    const {loadDump} = await import('../store/dump.js')
    const saved = loadDump(paths)
    for (const warning of saved.warnings) this.warn(warning)
    if (saved.source === 'none') this.note(`no saved list at ${paths.dumpFile}: running with no processes (save one with \`tspm save\`)`)
    else this.note(`restoring ${saved.processes.length} saved process(es) from ${saved.file}`)

    const client = new SupervisorClient(paths)
    const health = await client.health()
    if (health) {
      const {results} = await client.start(saved.processes)
      const started = results.filter((result) => result.outcome === 'started').map((result) => result.name)
      const running = results.filter((result) => result.outcome === 'already-running').map((result) => result.name)
      this.log(`a supervisor already runs for TSPM_HOME=${paths.home} (pid ${health.pid}): started ${started.length > 0 ? started.join(', ') : 'nothing'}${running.length > 0 ? `; already running: ${running.join(', ')}` : ''}`)
      for (const result of results) if (result.outcome === 'failed') this.warn(result.error ?? `${result.name} failed to start`)
      return
    }

    const {runSupervisor} = await import('../supervisor/run.js')
    const running = await runSupervisor({paths, mode: 'foreground', initial: saved.processes})
    await running.closed
  }
}
