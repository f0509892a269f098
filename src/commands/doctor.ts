import type {DoctorCheck} from '../model/doctor.js'

import {TspmCommand} from '../cli/base-command.js'

export default class Doctor extends TspmCommand {
  static override summary =
    'Check this TSPM_HOME, its supervisor, saved list and boot service, and say how to fix each problem.'
  static override description = `Checks, and explains each problem with its fix: TSPM_HOME exists, belongs to you and is 0700 (and nothing in it is another user's or writable by others); a supervisor answers, of this tspm's version (or, when none does, no app of this home runs without one); what runs is what dump.json holds (unsaved changes: run \`tspm save\`); the startup service startup.json records is installed for this home, enabled and running, and runs a Node and a tspm that still exist (an nvm upgrade removes them), of this version, as startup.json says; the logs have room on their disk: what they may still grow by (each log file keeps at most (log_files + 1) × max_log_size) is below the free space, and at least 10% of the disk is free.

Exits 0 when all is well, 1 listing the problems. It only reads: nothing is changed. With --json, the result is the list of checks, each {id, ok, message, fix} (on a problem, in the error envelope's result).`
  static override enableJsonFlag = true
  // It reports an unsafe home rather than refusing to look at it.
  static override actsOnOwnHome = false
  static override examples = [
    {description: 'Check the home of this user.', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'The checks as JSON.', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  async run(): Promise<DoctorCheck[]> {
    await this.parse(Doctor)
    const {runDoctor} = await import('../services/doctor.js')
    return runDoctor(this.paths, this.config, this.output)
  }
}
