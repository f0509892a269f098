import type {Output} from '../cli/errors.js'
import type {HomePaths} from '../store/home.js'

import {SupervisorClient} from '../client/supervisor-client.js'

/** `tspm kill`: every app stopped gracefully, then the supervisor. */
export async function killSupervisor(paths: HomePaths, output: Output): Promise<{pid: null | number}> {
  const client = new SupervisorClient(paths)
  if (!(await client.health())) {
    output.log(`no supervisor is running for TSPM_HOME=${paths.home}; nothing to stop`)
    return {pid: null}
  }

  const {pid} = await client.shutdown()
  output.log(`stopped every process and the supervisor (pid ${pid})`)
  return {pid}
}
