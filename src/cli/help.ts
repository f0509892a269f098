import {type Command, type Config, Help} from '@oclif/core'

/** The commands whose PLATFORM argument takes a platform of an installed plugin. */
const PLATFORM_COMMANDS = new Set(['startup', 'unstartup'])

/**
 * oclif's help, plus, for startup and unstartup, the startup platforms of the plugins installed
 * now (asked through their hook, as the commands do), so one installed later shows up at once.
 */
export default class TspmHelp extends Help {
  override async showCommandHelp(command: Command.Loadable): Promise<void> {
    await super.showCommandHelp(command)
    if (!PLATFORM_COMMANDS.has(command.id)) return
    const {listPlatforms} = await import('../services/startup.js')
    const rows = (await listPlatforms(this.config as Config)).map(({name, description, detected}): [string, string] => [
      name,
      `${description}${detected ? ' (detected on this machine)' : ''}`,
    ])
    const body =
      rows.length > 0
        ? rows
        : 'none installed; add one with `tspm plugins install tspm-launchd` (or another startup plugin)'
    this.log(this.section('PLATFORMS', body))
  }
}
