import {existsSync} from 'node:fs'

import type {Output} from '../cli/errors.js'
import type {SupervisorClient} from '../client/supervisor-client.js'
import type {MetricsSettings, StartResponse} from '../model/api.js'
import type {ProcessSpec} from '../model/process-spec.js'
import type {HomePaths} from '../store/home.js'

import {connectOrSpawn} from '../client/connect.js'
import {isConfigFile} from '../config/config-files.js'
import {ACTIVE_STATUSES} from '../model/active-statuses.js'
import {ExitCode, TspmError} from '../model/exit-codes.js'
import {metricsUrl} from '../model/listen.js'
import {PROCESS_NAME_PATTERN} from '../model/names.js'
import {planStart, type StartStep} from './apply.js'
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
): Promise<StartResponse & {metrics_url?: string; settled?: Settled[]}> {
  input = normalizedInput(input)
  // A new supervisor boots in its own process while this one reads the config (both take about
  // 0.1 s); after a bad config it is stopped again unless another command gave it work meanwhile.
  const connecting = connectOrSpawn(paths)
  connecting.catch(() => {})
  let specs: ProcessSpec[]
  /** The config's `metrics:`; undefined leaves the supervisor's listener as it is. */
  let metrics: MetricsSettings | null | undefined
  try {
    // `tspm start web` of a process this home knows (and no file ./web): that one, as defined.
    const known = input.script === undefined ? undefined : await knownByName(input, connecting)
    const config = known ? {specs: [known], metrics: undefined} : await readConfig(input, output)
    specs = config.specs
    metrics = config.metrics
  } catch (error) {
    const connected = await connecting.catch(() => {})
    if (connected?.spawned) await connected.client.shutdownIfIdle().catch(() => false)
    throw error
  }

  const {client, spawned} = await connecting
  if (spawned) output.note(`started the supervisor for TSPM_HOME=${paths.home}`)
  return startOnSupervisor(
    client,
    {spawned, specs, metrics, fromScript: input.script !== undefined, wait: input.wait},
    output,
  )
}

/**
 * What `tspm start` does once it has the definitions, and `tspm run` too: each one started,
 * applied or left alone against what the supervisor has (`spawned`: a new one, which has
 * nothing), the metrics listener opened or moved (`metrics`: undefined leaves it), then, with
 * `wait`, until each is online or has failed (`live: false`: one line per process even on a terminal).
 */
export async function startOnSupervisor(
  client: SupervisorClient,
  options: {
    fromScript: boolean
    live?: boolean
    metrics?: MetricsSettings | null
    spawned: boolean
    specs: ProcessSpec[]
    wait: boolean
  },
  output: Output,
): Promise<StartResponse & {metrics_url?: string; settled?: Settled[]}> {
  const {metrics, spawned} = options
  const steps = await planAgainst(client, spawned, options.specs, options.fromScript)
  const refused = steps.flatMap((step) => (step.kind === 'refuse' ? [step.message] : []))
  if (refused.length > 0) throw new TspmError(refused.join('\n'), {exit: ExitCode.usage, code: 'name_taken'})

  const starting = steps.filter((step) => step.kind === 'start')
  const response: StartResponse =
    starting.length === 0 && metrics === undefined
      ? {results: []}
      : await client
          .start(
            starting.map(({spec}) => ({spec, desired: spec.autostart ? 'online' : 'stopped'})),
            metrics,
          )
          .catch(async (error: unknown) => {
            // The metrics port was taken: nothing started, so a supervisor started for this goes again.
            if (spawned) await client.shutdownIfIdle().catch(() => false)
            throw error
          })
  reportStarts(steps, response, output)
  const metricsAt = metrics ? metricsUrl(metrics.listen) : undefined
  if (metricsAt) output.log(`metrics on ${metricsAt}`)
  else if (metrics === null) output.log('no metrics listener (metrics: false)')
  await applyChanges(client, steps, response, output)

  const failed = response.results.filter((result) => result.outcome === 'failed')
  if (failed.length > 0) {
    throw new TspmError(failed.map((result) => result.error ?? `${result.name}: failed to start`).join('\n'), {
      code: 'start_failed',
      result: response,
    })
  }

  const shown = metricsAt ? {...response, metrics_url: metricsAt} : response
  if (!options.wait) return shown
  const targets = response.results.flatMap((result) => (result.outcome === 'started' ? (result.targets ?? []) : []))
  return {...shown, settled: await waitUntilOnline(client, targets, output, {live: options.live})}
}

