import type {Output} from '../cli/errors.js'
import type {HomePaths} from '../store/home.js'

import {connectExisting} from '../client/connect.js'
import {type Settled, waitUntilOnline} from './wait-online.js'

export type ProcessAction = 'delete' | 'restart' | 'stop'

const PAST_TENSE: Record<ProcessAction, string> = {delete: 'deleted', restart: 'restarted', stop: 'stopped'}

/** stop, restart and delete of one name or "all", on the running supervisor. */
export async function actOnProcesses(
  paths: HomePaths,
  {action, target, wait = false}: {action: ProcessAction; target: string; wait?: boolean},
  output: Output,
): Promise<{names: string[]; settled?: Settled[]}> {
  const client = await connectExisting(paths)
  const names = await client.act(action, target)
  output.log(names.length > 0 ? `${PAST_TENSE[action]} ${names.join(', ')}` : 'no processes')
  if (action !== 'restart' || !wait) return {names}
  // A restart is a start: wait for each to be online again, as `tspm start` does.
  const current = new Map((await client.list()).map((info) => [info.id, info.start.attempt]))
  const targets = names.flatMap((name) => (current.has(name) ? [{name, attempt: current.get(name)!}] : []))
  return {names, settled: await waitUntilOnline(client, targets, output)}
}
