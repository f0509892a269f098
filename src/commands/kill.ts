import type {KillResult} from '../services/kill.js'

import {TspmCommand} from '../cli/base-command.js'

export default class Kill extends TspmCommand {
  static override summary = 'Stop every process gracefully, then the supervisor.'
  static override description = `Each app is stopped as \`tspm stop\` would (stop_signal to its group, kill_timeout, then SIGKILL), then the supervisor exits and removes its socket. Nothing of tspm's keeps running. The saved list is not touched: \`tspm resurrect\` brings back what you saved.

A supervisor that no longer answers on its socket is found by its lock file and stopped with SIGTERM. When no supervisor runs at all but apps of this TSPM_HOME do (their supervisor was killed), they are found through /proc and stopped the same way.`
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> <%= command.id %>']

  async run(): Promise<KillResult> {
    await this.parse(Kill)
    const {killSupervisor} = await import('../services/kill.js')
    return killSupervisor(this.paths, this.output)
  }
}
