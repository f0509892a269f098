import {Args} from '@oclif/core'

import type {StartupRecord} from '../services/startup.js'

import {TspmCommand} from '../cli/base-command.js'
import {userFlag} from '../cli/flags.js'
import {DEFAULT_SERVICE_NAME} from '../model/names.js'

export default class Unstartup extends TspmCommand {
  static override summary = 'Remove the boot service that `tspm startup` installed.'
  static override description = `Reads $TSPM_HOME/startup/startup.json (TSPM_HOME from the environment, else USER's ~/.tspm) to know which service was installed, then stops it (which stops its processes), disables it, removes its definition and startup.json. The saved list (dump.json) is kept, so \`tspm resurrect\` or a new \`tspm startup\` brings the processes back.

Run it the way you ran startup: \`sudo tspm unstartup\` by the user who ran \`sudo tspm startup systemd\` removes that service (without root, the exact sudo command is printed and nothing is changed); \`tspm unstartup\` by the user who ran \`tspm startup systemd-user\` removes their user service, and leaves linger as it is.`
  static override enableJsonFlag = true
  // The service user's home, checked as theirs (startup/context.ts).
  static override actsOnOwnHome = false
  static override args = {
    platform: Args.string({
      description: 'Init system the service was installed for (default: the one in startup.json).',
    }),
  }
  static override flags = {
    user: userFlag(),
  }
  static override examples = [
    {description: 'Remove the service installed for your user.', command: 'sudo <%= config.bin %> <%= command.id %>'},
    {
      description: 'Remove the systemd user service you installed with `tspm startup systemd-user`.',
      command: '<%= config.bin %> <%= command.id %>',
    },
    {
      description: 'Remove the service of another TSPM_HOME.',
      command: 'sudo TSPM_HOME=/home/deploy/.tspm-prod <%= config.bin %> <%= command.id %> -u deploy',
    },
  ]

  async run(): Promise<StartupRecord> {
    const {args, flags} = await this.parse(Unstartup)
    const {removeStartup} = await import('../services/startup.js')
    return removeStartup(
      {
        config: this.config,
        platform: args.platform,
        userFlag: flags.user,
        serviceName: DEFAULT_SERVICE_NAME,
        force: false,
      },
      this.output,
    )
  }
}
