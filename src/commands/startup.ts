import {Args, Flags} from '@oclif/core'

import type {PrintedUnit, StartupRecord} from '../services/startup.js'

import {TspmCommand} from '../cli/base-command.js'
import {userFlag} from '../cli/flags.js'
import {ExitCode, TspmError} from '../model/exit-codes.js'

export default class Startup extends TspmCommand {
  static override summary = 'Start tspm at boot: install a service (systemd, ...) that runs `tspm resurrect` as a user.'
  static override description = `Installs a service of the machine's init system that runs \`tspm resurrect\` as USER at boot, so the processes saved with \`tspm save\` come back after a reboot. Startup platforms come from plugins (systemd is bundled); without PLATFORM, the one running on this machine is used.

The service runs the same runtime and tspm as this command (absolute paths), with TSPM_HOME (from the environment, else USER's ~/.tspm) and the PATH of this command baked in. A supervisor you started by hand for that TSPM_HOME is handed over to the service: it is stopped once its list is saved, and the service brings the processes back. If a step fails, the steps done before are undone. What was installed is recorded in $TSPM_HOME/startup/startup.json, which \`tspm unstartup\` reads.

A system service (systemd) needs root: run without it, the exact sudo command is printed and nothing is changed. A systemd user service (systemd-user) needs none: you install it as yourself, into your own user manager (~/.config/systemd/user), and linger (\`loginctl enable-linger\`) starts it at boot without a login; where only root may turn linger on, the exact command is printed and, until then, the service starts at your first login. --print only renders the service definition to stdout (no root needed), for example to check it with \`systemd-analyze verify\`.`
  static override enableJsonFlag = true
  // The service user's home, checked as theirs (startup/context.ts).
  static override actsOnOwnHome = false
  static override args = {
    platform: Args.string({
      description: 'Init system to install for, such as systemd (default: the one detected on this machine).',
    }),
  }
  static override flags = {
    user: userFlag(),
    'service-name': Flags.string({summary: 'Name of the service (letters, digits, "-", "_", ".").', default: 'tspm'}),
    print: Flags.boolean({summary: 'Print the service definition to stdout and exit; changes nothing, needs no root.'}),
    force: Flags.boolean({summary: 'Replace an existing service of that name that belongs to another TSPM_HOME.'}),
  }
  static override examples = [
    {
      description: 'Install the systemd service for your user (prints the sudo command when you are not root).',
      command: 'sudo <%= config.bin %> <%= command.id %> systemd -u $(whoami)',
    },
    {
      description: 'Without root: a systemd user service of your own.',
      command: '<%= config.bin %> <%= command.id %> systemd-user',
    },
    {
      description: 'Look at the unit first, and let systemd check it.',
      command:
        '<%= config.bin %> <%= command.id %> systemd --print > tspm.service && systemd-analyze verify ./tspm.service',
    },
    {
      description: 'A second service for another TSPM_HOME.',
      command:
        'sudo TSPM_HOME=/home/deploy/.tspm-prod <%= config.bin %> <%= command.id %> systemd -u deploy --service-name tspm-prod',
    },
  ]

  async run(): Promise<PrintedUnit | StartupRecord> {
    const {args, flags} = await this.parse(Startup)
    if (flags.print && flags.force) {
      throw new TspmError('--print changes nothing, so --force has no meaning with it', {
        exit: ExitCode.usage,
        code: 'usage',
      })
    }

    const service = await import('../services/startup.js')
    const request = {
      config: this.config,
      platform: args.platform,
      userFlag: flags.user,
      serviceName: flags['service-name'],
      force: flags.force,
    }
    return flags.print ? service.renderUnit(request, this.output) : service.installStartup(request, this.output)
  }
}
