import type {HomePaths} from '../store/home.js'

import {connectExisting} from '../client/connect.js'
import {ExitCode, TspmError} from '../model/exit-codes.js'

/**
 * `tspm monit`: the live view, on a terminal only, of a supervisor that runs (none: the same
 * `not_running` error as `tspm list`, before the screen changes). The view itself (src/monit/) is
 * loaded here, so no other command pays for it.
 */
export async function monitorProcesses(paths: HomePaths): Promise<void> {
  const {terminalProblem} = await import('../monit/terminal.js')
  const problem = terminalProblem()
  if (problem) throw new TspmError(problem, {exit: ExitCode.usage, code: 'not_a_terminal'})
  const client = await connectExisting(paths)
  const {runMonitor} = await import('../monit/monitor.js')
  await runMonitor(paths, client)
}
