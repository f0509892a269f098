import {TspmCommand} from '../cli/base-command.js'

export default class Resurrect extends TspmCommand {
  static override summary = 'Bring back the saved processes, running as the supervisor in the foreground.'
  static override description = `Reads $TSPM_HOME/dump.json and becomes the supervisor in the foreground: every saved process starts in its saved state (stopped ones stay stopped), and it keeps running until SIGTERM, SIGINT or SIGQUIT, then stops every app gracefully and exits 0. This is what the boot service (\`tspm startup\`) runs; its own messages go to stdout and stderr (the journal), app output only to the log files.

Before starting anything it stops what a killed supervisor may have left running, so nothing runs twice. When a supervisor already runs for this TSPM_HOME, only the saved processes that are not running are started in it, and resurrect exits. A dump.json that does not read back is reported and left untouched, and dump.json.bak is used. With no dump.json it runs as an empty supervisor.`
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {description: 'Resurrect another home.', command: 'TSPM_HOME=/var/lib/tspm <%= config.bin %> <%= command.id %>'},
  ]

  async run(): Promise<unknown> {
    await this.parse(Resurrect)
    const {resurrect} = await import('../services/resurrect.js')
    return resurrect(this.paths, this.output)
  }
}
