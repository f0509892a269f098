import type {Output} from '../cli/errors.js'
import type {ProcessInfo} from '../model/api.js'
import type {HomePaths} from '../store/home.js'

import {SupervisorClient} from '../client/supervisor-client.js'
import {colourEnabled} from '../views/format.js'
import {renderProcessTable} from '../views/process-table.js'

/** `tspm list`: the supervisor's table, for the List command and the fast path alike. */
export async function listProcesses(paths: HomePaths, output: Output): Promise<ProcessInfo[]> {
  const client = new SupervisorClient(paths)
  const health = await client.health()
  const processes = health ? await client.list() : []
  if (!health) output.note(`no supervisor is running for TSPM_HOME=${paths.home}`)
  else if (processes.length === 0) output.note('no processes; start some with `tspm start`')
  else output.log(renderProcessTable(processes, colourEnabled()))
  return processes
}
