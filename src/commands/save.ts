import {Flags} from '@oclif/core'

import {TspmCommand} from '../base-command.js'
import {SupervisorClient} from '../client/supervisor-client.js'
import {ExitCode, TspmError} from '../exit-codes.js'

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
    const client = new SupervisorClient(this.paths)
    const processes = (await client.health()) ? await client.saved() : []
    if (processes.length === 0 && !flags.force) {
      throw new TspmError(
        `nothing to save: no process is managed for TSPM_HOME=${this.paths.home}; ${this.paths.dumpFile} was not changed (use --force to save an empty list)`,
        {exit: ExitCode.failure, code: 'nothing_to_save'},
      )
    }
    const {writeDump} = await import('../store/dump.js')
    const {notes} = writeDump(this.paths, processes)
    for (const note of notes) this.note(note)
    const names = processes.map(({spec, desired}) => (desired === 'stopped' ? `${spec.name} (stopped)` : spec.name))
    if (!this.jsonEnabled()) {
      this.log(
        `saved ${processes.length} process${processes.length === 1 ? '' : 'es'} to ${this.paths.dumpFile}${names.length > 0 ? `: ${names.join(', ')}` : ''}`,
      )
    }
    return {file: this.paths.dumpFile, names: processes.map(({spec}) => spec.name)}
  }
}
