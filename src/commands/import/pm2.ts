import {Args, Flags} from '@oclif/core'

import type {ImportResult} from '../../services/import-pm2.js'

import {TspmCommand} from '../../cli/base-command.js'

export default class ImportPm2 extends TspmCommand {
  static override summary =
    "Write a tspm.yaml that starts PM2's apps the same way: from PM2's saved list, or an ecosystem file."
  static override description = `FILE is a PM2 dump (default: $PM2_HOME/dump.pm2, else ~/.pm2/dump.pm2, written by \`pm2 save\`) or an ecosystem file. One entry per app: the instances of a cluster-mode app are folded into \`instances\`, a stopped app gets \`autostart: false\`. PM2's dump holds the whole environment of the shell that ran \`pm2 start\` in every app; only the app's own variables are kept (not PM2's, not a login session's such as PATH, HOME, SSH_*, and not those set to the same value where the import runs), and they go into <name>.env beside the yaml (mode 0600), never into the yaml. One line is printed per thing that could not be carried over. Existing files are left alone unless --force.`
  static override enableJsonFlag = true
  static override args = {
    file: Args.string({description: 'A PM2 dump (dump.pm2) or an ecosystem file.'}),
  }
  static override flags = {
    output: Flags.string({char: 'o', summary: 'The tspm.yaml to write.', default: 'tspm.yaml'}),
    force: Flags.boolean({summary: 'Replace the yaml and env files if they exist.'}),
  }
  static override examples = [
    {description: "PM2's saved list, into ./tspm.yaml.", command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'An ecosystem file.',
      command: '<%= config.bin %> <%= command.id %> ecosystem.config.js -o tspm.yaml',
    },
  ]

  async run(): Promise<ImportResult> {
    const {args, flags} = await this.parse(ImportPm2)
    const {importPm2} = await import('../../services/import-pm2.js')
    return importPm2({file: args.file, output: flags.output, force: flags.force}, this.output)
  }
}
