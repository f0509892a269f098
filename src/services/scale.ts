import type {Output} from '../cli/errors.js'
import type {HomePaths} from '../store/home.js'

import {connectExisting} from '../client/connect.js'
import {ExitCode, TspmError} from '../model/exit-codes.js'
import {type Settled, waitUntilOnline} from './wait-online.js'

/**
 * `tspm scale NAME N`: the supervisor starts or stops instances until N run; like `tspm start`,
 * it then waits until each new instance is online or has failed.
 */
export async function scaleProcess(
  paths: HomePaths,
  {target, instances: count, wait}: {instances: string; target: string; wait: boolean},
  output: Output,
): Promise<{names: string[]; settled?: Settled[]}> {
  if (target === 'all' || /:\d+$/.test(target)) {
    throw new TspmError(`scale takes the name of one app (every instance counts), got "${target}"`, {
      exit: ExitCode.usage,
      code: 'usage',
    })
  }

  const instances = Number(count)
  if (!/^\d+$/.test(count) || instances < 1 || instances > 1024) {
    throw new TspmError(`expected a number of instances from 1 to 1024, got ${JSON.stringify(count)}`, {
      exit: ExitCode.usage,
      code: 'usage',
    })
  }

  const client = await connectExisting(paths)
  const names = await client.scale(target, instances)
  output.log(
    `${target} runs ${instances} instance${instances === 1 ? '' : 's'}${names.length > 0 ? ` (started or stopped: ${names.join(', ')})` : ''}`,
  )
  if (!wait) return {names}
  // The instances still listed are the ones it started; those it stopped are gone.
  const started = (await client.list()).filter((info) => names.includes(info.id) && info.start.outcome === 'pending')
  const targets = started.map((info) => ({name: info.id, attempt: info.start.attempt}))
  return {names, settled: await waitUntilOnline(client, targets, output)}
}
