import {constants} from 'node:os'

import type {Output} from '../cli/errors.js'
import type {HomePaths} from '../store/home.js'

import {connectExisting} from '../client/connect.js'
import {ExitCode, TspmError} from '../model/exit-codes.js'

/** `tspm signal SIGNAL NAME`: the signal, by name or number, to the processes the supervisor runs under NAME. */
export async function signalProcesses(
  paths: HomePaths,
  request: {group: boolean; signal: string; target: string},
  output: Output,
): Promise<{names: string[]; signal: string}> {
  const signal = signalName(request.signal)
  const client = await connectExisting(paths)
  const names = await client.signal(request.target, signal, request.group)
  output.log(`sent ${signal} to ${request.group ? 'the process groups of ' : ''}${names.join(', ')}`)
  return {names, signal}
}

/** SIGUSR2, usr2 or 12, as kill(1) takes them; anything else is named with what to write. */
export function signalName(input: string): NodeJS.Signals {
  const signals = constants.signals as Record<string, number>
  const trimmed = input.trim()
  if (/^\d+$/.test(trimmed)) {
    const found = Object.keys(signals).find((name) => signals[name] === Number(trimmed))
    if (found) return found as NodeJS.Signals
  } else {
    const upper = trimmed.toUpperCase()
    const name = upper.startsWith('SIG') ? upper : `SIG${upper}`
    if (Object.hasOwn(signals, name)) return name as NodeJS.Signals
  }

  throw new TspmError(
    `"${input}" is not a signal this system knows; give a name such as SIGUSR2 or SIGHUP (\`kill -l\` lists them)`,
    {exit: ExitCode.usage, code: 'usage'},
  )
}
