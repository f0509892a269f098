import type {Output} from '../cli/errors.js'
import type {StartOutcome, StartResponse} from '../model/api.js'
import type {ProcessSpec} from '../model/process-spec.js'
import type {HomePaths} from '../store/home.js'

import {connectOrSpawn} from '../client/connect.js'
import {isConfigFile} from '../config/config-files.js'
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
  /** `--env NAME`: PM2's env_NAME of each process goes over its env. */
  env?: string
  /** `--strict`: PM2 keys tspm ignores are errors. */
  strict?: boolean
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
  // `tspm start tspm.yaml` or `tspm start ecosystem.config.js` means that config, as in PM2.
  if (input.script && isConfigFile(input.script)) {
    if (input.scriptArgs.length > 0 || input.name !== undefined || input.interpreter !== undefined) {
      throw new TspmError(
        `${input.script} is a config file; --name, --interpreter and arguments after -- are for a script`,
        {exit: ExitCode.usage, code: 'usage'},
      )
    }

    input = {...input, config: input.script, script: undefined}
  } else if (input.script && input.env !== undefined) {
    throw new TspmError('--env NAME picks env_NAME of a config file; a script has none', {
      exit: ExitCode.usage,
      code: 'usage',
    })
  }

  // A new supervisor boots in its own process while this one reads the config (both take about
  // 0.1 s); after a bad config it is stopped again unless another command gave it work meanwhile.
  const connecting = connectOrSpawn(paths)
  connecting.catch(() => {})
  let specs: ProcessSpec[]
  try {
    specs = await readSpecs(input, output)
  } catch (error) {
    const connected = await connecting.catch(() => {})
    if (connected?.spawned) await connected.client.shutdownIfIdle().catch(() => false)
    throw error
  }

  const {client, spawned} = await connecting
  if (spawned) output.note(`started the supervisor for TSPM_HOME=${paths.home}`)
  const response = await client.start(specs.map((spec) => ({spec, desired: spec.autostart ? 'online' : 'stopped'})))
  const said: Partial<Record<StartOutcome, (name: string) => string>> = {
    started: (name) => `started ${name}`,
    stopped: (name) => `registered ${name}, stopped (autostart: false)`,
    'already-running': (name) => `${name} is already running; not started again (use \`tspm restart ${name}\`)`,
  }
  for (const result of response.results) {
    const line = said[result.outcome]?.(result.name)
    if (line) output.log(line)
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

async function readSpecs(input: StartInput, output: Output): Promise<ProcessSpec[]> {
  const {loadConfigFile, specForScript} = await import('../config/load-config.js')
  if (!input.script) {
    return loadConfigFile(input.config ?? 'tspm.yaml', {
      env: input.env,
      strict: input.strict,
      warn: (message) => output.warn(message),
      checkRunnable: true,
    })
  }

  return [
    specForScript(input.script, {
      name: input.name,
      args: input.scriptArgs,
      cwd: process.cwd(),
      interpreter: input.interpreter,
      checkRunnable: true,
    }),
  ]
}
