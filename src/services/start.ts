import type {Output} from '../cli/errors.js'
import type {StartResponse} from '../model/api.js'
import type {ProcessSpec} from '../model/process-spec.js'
import type {HomePaths} from '../store/home.js'

import {connectOrSpawn} from '../client/connect.js'
import {ExitCode, TspmError} from '../model/exit-codes.js'
import {type Settled, waitUntilOnline} from './wait-online.js'

export interface StartInput {
  /** A script to run as one process, instead of a config file. */
  script?: string
  /** Arguments for that script (what followed `--`). */
  scriptArgs: string[]
  /** `-c FILE`; default ./tspm.yaml. */
  config?: string
  name?: string
  interpreter?: string
  /** Wait until every process started is online or has failed (default), or return at once. */
  wait: boolean
}

/** `tspm start`: reads the config (or one script), then starts it on this home's supervisor. */
export async function startProcesses(
  paths: HomePaths,
  input: StartInput,
  output: Output,
): Promise<StartResponse & {settled?: Settled[]}> {
  if (input.script && input.config)
    throw new TspmError('give either SCRIPT or -c FILE, not both', {exit: ExitCode.usage, code: 'usage'})
  // A new supervisor boots in its own process while this one reads the config (both take about
  // 0.1 s); after a bad config it is stopped again unless another command gave it work meanwhile.
  const connecting = connectOrSpawn(paths)
  connecting.catch(() => {})
  let specs: ProcessSpec[]
  try {
    specs = await readSpecs(input)
  } catch (error) {
    const connected = await connecting.catch(() => {})
    if (connected?.spawned) await connected.client.shutdownIfIdle().catch(() => false)
    throw error
  }

  const {client, spawned} = await connecting
  if (spawned) output.note(`started the supervisor for TSPM_HOME=${paths.home}`)
  const response = await client.start(specs.map((spec) => ({spec, desired: 'online'})))
  for (const result of response.results) {
    if (result.outcome === 'started') output.log(`started ${result.name}`)
    else if (result.outcome === 'already-running')
      output.log(`${result.name} is already running; not started again (use \`tspm restart ${result.name}\`)`)
  }

  const failed = response.results.filter((result) => result.outcome === 'failed')
  if (failed.length > 0) {
    throw new TspmError(failed.map((result) => result.error ?? `${result.name}: failed to start`).join('\n'), {
      code: 'start_failed',
      result: response,
    })
  }

  if (!input.wait) return response
  const targets = response.results.flatMap((result) => (result.outcome === 'started' ? (result.targets ?? []) : []))
  return {...response, settled: await waitUntilOnline(client, targets, output)}
}

async function readSpecs(input: StartInput): Promise<ProcessSpec[]> {
  const {loadConfigFile, specForScript} = await import('../config/load-config.js')
  if (!input.script) return loadConfigFile(input.config ?? 'tspm.yaml')
  return [
    specForScript(input.script, {
      name: input.name,
      args: input.scriptArgs,
      cwd: process.cwd(),
      interpreter: input.interpreter,
    }),
  ]
}
