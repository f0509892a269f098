import type {Output} from '../cli/errors.js'
import type {HomePaths} from '../store/home.js'

import {connectExisting} from '../client/connect.js'
import {ExitCode, TspmError} from '../model/exit-codes.js'

/** `tspm scale NAME N`: the supervisor starts or stops instances until N run. */
export async function scaleProcess(
  paths: HomePaths,
  {target, instances}: {instances: number; target: string},
  output: Output,
): Promise<{names: string[]}> {
  if (target === 'all' || /:\d+$/.test(target)) {
    throw new TspmError(`scale takes the name of one app (every instance counts), got "${target}"`, {
      exit: ExitCode.usage,
      code: 'usage',
    })
  }

  const client = await connectExisting(paths)
  const names = await client.scale(target, instances)
  output.log(
    `${target} runs ${instances} instance${instances === 1 ? '' : 's'}${names.length > 0 ? ` (started or stopped: ${names.join(', ')})` : ''}`,
  )
  return {names}
}
