import type {HomePaths} from './home.js'
import {SupervisorClient} from './client/supervisor-client.js'
import {colourEnabled} from './render/format.js'
import {renderProcessTable} from './render/process-table.js'
import type {ProcessInfo} from './supervisor/api-types.js'

/** `tspm list` from end to end, shared by the List command and the fast path of bin/run.js. */
export async function showProcessList(
  paths: HomePaths,
  json: boolean,
  out: {log: (text: string) => void; note: (text: string) => void},
): Promise<ProcessInfo[]> {
  const client = new SupervisorClient(paths)
  const health = await client.health()
  const processes = health ? await client.list() : []
  if (json) return processes
  if (!health) out.note(`no supervisor is running for TSPM_HOME=${paths.home}`)
  else if (processes.length === 0) out.note('no processes; start some with `tspm start`')
  else out.log(renderProcessTable(processes, colourEnabled()))
  return processes
}
