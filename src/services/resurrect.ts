import {spawn} from 'node:child_process'
import {setTimeout as delay} from 'node:timers/promises'

import type {Output} from '../cli/errors.js'
import type {HealthResponse, StartResponse} from '../model/api.js'
import type {LoadedDump} from '../store/dump.js'
import type {HomePaths} from '../store/home.js'

import {SupervisorClient} from '../client/supervisor-client.js'
import {ExitCode, TspmError} from '../model/exit-codes.js'
import {metricsUrl} from '../model/listen.js'
import {hasSupervisorFlags, resurrectCommand} from '../model/supervisor-runtime.js'
import {isAlive} from '../os/proc.js'

/** How long the restore client waits for its supervisor to answer, and how often it asks. */
const OWN_SUPERVISOR_TIMEOUT_MS = 60_000
const OWN_SUPERVISOR_POLL_MS = 5
/** Tells the supervisor child of a bare `tspm resurrect` that its parent restores the saved list. */
const RESTORED_BY_PARENT = 'TSPM_RESTORED_BY_PARENT'

export interface ResurrectResult {
  /** The supervisor the saved list went to. */
  pid: number
  started: string[]
  already_running: string[]
}

/**
 * `tspm resurrect`. With a supervisor running for this home, it starts in it the saved processes
 * that are not running, and returns. Without one, this process becomes the supervisor, in the
 * foreground, until SIGTERM or SIGINT: the one supervisor entry (supervisor/main.ts), with the
 * same runtime flags as the background daemon. Started without those flags (typed by hand), it
 * runs `<runtime> [flags] <tspm> resurrect` in its place, in the foreground, and passes on signals.
 */
export async function resurrect(paths: HomePaths, output: Output): Promise<ResurrectResult> {
  const client = new SupervisorClient(paths)
  const restoreFor = Number(process.env.TSPM_RESTORE_INTO)
  if (restoreFor > 0) return restoreForOwnSupervisor(client, restoreFor, paths, output)
  const health = await client.health()
  if (health)
    return restoreInto({client, ownSupervisor: false, paths}, health, await readSavedList(paths, output), output)
  if (hasSupervisorFlags()) {
    // Started by runWithSupervisorFlags, which brings the saved list back itself.
    const restore = process.env[RESTORED_BY_PARENT] !== '1'
    delete process.env[RESTORED_BY_PARENT]
    const {runSupervisorProcess} = await import('../supervisor/main.js')
    return runSupervisorProcess({paths, mode: 'foreground', restore})
  }

  process.exitCode = await runWithSupervisorFlags(client, paths, output)
  return {pid: 0, started: [], already_running: []}
}

async function readSavedList(paths: HomePaths, output: Output): Promise<LoadedDump> {
  const {loadDump} = await import('../store/dump.js')
  const saved = await loadDump(paths)
  for (const warning of saved.warnings) output.warn(warning)
  return saved
}

/**
 * The client a foreground supervisor starts, first thing, to bring back its saved list: it reads
 * the list while that supervisor boots, then waits for it (that pid, not another supervisor) to
 * answer. It never starts a supervisor: if its own dies first, it fails.
 */
async function restoreForOwnSupervisor(
  client: SupervisorClient,
  supervisorPid: number,
  paths: HomePaths,
  output: Output,
): Promise<ResurrectResult> {
  const saved = await readSavedList(paths, output)
  const deadline = Date.now() + OWN_SUPERVISOR_TIMEOUT_MS
  for (;;) {
    const health = await client.health().catch(() => null)
    if (health?.pid === supervisorPid) return restoreInto({client, ownSupervisor: true, paths}, health, saved, output)
    if (!isAlive(supervisorPid) || Date.now() > deadline) {
      throw new TspmError(
        `the supervisor (pid ${supervisorPid}) that asked for the saved list does not answer on ${paths.socket}`,
        {exit: ExitCode.notRunning, code: 'not_running'},
      )
    }

    await delay(OWN_SUPERVISOR_POLL_MS)
  }
}