/** `tspm start tspm.yaml` or `tspm start ecosystem.config.js` means that config, as in PM2. */
function normalizedInput(input: StartInput): StartInput {
  if (input.script && input.config)
    throw new TspmError('give either SCRIPT or -c FILE, not both', {exit: ExitCode.usage, code: 'usage'})
  if (input.script && isConfigFile(input.script)) {
    if (input.scriptArgs.length > 0 || input.name !== undefined || input.interpreter !== undefined) {
      throw new TspmError(
        `${input.script} is a config file; --name, --interpreter and arguments after -- are for a script`,
        {exit: ExitCode.usage, code: 'usage'},
      )
    }

    return {...input, config: input.script, script: undefined}
  }

  if (input.script && input.env !== undefined) {
    throw new TspmError('--env NAME picks env_NAME of a config file; a script has none', {
      exit: ExitCode.usage,
      code: 'usage',
    })
  }

  return input
}

/** One line per process: started, registered stopped, already running (unchanged or not). */
function reportStarts(steps: StartStep[], response: StartResponse, output: Output): void {
  const changesOf = new Map(steps.map((step) => [step.spec.name, 'changes' in step ? step.changes : []]))
  for (const result of response.results) {
    const changes = changesOf.get(result.name) ?? []
    const line = {
      started:
        changes.length > 0
          ? `${result.name}: ${changes.join(', ')} changed; started with the new definition`
          : `started ${result.name}`,
      stopped: `registered ${result.name}, stopped (autostart: false)`,
      'already-running': `${result.name} is already running; not started again (use \`tspm restart ${result.name}\`)`,
    }[result.outcome as 'already-running' | 'started' | 'stopped']
    if (line) output.log(line)
  }

  for (const step of steps) {
    if (step.kind === 'keep') {
      output.log(`${step.spec.name} is already running, unchanged (\`tspm restart ${step.spec.name}\` restarts it)`)
      response.results.push({name: step.spec.name, outcome: 'already-running'})
    }
  }
}

/** Changed definitions of running apps: applied one app at a time, each back before the next. */
async function applyChanges(
  client: SupervisorClient,
  steps: StartStep[],
  response: StartResponse,
  output: Output,
): Promise<void> {
  for (const step of steps) {
    if (step.kind !== 'apply') continue
    const [result] = (await client.reload(step.spec.name, [step.spec])).results
    const how = result?.outcome === 'reloaded' ? 'reloaded' : 'restarted'
    if (result?.outcome === 'failed') {
      response.results.push({name: step.spec.name, outcome: 'failed', error: result.message})
    } else {
      output.log(`${step.spec.name}: ${step.changes.join(', ')} changed, ${how}`)
      response.results.push({name: step.spec.name, outcome: 'applied'})
    }
  }
}

/** The definitions against what a running supervisor already has (a new one has nothing). */
async function planAgainst(
  client: SupervisorClient,
  spawned: boolean,
  specs: ProcessSpec[],
  fromScript: boolean,
): Promise<StartStep[]> {
  if (spawned) return planStart(specs, [], new Set(), fromScript)
  const [known, listed] = await Promise.all([client.saved(), client.list()])
  // Running, or about to: a process being stopped counts too (it is not started a second time).
  const running = new Set(
    listed.filter((info) => info.status === 'stopping' || ACTIVE_STATUSES.has(info.status)).map((info) => info.name),
  )
  return planStart(specs, known, running, fromScript)
}

/** The definition of a known process SCRIPT names, when no file of that name is in cwd. */
async function knownByName(
  input: StartInput,
  connecting: Promise<{client: SupervisorClient; spawned: boolean}>,
): Promise<ProcessSpec | undefined> {
  const name = input.script!
  if (!PROCESS_NAME_PATTERN.test(name) || existsSync(name) || input.name !== undefined) return undefined
  const {client, spawned} = await connecting
  if (spawned) return undefined
  return (await client.saved()).find((entry) => entry.spec.name === name)?.spec
}

/** The definitions of a config file (checked, nothing started) and its `metrics:`, or of one script. */
export async function readConfig(
  input: StartInput,
  output: Output,
): Promise<{metrics: MetricsSettings | null | undefined; specs: ProcessSpec[]}> {
  const {loadConfig, specForScript} = await import('../config/load-config.js')
  if (!input.script) {
    return loadConfig(input.config ?? 'tspm.yaml', {
      env: input.env,
      strict: input.strict,
      warn: (message) => output.warn(message),
      checkRunnable: true,
    })
  }

  const spec = specForScript(input.script, {
    name: input.name,
    args: input.scriptArgs,
    cwd: process.cwd(),
    interpreter: input.interpreter,
    checkRunnable: true,
  })
  return {specs: [spec], metrics: undefined}
}
