import {TspmCommand} from '../base-command.js'
import {SupervisorClient} from '../client/supervisor-client.js'

export default class Kill extends TspmCommand {
  static override summary = 'Stop every process gracefully, then the supervisor.'
  static override description = `Each app is stopped as \`tspm stop\` would (stop_signal to its group, kill_timeout, then SIGKILL), then the supervisor exits and removes its socket. Nothing of tspm's keeps running. The saved list is not touched: \`tspm resurrect\` brings back what you saved.`
  static override enableJsonFlag = true
  static override examples = ['<%= config.bin %> <%= command.id %>']

  async run(): Promise<{pid: number | null}> {
    await this.parse(Kill)
    const client = new SupervisorClient(this.paths)
    const health = await client.health()
    if (!health) {
      if (!this.jsonEnabled()) this.log(`no supervisor is running for TSPM_HOME=${this.paths.home}; nothing to stop`)
      return {pid: null}
    }
    const {pid} = await client.shutdown()
    if (!this.jsonEnabled()) this.log(`stopped every process and the supervisor (pid ${pid})`)
    return {pid}
  }
}