/** `ownSupervisor`: the supervisor was started to restore this list (boot service, bare resurrect). */
async function restoreInto(
  {client, ownSupervisor, paths}: {client: SupervisorClient; ownSupervisor: boolean; paths: HomePaths},
  health: HealthResponse,
  saved: LoadedDump,
  output: Output,
): Promise<ResurrectResult> {
  if (saved.source === 'none') {
    output.note(
      `no saved list at ${paths.dumpFile}: ${ownSupervisor ? 'running with no processes' : 'nothing to bring back'} (save one with \`tspm save\`)`,
    )
    return {pid: health.pid, started: [], already_running: []}
  }

  if (ownSupervisor) output.note(`restoring ${saved.processes.length} saved process(es) from ${saved.file}`)
  const {results} = await startSaved(client, saved, output)
  const named = (outcome: string) => results.filter((result) => result.outcome === outcome).map((result) => result.name)
  const started = named('started')
  const running = named('already-running')
  if (ownSupervisor) {
    for (const result of results)
      output.log(`${result.name}: ${result.outcome}${result.error ? ` (${result.error})` : ''}`)
    // Until each is online or has failed: the boot's outcome in the service's log, and the
    // supervisor frees what its start-up left once this client is done (supervisor/main.ts).
    const targets = results.flatMap((result) => (result.outcome === 'started' ? (result.targets ?? []) : []))
    const settled = targets.length === 0 ? [] : (await client.waitSettled(targets)).results
    for (const entry of settled) if (!entry.online) output.warn(`${entry.name} did not come online: ${entry.message}`)
    if (settled.length > 0) output.log(`${settled.filter((entry) => entry.online).length} of ${settled.length} online`)
  } else {
    output.log(
      `a supervisor already runs for TSPM_HOME=${paths.home} (pid ${health.pid}): started ${started.length > 0 ? started.join(', ') : 'nothing'}` +
        (running.length > 0 ? `; already running: ${running.join(', ')}` : ''),
    )
    for (const result of results)
      if (result.outcome === 'failed') output.warn(result.error ?? `${result.name} failed to start`)
  }

  return {pid: health.pid, started, already_running: running}
}

/**
 * The saved processes, with the saved metrics listener: a listener that cannot be opened (its port
 * is taken) is a warning, and the processes come back all the same.
 */
async function startSaved(client: SupervisorClient, saved: LoadedDump, output: Output): Promise<StartResponse> {
  if (!saved.metrics) return client.start(saved.processes)
  try {
    const response = await client.start(saved.processes, saved.metrics)
    output.note(`metrics on ${metricsUrl(saved.metrics.listen)}`)
    return response
  } catch (error) {
    if (!(error instanceof TspmError && error.code === 'metrics_unavailable')) throw error
    output.warn(`${error.message}; the saved processes start without it`)
    return client.start(saved.processes)
  }
}

/**
 * The supervisor in a child with the runtime flags, in the foreground; resolves with its exit
 * code. This process, already booted, reads the saved list while the child boots and hands it
 * over once the child answers; if that fails, the child is stopped (as a supervisor that could
 * not restore its own list stops) and the error is this command's.
 */
async function runWithSupervisorFlags(client: SupervisorClient, paths: HomePaths, output: Output): Promise<number> {
  const [runtime, ...args] = resurrectCommand()
  const child = spawn(runtime, args, {
    stdio: 'inherit',
    env: {...process.env, TSPM_HOME: paths.home, [RESTORED_BY_PARENT]: '1'},
  })
  let stopAsked = false
  const forward = (signal: NodeJS.Signals) => {
    if (signal !== 'SIGHUP' && signal !== 'SIGUSR2') stopAsked = true
    child.kill(signal)
  }

  const signals = ['SIGTERM', 'SIGINT', 'SIGQUIT', 'SIGHUP', 'SIGUSR2'] as const
  for (const signal of signals) process.on(signal, forward)
  const exited = new Promise<number>((resolve) => {
    child.once('error', () => resolve(ExitCode.failure))
    child.once('exit', (code, signal) => {
      for (const name of signals) process.off(name, forward)
      resolve(code ?? (signal === 'SIGTERM' || signal === 'SIGINT' ? ExitCode.ok : ExitCode.failure))
    })
  })
  if (child.pid === undefined) return exited
  try {
    await restoreForOwnSupervisor(client, child.pid, paths, output)
  } catch (error) {
    // Stopped by a signal while it booted: that is no failure to restore.
    if (stopAsked) return exited
    child.kill('SIGTERM')
    await exited
    throw error
  }

  return exited
}
