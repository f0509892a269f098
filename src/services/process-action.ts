import type {Output} from '../cli/errors.js'
import type {HomePaths} from '../store/home.js'

import {connectExisting} from '../client/connect.js'

export type ProcessAction = 'delete' | 'restart' | 'stop'

const PAST_TENSE: Record<ProcessAction, string> = {delete: 'deleted', restart: 'restarted', stop: 'stopped'}

/** stop, restart and delete of one name or "all", on the running supervisor. */
export async function actOnProcesses(
  paths: HomePaths,
  action: ProcessAction,
  target: string,
  output: Output,
): Promise<{names: string[]}> {
  const client = await connectExisting(paths)
  const names = await client.act(action, target)
  output.log(names.length > 0 ? `${PAST_TENSE[action]} ${names.join(', ')}` : 'no processes')
  return {names}
}
