import {Flags} from '@oclif/core'

import {TspmCommand} from '../cli/base-command.js'

export default class Save extends TspmCommand {
  static override summary = 'Save the current process list to $TSPM_HOME/dump.json, for resurrect and for boot.'
  static override description = `Writes each process as you configured it (name, script, args, cwd, interpreter, env, env_file path, restart policy, config file) and whether it should run (online) or not (stopped). The caller's environment and the contents of env_file are never written. The file is replaced atomically (temp file, fsync, rename); the previous save is kept as dump.json.bak.

Saving an empty list (or with no supervisor running) is refused unless --force, so a mistake cannot wipe what you saved.`
  static override enableJsonFlag = true
  static override flags = {
    force: Flags.boolean({summary: 'Save even when no process is managed (writes an empty list).'}),
  }
  static override examples = [
    '<%= config.bin %> <%= command.id %>',
    {description: 'Save into another home.', command: 'TSPM_HOME=~/.tspm-prod <%= config.bin %> <%= command.id %>'},
  ]

  async run(): Promise<{file: string; names: string[]}> {
    const {flags} = await this.parse(Save)
    const {saveProcessList} = await import('../services/save.js')
    return saveProcessList(this.paths, {force: flags.force}, this.output)
  }
}
